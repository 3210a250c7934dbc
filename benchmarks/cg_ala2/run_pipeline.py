"""CG alanine dipeptide end to end: MolCT NIU1 and SchNet3, with and without the dihedral prior.

    python benchmarks/cg_ala2/run_pipeline.py --reference /tmp/ala2_ref --train-s 300 \\
        --replicas 64 --steps 5000 -o benchmarks/cg_ala2/results

Reads every seed of a ``data_gen.py`` reference folder (its INDEX.json; complete chunks of
runs still going are used), maps it to the 5-bead backbone and pools the seeds, then runs
:func:`cgmolct.pipeline.run_cg_forcefield` for each variant (model × prior terms) and writes
``results.json``, ``results.md`` and one FES PNG per variant into ``-o``.  Records the load
average and thread counts: timings on a shared machine are contended.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

VARIANTS = {
    "NIU1_priors": ("NIU1", None),
    "NIU1_no_dihedral": ("NIU1", ("bonds", "angles", "impropers", "repulsion")),
    "SchNet3_priors": ("SchNet3", None),
    "SchNet3_no_dihedral": ("SchNet3", ("bonds", "angles", "impropers", "repulsion")),
}


def reference_graphs(folder: Path, work: Path):
    """Backbone graphs of every seed in ``folder`` (INDEX.json), saved under ``work``."""
    from cgmolct.reference import assemble_graph, map_reference

    index = json.loads((folder / "INDEX.json").read_text())
    paths, ns = [], 0.0
    for seed in index["seeds"]:
        out = work / f"seed_{seed['seed']}_backbone.npz"
        if not out.exists():
            try:
                aa = assemble_graph(seed["folder"], save=False)
            except Exception as exc:  # a seed without complete chunks yet
                print(f"seed {seed['seed']}: skipped ({exc})", file=sys.stderr)
                continue
            map_reference(aa, "backbone", output=str(out))
        from topologies import CGGraph

        g = CGGraph.load(str(out))
        ns += g.n_frames * g.provenance["reference"]["save_interval_ps"] / 1000.0
        paths.append(str(out))
    return paths, ns


def _row(name, s):
    f, t, sim, nf = s["fes"], s["training"], s["simulation"], s["force_noise_floor"]
    cg = f["cg"]

    def pop(side, b):
        return f"{side['populations_percent'][b]:.1f} ± {side['errors_percent'][b]:.1f}"

    return (f"| {name} | {t['max_time_s']:.0f} s / {t['frames']} | {sim['replicas']} × {sim['steps']} | "
            f"{t['epochs']} | {'n/a' if t['valid_force_rmse'] is None else format(t['valid_force_rmse'], '.3f')} | {nf['rmse']:.3f} | "
            f"{f['js']:.3f} | {f['js_noise_floor']:.3f} | {pop(cg, 'beta_C7eq')} | {pop(cg, 'alphaR')} | "
            f"{pop(cg, 'alphaL')} | {f['max_population_difference_percent']:.1f} | "
            f"{sim['replica_steps_per_s']:,.0f} |")


def write_markdown(results, path: Path) -> None:
    any_s = next(iter(results["variants"].values()))
    ref = any_s["fes"]["reference"]
    lines = ["# CG alanine dipeptide end to end (5-bead backbone)", "",
             f"Reference: {results['reference_ns']:.1f} ns of ff03 + OBC at 300 K "
             f"({results['reference_frames']} frames, seeds pooled: {results['reference_inputs']}).",
             f"Reference basins (%): β/C7eq {ref['populations_percent']['beta_C7eq']:.1f} ± "
             f"{ref['errors_percent']['beta_C7eq']:.1f}, αR {ref['populations_percent']['alphaR']:.1f} ± "
             f"{ref['errors_percent']['alphaR']:.1f}, αL {ref['populations_percent']['alphaL']:.1f} ± "
             f"{ref['errors_percent']['alphaL']:.1f}.",
             "Training budget: wall time per model, compilation included, on evenly spaced "
             "frames of the pooled reference (90 % train, 10 % validation); simulation: dt 2 fs, "
             "γ 1/ps, bead masses from the graph, replicas started from reference frames.",
             f"Load average at start {results['load_average_start']}, at end "
             f"{results['load_average_end']}; MindSpore threads {results['threads']} on "
             f"{os.cpu_count()} cores.", "",
             "| variant | training budget / frames | replicas × steps | epochs | valid force RMSE | noise floor RMSE | JS | JS noise floor | β/C7eq % | αR % | αL % | max Δpop (pp) | replica-steps/s |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, s in results["variants"].items():
        lines.append(_row(name, s))
    lines += ["", "Force RMSE: kcal/mol/Å per component of the delta forces on the validation "
              "frames (best epoch; n/a: the budget ended before the first validation, the last weights "
              "were simulated). Noise floor: " + any_s["force_noise_floor"]["method"] + ".",
              "JS: natural log, 60×60 bins, no pseudocounts; its noise floor is the JS between the "
              "two halves of the pooled reference. Populations: block bootstrap (20 blocks).", ""]
    path.write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reference", default="/tmp/ala2_ref", help="data_gen.py output folder")
    p.add_argument("-o", "--output", default="benchmarks/cg_ala2/results")
    p.add_argument("--work", default="/tmp/cg_ala2_pipeline", help="folder of the run files")
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    p.add_argument("--train-s", type=float, default=300.0)
    p.add_argument("--dim", type=int, default=32)
    p.add_argument("--epochs", type=int, default=1000, help="max epochs (the cosine schedule ends there)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--schedule", default="warmup_inverse_sqrt",
                   help="learning-rate schedule: warmup_inverse_sqrt, cosine, plateau, constant")
    p.add_argument("--train-frames", type=int, default=2400,
                   help="evenly spaced training+validation frames (a loaded machine trains slowly)")
    p.add_argument("--replicas", type=int, default=64)
    p.add_argument("--steps", type=int, default=5000)
    p.add_argument("--save-every", type=int, default=100)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reuse-training", action="store_true",
                   help="keep a finished training in the work folder (same configuration) and "
                        "redo only the simulation and the FES")
    p.add_argument("--merge", nargs="+", default=None,
                   help="only merge the results.json of these folders into -o (runs made apart)")
    args = p.parse_args(argv)
    if args.merge:
        Path(args.output).mkdir(parents=True, exist_ok=True)
        merged = None
        for folder in args.merge:
            part = json.loads((Path(folder) / "results.json").read_text())
            merged = part if merged is None else {**merged, "variants": {**merged["variants"], **part["variants"]},
                                                  "load_average_end": part["load_average_end"]}
            for name in part["variants"]:
                shutil.copyfile(Path(folder) / f"fes_{name}.png", Path(args.output) / f"fes_{name}.png")
        merged["merged_from"] = args.merge
        (Path(args.output) / "results.json").write_text(json.dumps(merged, indent=1, default=str))
        write_markdown(merged, Path(args.output) / "results.md")
        return 0
    from cgmolct.pipeline import run_cg_forcefield

    work, out = Path(args.work), Path(args.output)
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    load0 = [round(x, 2) for x in os.getloadavg()]
    paths, ns = reference_graphs(Path(args.reference), work)
    results_path = out / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {"variants": {}}
    results.update(reference_inputs=len(paths), reference_ns=ns, train_s=args.train_s,
                   replicas=args.replicas, steps=args.steps, threads=args.threads, dim=args.dim,
                   train_frames=args.train_frames,
                   load_average_start=load0, command=" ".join(sys.argv))
    for name in args.variants:
        model, terms = VARIANTS[name]
        t0 = time.perf_counter()
        s = run_cg_forcefield(paths, work / name, model=model, dim=args.dim, max_time_s=args.train_s,
                              max_epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                              schedule=args.schedule,
                              priors_terms=terms, replicas=args.replicas, sim_steps=args.steps,
                              save_every=args.save_every, seed=args.seed, threads=args.threads,
                              train_frames=args.train_frames, overwrite=True,
                              reuse_training=args.reuse_training)
        s["wall_s"] = round(time.perf_counter() - t0, 1)
        shutil.copyfile(s["files"]["png"], out / f"fes_{name}.png")
        results["variants"][name] = s
        results["reference_frames"] = s["reference"]["frames"]
        results["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        results_path.write_text(json.dumps(results, indent=1, default=str))
        write_markdown(results, out / "results.md")
        print(f"{name}: JS {s['fes']['js']:.3f} (floor {s['fes']['js_noise_floor']:.3f}), "
              f"αL {s['fes']['cg']['populations_percent']['alphaL']:.1f} %", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
