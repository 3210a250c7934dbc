"""Long CG sampling of a trained alanine-dipeptide model, then the FES against the whole reference.

``run_pipeline.py`` trains a model and checks it with picoseconds of simulation; the FES target
(JS < 0.02 over 60×60 bins, basins within 5 percentage points) needs nanoseconds of CG
sampling.  This script continues one simulation of a pipeline run (its ``model/`` with priors,
its pooled ``reference_backbone.npz``) in resumable pieces until a per-replica length or a
wall-time budget is reached, then compares the φ/ψ distribution with the reference:

    python benchmarks/cg_ala2/run_long.py /tmp/cg_long/NIU1_priors --replicas 64 \\
        --ps 500 --budget-s 2400 -o benchmarks/cg_ala2/results/long

Run the same command again to continue (the state is in ``PIPELINE/long/state.npz``).  The
first ``--discard-ps`` of every replica are left out (replicas start from reference frames,
which are equilibrium frames of the all-atom model, not of the CG model).  Reported: JS with
its noise floor (the two halves of the reference), JS of CG against the reference as the CG
sample grows (is it limited by CG sampling?), JS between the two halves of the CG replicas,
basin populations with block-bootstrap errors, speed, load average.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

#: A benchmark result, not a library file format (those start with ``cgmolct-``).
RESULT_FORMAT = "benchmark-cg-ala2-long-sampling"


def _cg_angles(folder: Path, temperature: float, discard_frames: int):
    """(x, y) degrees of every replica after its first ``discard_frames`` frames, replica by replica."""
    from cgmolct.analysis import simulation_angles

    a = simulation_angles(folder, temperature)
    xs, ys, start = [], [], 0
    for n in a["frames_per_replica"]:
        xs.append(a["x"][start + discard_frames:start + n])
        ys.append(a["y"][start + discard_frames:start + n])
        start += n
    return xs, ys


def _js(ref_xy, xs, ys, bins=60):
    from cgmolct.analysis.divergence import js_divergence_angles

    return js_divergence_angles(ref_xy[0], ref_xy[1], np.concatenate(xs), np.concatenate(ys), bins)


def analyse(pipeline: Path, sim_folder: Path, temperature: float, discard_ps: float, frame_ps: float,
            out: Path, tag: str, seed: int = 0) -> dict:
    from cgmolct.analysis import FreeEnergy, load_angles
    from cgmolct.analysis.divergence import js_divergence_angles

    ref = load_angles(str(pipeline / "reference_backbone.npz"))
    discard = int(round(discard_ps / frame_ps))
    xs, ys = _cg_angles(sim_folder, temperature, discard)
    per_replica = min(len(x) for x in xs)
    if per_replica < 4:
        raise SystemExit(f"{sim_folder}: {per_replica} frames per replica after discarding "
                         f"{discard_ps} ps; run longer")
    fes = FreeEnergy((ref["x"], ref["y"]), (np.concatenate(xs), np.concatenate(ys)),
                     temperature=temperature, seed=seed).run()
    summary = fes.summary()
    png = fes.plot(str(out / f"fes_long_{tag}.png"))
    # growth of the CG sample: the first k/4 of every replica's kept frames
    growth = []
    for k in (1, 2, 3, 4):
        n = per_replica * k // 4
        growth.append({"ps_per_replica": round(n * frame_ps, 3),
                       "cg_ns": round(n * frame_ps * len(xs) / 1000, 3),
                       "js": _js((ref["x"], ref["y"]), [x[:n] for x in xs], [y[:n] for y in ys])})
    # drift check: replicas start from reference frames; the later half of each replica has
    # had longer to leave them (a JS that grows here means the CG model drifts away)
    late = {"ps_per_replica": round((per_replica - per_replica // 2) * frame_ps, 3),
            "js": _js((ref["x"], ref["y"]), [x[per_replica // 2:per_replica] for x in xs],
                      [y[per_replica // 2:per_replica] for y in ys])}
    half = len(xs) // 2   # two halves of the replicas: independent CG samples
    js_cg_halves = js_divergence_angles(np.concatenate(xs[:half]), np.concatenate(ys[:half]),
                                        np.concatenate(xs[half:]), np.concatenate(ys[half:]))
    return {"fes": summary, "js_growth": growth, "js_late_half": late, "js_cg_replica_halves": js_cg_halves,
            "frames_per_replica_kept": per_replica, "discard_ps": discard_ps, "frame_ps": frame_ps,
            "cg_ns_kept": per_replica * frame_ps * len(xs) / 1000, "png": png}


def prepare_shipped(pipeline: Path, reference: Path) -> None:
    """A run_long folder for the shipped model: ``model/`` (a copy) and the pooled reference."""
    import shutil

    from cgmolct.pipeline.cg_forcefield import pool_graphs
    from cgmolct.reference import assemble_graph, map_reference
    from topologies import CGGraph

    if not (reference / "INDEX.json").is_file():
        raise SystemExit(f"{reference}: no INDEX.json; pass the --out folder of data_gen.py")
    shipped = Path(__file__).resolve().parents[2] / "cgmolct" / "pipeline" / "shipped" / "ala2_backbone_niu1"
    pipeline.mkdir(parents=True, exist_ok=True)
    if not (pipeline / "model").exists():
        shutil.copytree(shipped, pipeline / "model")
    index = json.loads((reference / "INDEX.json").read_text())
    graphs = []
    for seed in index["seeds"]:
        path = pipeline.parent / f"seed_{seed['seed']}_backbone.npz"
        if not path.exists():
            map_reference(assemble_graph(seed["folder"], save=False), "backbone", output=str(path))
        graphs.append(CGGraph.load(str(path)))
    pooled = pool_graphs(graphs)
    pooled.save(str(pipeline / "reference_backbone.npz"))
    print(f"{pipeline}: shipped model and {pooled.n_frames} pooled reference frames")


def write_markdown(record: dict, path: Path) -> None:
    lines = ["# Long CG sampling of alanine dipeptide (5-bead backbone)", "",
             "Commands (rerun to continue; `--analyse-only` redoes the numbers from the frames):", ""]
    lines += [f"    {r.get('command', record.get('command', ''))}" for r in record["models"].values()]
    lines += ["",
             f"Reference: {record['reference_ns']:.1f} ns (ff03 + OBC, 300 K; seeds pooled). "
             f"Machine: {os.cpu_count()} cores, MindSpore threads {record['threads']}, load average "
             f"{record['load_average_start']} → {record['load_average_end']}.", "",
             "| model | replicas × ps (kept) | CG ns kept | JS | JS noise floor (ref halves) | JS CG halves | "
             "β/C7eq % (ref) | αR % (ref) | αL % (ref) | max Δpop (pp) | replica-steps/s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for tag, r in record["models"].items():
        f = r["analysis"]["fes"]
        ref, cg = f["reference"], f["cg"]

        def pop(b):
            return (f"{cg['populations_percent'][b]:.1f} ± {cg['errors_percent'][b]:.1f} "
                    f"({ref['populations_percent'][b]:.1f} ± {ref['errors_percent'][b]:.1f})")

        a = r["analysis"]
        lines.append(f"| {tag} | {r['replicas']} × {a['frames_per_replica_kept'] * a['frame_ps']:.0f} | "
                     f"{a['cg_ns_kept']:.1f} | **{f['js']:.4f}** | {f['js_noise_floor']:.4f} | "
                     f"{a['js_cg_replica_halves']:.4f} | {pop('beta_C7eq')} | {pop('alphaR')} | "
                     f"{pop('alphaL')} | {f['max_population_difference_percent']:.1f} | "
                     f"{format(r['replica_steps_per_s'], ',.0f') if r.get('replica_steps_per_s') else '–'} |")
    lines += ["", "JS: natural log, 60×60 bins over [−180°, 180°)², no pseudocounts. Noise floor: JS "
              "between the two halves of the pooled reference (different seeds). JS CG halves: "
              "between the first and the second half of the replicas (independent CG samples). "
              "Populations: block bootstrap (20 blocks). Targets: JS < 0.02, every basin within 5 pp. "
              "replica-steps/s is the sampling rate of that run (its MindSpore threads are in the "
              "JSON; – when the numbers were redone from the frames), not a speed benchmark: see "
              "`benchmarks/results/simulate.md` for that.",
              "", "JS as the CG sample grows (same replicas, first part of each):", "",
              "| model | ps per replica | CG ns | JS |", "|---|---|---|---|"]
    for tag, r in record["models"].items():
        for g in r["analysis"]["js_growth"]:
            lines.append(f"| {tag} | first {g['ps_per_replica']:.0f} | {g['cg_ns']:.1f} | {g['js']:.4f} |")
        late = r["analysis"].get("js_late_half")
        if late:
            lines.append(f"| {tag} | last {late['ps_per_replica']:.0f} only | "
                         f"{late['ps_per_replica'] * r['replicas'] / 1000:.1f} | {late['js']:.4f} |")
    lines.append("")
    path.write_text("\n".join(lines) + "\n")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("pipeline", help="a run_pipeline.py variant folder (model/, reference_backbone.npz)")
    p.add_argument("-o", "--output", default="benchmarks/cg_ala2/results/long")
    p.add_argument("--tag", default=None, help="name in the results (default: the folder name)")
    p.add_argument("--replicas", type=int, default=64)
    p.add_argument("--ps", type=float, default=500.0, help="target length per replica (ps)")
    p.add_argument("--budget-s", type=float, default=2400.0, help="wall-time budget of this call (s)")
    p.add_argument("--piece-steps", type=int, default=10000)
    p.add_argument("--save-every", type=int, default=250, help="frame interval (steps)")
    p.add_argument("--discard-ps", type=float, default=20.0)
    p.add_argument("--dt", type=float, default=0.002)
    p.add_argument("--friction", type=float, default=1.0)
    p.add_argument("--temperature", type=float, default=300.0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--analyse-only", action="store_true")
    p.add_argument("--prepare-shipped", metavar="REFERENCE", default=None,
                   help="make PIPELINE a folder for the shipped model (cgmolct/pipeline/shipped) "
                        "with the backbone-mapped, pooled seeds of REFERENCE (a data_gen.py output "
                        "folder with INDEX.json), then stop")
    p.add_argument("--priors-only", action="store_true",
                   help="simulate the model's priors without the network (the baseline a "
                        "trained network has to beat); results under TAG_priors_only")
    args = p.parse_args(argv)

    from cgmolct.runtime import set_threads

    set_threads(args.threads)
    from topologies import CGGraph

    from cgmolct.io.checkpoint import load_model
    from cgmolct.priors import load_priors
    from cgmolct.simulate import Simulation

    pipeline = Path(args.pipeline)
    if args.prepare_shipped:
        prepare_shipped(pipeline, Path(args.prepare_shipped))
        return 0
    tag = (args.tag or pipeline.name) + ("_priors_only" if args.priors_only else "")
    sim_folder = pipeline / ("long_priors_only" if args.priors_only else "long")
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    load0 = [round(x, 2) for x in os.getloadavg()]
    ref = CGGraph.load(str(pipeline / "reference_backbone.npz"))
    state = sim_folder / "state.npz"
    rates = []
    if args.analyse_only:   # no model, no compilation: the numbers of the frames written so far
        from cgmolct.simulate.state import load_state

        saved = load_state(state)
        steps_done = int(saved.step)
        masses = [float(m) for m in saved.meta.get("masses_amu", [])]
    else:
        model_folder = pipeline / "model"
        net = None if args.priors_only else load_model(model_folder)
        priors = load_priors(model_folder)
        sim = Simulation(net, ref, priors=priors, n_replicas=args.replicas, dt=args.dt,
                         friction=args.friction, temperature=args.temperature, seed=args.seed)
        target = int(round(args.ps / args.dt))
        if state.exists():
            sim.load_state(state)
        t_start = time.perf_counter()
        while sim.step < target and time.perf_counter() - t_start < args.budget_s:
            n = min(args.piece_steps, target - sim.step)
            n -= n % args.save_every if n > args.save_every else 0
            r = sim.run(n, sim_folder, save_every=args.save_every, progress=False, overwrite=sim.step == 0)
            rates.append(r.replica_steps_per_s)
            print(f"{tag}: step {sim.step}/{target} ({sim.step * args.dt:.0f} ps per replica), "
                  f"{r.replica_steps_per_s:,.0f} replica-steps/s, load {os.getloadavg()[0]:.2f}", flush=True)
        steps_done = int(sim.step)
        masses = [float(m) for m in sim.masses]
    results_path = out / "results.json"
    record = json.loads(results_path.read_text()) if results_path.exists() else {"format": RESULT_FORMAT, "models": {}}
    analysis = analyse(pipeline, sim_folder, args.temperature, args.discard_ps, args.save_every * args.dt,
                       out, tag, seed=args.seed)
    old = record["models"].get(tag, {})
    steady = rates[1:] if len(rates) > 1 else rates   # the first piece holds the compilation
    record["models"][tag] = {
        "pipeline": str(pipeline), "replicas": args.replicas, "steps_per_replica": steps_done,
        "dt_ps": args.dt, "friction_per_ps": args.friction, "seed": args.seed,
        "masses_amu": masses, "threads": args.threads,
        "replica_steps_per_s": float(np.median(steady)) if steady else old.get("replica_steps_per_s", 0.0),
        "analysis": analysis,
        "command": old.get("command") if args.analyse_only and old.get("command")
        else " ".join(["python"] + sys.argv),
        "training": json.loads((pipeline / "summary.json").read_text()).get("training")
        if (pipeline / "summary.json").exists() and not args.priors_only else None}
    record.update(format=RESULT_FORMAT, threads=args.threads,
                  reference_ns=analysis["fes"]["reference"]["n_frames"] * float(
                      ref.provenance.get("reference", {}).get("save_interval_ps", 1.0)) / 1000.0,
                  load_average_start=record.get("load_average_start", load0),
                  load_average_end=[round(x, 2) for x in os.getloadavg()])
    results_path.write_text(json.dumps(record, indent=1, default=str))
    write_markdown(record, out / "results.md")
    f = analysis["fes"]
    print(f"{tag}: JS {f['js']:.4f} (noise floor {f['js_noise_floor']:.4f}), max Δpop "
          f"{f['max_population_difference_percent']:.1f} pp, CG {analysis['cg_ns_kept']:.1f} ns kept")
    return 0


if __name__ == "__main__":
    sys.exit(main())
