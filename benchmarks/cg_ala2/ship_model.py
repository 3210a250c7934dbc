"""Copy a pipeline run's model into ``cgmolct/pipeline/shipped/`` and write its model card.

    python benchmarks/cg_ala2/run_pipeline.py --variants NIU1_priors --train-s 200 \\
        --train-frames 2400 --replicas 64 --steps 2000 --save-every 50 -o /tmp/cg_ala2_results_NIU1
    python benchmarks/cg_ala2/ship_model.py /tmp/cg_ala2_pipeline/NIU1_priors \
        [--long benchmarks/cg_ala2/results/long/results.json]

The card's numbers are read from the run's ``summary.json`` and, with ``--long``, from the
long-sampling results of ``run_long.py`` (nothing typed by hand).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "cgmolct" / "pipeline" / "shipped"
NAME = "ala2_backbone_niu1"


def _threads(run: Path) -> int:
    """MindSpore threads of the run's training (its ``train/summary.json``; 2 when absent)."""
    path = run / "train" / "summary.json"
    return int(json.loads(path.read_text()).get("threads") or 2) if path.exists() else 2


def _maturity(t: dict) -> str:
    """The card's one-line status of the training: finished schedule or cut by the budget."""
    if t["status"].startswith("completed"):
        return (f"Trained to the end of its {t.get('schedule', '')} schedule ({t['epochs']} epochs) on a "
                "2-core CPU; its validation force error is at the noise floor of the mapped forces "
                "(below). Read the metrics before using it on anything but this system.")
    return ("It is a small model trained for minutes (the wall-time budget below) on a 2-core CPU, "
            "**not a converged force field**: read the metrics below before using it.")


def _training_flags(t: dict) -> str:
    """run_pipeline.py options of the training beyond the defaults (recorded in summary.json)."""
    flags = ""
    if t.get("schedule") and t["schedule"] != "warmup_inverse_sqrt":
        flags += f" --schedule {t['schedule']} --epochs {t['max_epochs']}"
    if t.get("batch_size") and t["batch_size"] != 64:
        flags += f" --batch-size {t['batch_size']}"
    if t.get("lr") and t["lr"] != 1e-3:
        flags += f" --lr {t['lr']}"
    return flags


def long_section(record: dict, tag: str) -> str:
    """Card lines of the long CG sampling (``run_long.py``) of this model."""
    r = record["models"][tag]
    a = r["analysis"]
    f = a["fes"]
    ref, cg = f["reference"], f["cg"]

    def pops(side):
        return ", ".join(f"{b} {side['populations_percent'][b]:.1f} ± {side['errors_percent'][b]:.1f}"
                         for b in ("beta_C7eq", "alphaR", "alphaL"))

    return f"""
## Long sampling (`benchmarks/cg_ala2/run_long.py`, results in `benchmarks/cg_ala2/results/long/`)
{r['replicas']} replicas × {r['steps_per_replica'] * r['dt_ps']:.0f} ps (dt {r['dt_ps']} ps, friction
{r['friction_per_ps']}/ps) from reference frames, the first {a['discard_ps']:.0f} ps of each left out:
{a['cg_ns_kept']:.1f} ns of CG frames against {record['reference_ns']:.0f} ns of reference.
- JS divergence of φ/ψ **{f['js']:.4f}** (target < 0.02); the reference's half-vs-half noise
  floor {f['js_noise_floor']:.4f}; between the two halves of the CG replicas {a['js_cg_replica_halves']:.4f}.
- Basin populations (%): reference {pops(ref)}; CG {pops(cg)};
  largest difference {f['max_population_difference_percent']:.1f} percentage points (target ≤ 5).
- Numbers from: `{r.get('command', record.get('command', ''))}` (the run commands are in
  `benchmarks/cg_ala2/README.md`).
"""


def card(s: dict, run: Path, long: str = "", long_tag: str = "") -> str:
    t, f, sim, nf = s["training"], s["fes"], s["simulation"], s["force_noise_floor"]
    ref, cg = f["reference"], f["cg"]

    def pops(side):
        return ", ".join(f"{b} {side['populations_percent'][b]:.1f} ± {side['errors_percent'][b]:.1f}"
                         for b in ("beta_C7eq", "alphaR", "alphaL"))

    return f"""# Model card: {NAME}

A small CG force field of alanine dipeptide (ACE-ALA-NME) on the 5-bead `backbone` map
(C of ACE, N, CA, C, N of NME), for `cgmolct.load`, `cgmolct.predict` and `cgmolct simulate`
(`cgmolct.pipeline.SHIPPED_MODEL`). {_maturity(t)}

## Data
All-atom reference from `cgmolct data reference` (OpenMM, AMBER ff03 + OBC implicit solvent,
300 K, Langevin 1 fs, friction 1/ps, no constraints, a frame per ps):
{s['reference']['ns']} ns in {len(s['reference']['inputs'])} independent seeds pooled
({s['reference']['frames']} frames; made by `benchmarks/cg_ala2/data_gen.py`). Training used
{t['frames']} evenly spaced frames (90 % train, 10 % validation, seed 0).

## Mapping
`cgmolct data map --mapping backbone`: bead positions of the representative atoms, bead forces
summed over all atoms of each bead (force-matching-consistent). Bead masses (amu):
{', '.join(f'{m:.2f}' for m in sim['masses_amu'])}.

## Priors (`priors.json`, added to the network energy in simulation)
Fitted by Boltzmann inversion at {s['priors']['temperature_K']} K: {', '.join(s['priors']['terms'])}
(harmonic bonds and angles, Fourier series in the signed dihedrals φ and ψ — they break the
mirror symmetry a distance-only network cannot —, a (σ/r)⁶ wall). The network is trained on
the delta forces F_ref − F_prior.

## Model
{t['model']} (MolCT, fixed cycles), feature size {t['dim']}, {t['n_params']:,} parameters;
task `forces`, Adam (batch {t.get('batch_size', '?')}, lr {t.get('lr', '?')}, schedule
{t.get('schedule', 'warmup_inverse_sqrt')}), {t['epochs']} epoch(s) in a {t['max_time_s']:.0f} s
wall-time budget (status: {t['status']}).

## Metrics
- Validation delta-force RMSE {t['valid_force_rmse']:.3f} kcal/mol/Å (MAE {t['valid_force_mae']:.3f})
  per component; noise floor {nf['rmse']:.3f} kcal/mol/Å ({nf['method']}; median neighbour RMSD
  {nf['neighbour_rmsd_median_A']:.3f} Å).
- Simulation: {sim['replicas']} replicas × {sim['steps']} steps (dt {sim['dt_ps']} ps, friction
  {sim['friction_per_ps']}/ps, 300 K) from reference frames: JS divergence of the φ/ψ
  distribution {f['js']:.3f} (natural log, 60 × 60 bins) vs the reference; the reference's
  half-vs-half noise floor is {f['js_noise_floor']:.3f}.
- Basin populations (%, block bootstrap): reference {pops(ref)}; CG {pops(cg)}.
  ({sim['steps'] * sim['dt_ps']:.0f} ps per replica: these populations mostly still reflect the reference
  frames the replicas start from; the long sampling below is the test of the FES.)
- Speed of the pipeline's short simulation (load average {', '.join(f'{x:.1f}' for x in s['load_average'])}):
  {sim['replica_steps_per_s']:,.0f} replica-steps/s.

## Regenerate
    # /tmp/ala2_ref: the long reference set of benchmarks/cg_ala2/README.md ("Reference data")
    python benchmarks/cg_ala2/run_pipeline.py --variants NIU1_priors --train-s {t['max_time_s']:.0f} \\
        --train-frames {t['frames']}{_training_flags(t)} --replicas {sim['replicas']} --steps {sim['steps']} \\
        --save-every {sim['save_every']} --threads {_threads(run)} --work {run.parent} -o /tmp/cg_ala2_results_NIU1
    python benchmarks/cg_ala2/ship_model.py {run}{' --long benchmarks/cg_ala2/results/long/results.json' if long else ''}{' --long-tag ' + long_tag if long and long_tag != run.name else ''}

(source run: `{run}`; the wall-time budget makes the weights depend on the machine's speed).
{long}"""


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", help="output folder of cgmolct.pipeline.run_cg_forcefield")
    p.add_argument("--long", default=None, help="results.json of run_long.py with this model")
    p.add_argument("--long-tag", default=None, help="its name there (default: the run folder name)")
    args = p.parse_args(argv)
    run = Path(args.run)
    s = json.loads((run / "summary.json").read_text())
    long = ""
    if args.long:
        long = long_section(json.loads(Path(args.long).read_text()), args.long_tag or run.name)
    target = SHIPPED / NAME
    if target.exists():
        shutil.rmtree(target)
    SHIPPED.mkdir(parents=True, exist_ok=True)
    shutil.copytree(run / "model", target)
    (SHIPPED / "MODEL_CARD.md").write_text(card(s, run, long, args.long_tag or run.name))
    print(f"wrote {target} and {SHIPPED / 'MODEL_CARD.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
