"""The CG force-field step of ``cgmolct demo``: the whole pipeline, minutes long.

Runs :func:`cgmolct.pipeline.run_cg_forcefield` on the shipped 2 ns alanine-dipeptide reference
(5-bead backbone map): priors, delta forces, a small MolCT NIU1 (feature size 16, fixed
cycles) trained for one minute, 16 Langevin replicas of 1,000 steps (2 ps each) from
reference frames, and the FES of reference vs CG with JS divergence, its noise floor and
basin populations.  The numbers show that the pipeline runs, not a converged force field
(see ``benchmarks/cg_ala2/results.md`` for longer runs).
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict


def run_demo_step(out: Path) -> Dict[str, object]:
    """Run the short pipeline into ``out / "cg_forcefield"``.

    Returns
    -------
    dict
        ``ok`` (all numbers finite and the files present), ``summary`` (one paragraph) and
        ``figures`` (the FES PNG).
    """
    import math

    from ..reference import shipped_reference
    from .cg_forcefield import run_cg_forcefield

    folder = Path(out) / "cg_forcefield"
    s = run_cg_forcefield(shipped_reference("backbone"), folder, model="NIU1", dim=16,
                          max_time_s=60.0, batch_size=64, replicas=16, sim_steps=1000,
                          save_every=50, noise_frames=300, n_resamples=100, overwrite=True)
    f, t, sim = s["fes"], s["training"], s["simulation"]
    numbers = [f["js"], f["js_noise_floor"], t["valid_force_rmse"] or 0.0,
               s["force_noise_floor"]["rmse"], sim["replica_steps_per_s"]]
    ok = all(isinstance(x, (int, float)) and math.isfinite(x) for x in numbers) \
        and Path(s["files"]["png"]).exists() and (Path(s["files"]["model"]) / "priors.json").exists()
    vr = t["valid_force_rmse"]
    vr_text = "n/a (no validation within the budget)" if vr is None else f"{vr:.2f} kcal/mol/Å"
    pops = f["cg"]["populations_percent"]
    ref = f["reference"]["populations_percent"]
    summary = (f"CG alanine dipeptide (5 beads, {s['reference']['frames']} reference frames): "
               f"priors {', '.join(s['priors']['terms'])}; NIU1 dim 16 trained "
               f"{t['epochs']} epoch(s) in {s['timings_s']['training_s']:.0f} s, validation "
               f"delta-force RMSE {vr_text} (noise floor ≈ "
               f"{s['force_noise_floor']['rmse']:.2f} kcal/mol/Å); {sim['replicas']} replicas × "
               f"{sim['steps']} steps at {sim['replica_steps_per_s']:,.0f} replica-steps/s; "
               f"JS {f['js']:.3f} vs reference (half-vs-half noise floor {f['js_noise_floor']:.3f}); "
               f"basins CG/ref %: β {pops['beta_C7eq']:.0f}/{ref['beta_C7eq']:.0f}, "
               f"αR {pops['alphaR']:.0f}/{ref['alphaR']:.0f}, αL {pops['alphaL']:.0f}/{ref['alphaL']:.0f} "
               "(a minutes-long demo, not a converged force field)")
    return {"ok": bool(ok), "summary": summary, "figures": [s["files"]["png"]]}
