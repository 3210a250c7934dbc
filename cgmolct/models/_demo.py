"""The ``model`` step of ``cgmolct demo``: train, save, load, predict, check invariance.

1. A MolCT NIU energy model (fixed cycles) is trained for a few force-matching steps on
   MD17 ethanol (``../shared/data``; skipped with a note when absent), with the compiled
   :class:`~cgmolct.readouts.ForceMatchingStep`.
2. It is saved with :func:`cgmolct.save`, reloaded with :func:`cgmolct.load` and used by
   :func:`cgmolct.predict` on held-out frames (force RMSE vs the reference).
3. An ACT MolCT reads the 214-bead AdK CA graph (MDAnalysisTests PSF/DCD): embeddings,
   per-bead ponder steps and attention; the energy of a rotated copy is checked.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict

import numpy as np

__all__ = ["run_model_demo"]


def _shared_md17() -> Path:
    from ..data.shared import shared_data_dir

    return shared_data_dir() / "md17_ethanol" / "ethanol_kcal_A_train_1024.npz"


def _train_md17(out: Path, summary: Dict) -> None:
    import mindspore as ms

    import cgmolct
    from cgmolct.data import keys, load_md17, md17_graph
    from cgmolct.models import MolCT, as_model_inputs
    from cgmolct.readouts import EnergyForceModel, ForceMatchingStep, NodeReadout

    path = _shared_md17()
    if not path.exists():
        summary["md17"] = f"skipped: {path} not found"
        return
    ds = load_md17(path, frames=slice(0, 256))
    energies = ds.targets()[keys.ENERGY] if hasattr(ds, "targets") else None
    shift = float(np.mean(energies) / 9.0) if energies is not None else 0.0
    ms.set_seed(0)
    rep = MolCT(dim=64, n_heads=4, n_interactions=1, max_cycles=2, fixed_cycles=True,
                use_rme=False)
    model = EnergyForceModel(rep, NodeReadout(64, shift=shift, scale=1.0))
    step = ForceMatchingStep(model, ms.nn.Adam(model.trainable_params(), learning_rate=2e-3))
    batches = [ds.batch(np.arange(s, s + 32), cutoff=10.0) for s in range(0, 256, 32)]
    data = [(as_model_inputs(b), ms.Tensor(b[keys.ENERGY].astype(np.float32)),
             ms.Tensor(b[keys.FORCES].astype(np.float32))) for b in batches]
    losses = []
    model.set_train(True)
    for epoch in range(3):
        for x, e, f in data:
            losses.append(float(step(*x, e, f)[0].asnumpy()))
    saved = cgmolct.save(model, out / "md17_molct_model", metadata={"mapping": "all-atom",
                                                                     "data": str(path.name)})
    loaded = cgmolct.load(saved)
    test = md17_graph(path, frames=slice(900, 964))
    pred = cgmolct.predict(loaded, test, outputs=("energy", "forces"), batch_size=32)
    rmse = float(np.sqrt(np.mean((pred["forces"] - test.forces) ** 2)))
    summary["md17"] = {"steps": len(losses), "force_loss_first": losses[0],
                       "force_loss_last": losses[-1], "saved_model": saved,
                       "test_force_rmse_kcal_mol_A": rmse,
                       "reference_force_std": float(test.forces.std())}


def _adk_act(summary: Dict) -> None:
    import mindspore as ms
    from MDAnalysisTests.datafiles import DCD, PSF

    import cgmolct
    from cgmolct.models import MolCT
    from cgmolct.readouts import EnergyForceModel
    from topologies import build_graph

    graph = build_graph(PSF, DCD, mapping="ca", frames=slice(0, 4))
    ms.set_seed(1)
    act = MolCT(dim=32, n_heads=4, n_interactions=1, max_cycles=4, max_inference_cycles=6)
    res = cgmolct.predict(act, graph, outputs=("embedding", "ponder_steps", "attention"),
                          batch_size=2)
    ms.set_seed(2)
    energy = EnergyForceModel(MolCT(dim=32, n_heads=4, n_interactions=1, max_cycles=2,
                                    fixed_cycles=True))
    e0 = cgmolct.predict(energy, graph, outputs=("energy",), batch_size=2)["energy"]
    rot = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    turned = graph.select_frames(slice(None))
    turned.positions = (graph.positions @ rot.T + 5.0).astype(np.float32)
    e1 = cgmolct.predict(energy, turned, outputs=("energy",), batch_size=2)["energy"]
    summary["adk_ca"] = {"beads": graph.n_beads, "frames": graph.n_frames,
                         "embedding_shape": list(res["embedding"].shape),
                         "ponder_steps_min_max": [float(res["ponder_steps"].min()),
                                                  float(res["ponder_steps"].max())],
                         "attention_rows_sum_to_one": bool(np.allclose(res["attention"].sum(-1), 1, atol=1e-3)),
                         "rotation_energy_change_kcal_mol": float(np.abs(e1 - e0).max())}


def run_model_demo(out: Path) -> Dict[str, object]:
    """Run the demo into folder ``out``; returns ``{"ok", "summary", ...}``."""
    out = Path(out)
    summary: Dict[str, object] = {}
    _train_md17(out, summary)
    _adk_act(summary)
    (out / "model_summary.json").write_text(json.dumps(summary, indent=2))
    adk = summary["adk_ca"]
    ok = adk["attention_rows_sum_to_one"] and adk["rotation_energy_change_kcal_mol"] < 1e-2
    md = summary["md17"]
    if isinstance(md, dict):
        ok = ok and md["force_loss_last"] < md["force_loss_first"]
        text = (f"MolCT trained {md['steps']} force steps on MD17 ethanol (loss "
                f"{md['force_loss_first']:.1f} → {md['force_loss_last']:.1f}), saved/loaded, test "
                f"force RMSE {md['test_force_rmse_kcal_mol_A']:.1f} kcal/mol/Å; ")
    else:
        text = f"MD17 {md}; "
    text += (f"AdK CA ({adk['beads']} beads): ponder steps {adk['ponder_steps_min_max']}, "
             f"rotation ΔE {adk['rotation_energy_change_kcal_mol']:.1e} kcal/mol")
    return {"ok": bool(ok), "summary": text, **summary}
