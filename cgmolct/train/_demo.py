"""The ``train`` step of ``cgmolct demo``: a short MolCT run on MD17 ethanol with a resume.

Trains a small EA1 model (feature size 32) on 256 training frames for two epochs, stops,
resumes from ``last.npz`` for a third epoch (as after a crash), evaluates the best model on
the 1024 test frames and writes the run folder under ``<demo output>/train``.  Skipped (not
failed) when ``../shared/data`` is absent.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict


def _shared_data() -> Path:
    from ..data.shared import shared_data_dir

    return shared_data_dir()


def run_train_demo(out: Path) -> Dict[str, object]:
    """Run the demo training; return ``{"ok": bool, "summary": str}``."""
    from .config import validate_config
    from .metrics import format_metrics
    from .run import train

    data = _shared_data() / "md17_ethanol"
    files = {s: data / f"ethanol_kcal_A_{s}.npz" for s in ("train_1024", "valid_128", "test_1024")}
    if not all(p.exists() for p in files.values()):
        return {"ok": True, "summary": f"skipped: MD17 files not found under {data}"}
    raw = {
        "task": "energy_forces", "output": str(out / "train"), "seed": 0,
        "data": {"format": "md17", "train": str(files["train_1024"]), "valid": str(files["valid_128"]),
                 "test": str(files["test_1024"]), "limit": 256},
        "model": {"representation": "EA1", "dim": 32},
        "optimizer": {"lr": 1e-3, "schedule": "warmup_inverse_sqrt", "warmup": 20},
        "training": {"batch_size": 32, "max_epochs": 2, "checkpoint_every": 4},
    }
    first = train(validate_config(raw, "demo"), overwrite=True)
    raw["training"]["max_epochs"] = 3
    cfg = validate_config(raw, "demo")
    second = train(cfg, resume=True)
    test = second.get("test", {})
    print(format_metrics(test))
    (out / "train_summary.json").write_text(json.dumps({"first": first, "resumed": second},
                                                       indent=2, default=str))
    ok = second["status"].startswith("completed") and second["resumed_from"]["epoch"] == 2 \
        and all(m["mae"] == m["mae"] for m in test.values())
    from ..plots import force_parity, learning_curve
    import cgmolct
    from ..data.loaders import md17_graph

    figures = [learning_curve(out / "train", out / "figures" / "md17_learning_curve.png")]
    graph = md17_graph(files["test_1024"], frames=slice(0, 128))
    pred = cgmolct.predict(cgmolct.load(out / "train" / "best_model"), graph)
    figures.append(force_parity(pred["forces"], graph.forces, out / "figures" / "md17_forces.png",
                                title="MD17 ethanol test frames, EA1 demo model"))
    return {"ok": bool(ok), "figures": figures,
            "summary": (f"EA1 (dim 32, {second['n_params']:,} parameters) trained 2 epochs, resumed "
                        f"for a 3rd; test force MAE {test['forces']['mae']:.2f} kcal/mol/Å, energy MAE "
                        f"{test['energy']['mae']:.2f} kcal/mol (short demo run, not converged)")}
