"""A configuration run on real MD17 frames: normalisation from the data lands in the model,
survives the training checkpoint and the exported saved model, and cgmolct.load/predict use
the best model directly."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("mindspore")

import cgmolct  # noqa: E402
from cgmolct.data.loaders import load_md17, md17_graph  # noqa: E402
from cgmolct.data.normalisation import fit_normalisation  # noqa: E402
from cgmolct.train.config import validate_config  # noqa: E402
from cgmolct.train.run import evaluate_checkpoint, model_from_checkpoint, train  # noqa: E402

from ..conftest import require_shared  # noqa: E402


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    md17_paths = {split: require_shared(f"md17_ethanol/ethanol_kcal_A_{split}.npz")
                  for split in ("train_1024", "valid_128", "test_1024")}
    out = tmp_path_factory.mktemp("run")
    valid = str(md17_paths["valid_128"])
    cfg = validate_config({
        "task": "energy_forces", "output": str(out), "seed": 0,
        "data": {"format": "md17", "train": valid, "valid": valid, "limit": 24},
        "model": {"representation": "EA1", "dim": 8},
        "training": {"batch_size": 8, "max_epochs": 2, "threads": 1, "progress": False},
    }, "test")
    summary = train(cfg)
    return out, summary, md17_paths


def test_normalisation_round_trip(trained):
    out, summary, paths = trained
    ds = load_md17(paths["valid_128"]).subset(np.arange(24))
    norm = fit_normalisation(ds, "energy")
    model, meta = model_from_checkpoint(out / "best.npz")
    assert meta["normalisation"]["energy"] == norm.to_dict()
    readout = model.readout
    assert readout.scale.asnumpy()[0] == pytest.approx(norm.scale, rel=1e-6)
    assert readout.shift.asnumpy()[0] == pytest.approx(norm.shift, rel=1e-6)
    table = readout.reference.asnumpy()[:, 0]
    for t, v in norm.type_ref.items():
        assert table[t] == pytest.approx(v, rel=1e-6)
    loaded = cgmolct.load(out / "best_model")
    assert loaded.readout.get_config() == readout.get_config()


def test_best_model_is_a_saved_model_for_load_and_predict(trained):
    out, summary, paths = trained
    graph = md17_graph(paths["test_1024"], frames=slice(0, 16))
    loaded = cgmolct.load(out / "best_model")
    pred = cgmolct.predict(loaded, graph, ("energy", "forces"))
    ref, _ = model_from_checkpoint(out / "best.npz")
    pred_ckpt = cgmolct.predict(ref, graph, ("energy", "forces"))
    np.testing.assert_allclose(pred["energy"], pred_ckpt["energy"], rtol=1e-6)
    np.testing.assert_allclose(pred["forces"], pred_ckpt["forces"], rtol=1e-5, atol=1e-5)
    # physical units: the per-type references put energies near the data (about -97,196 kcal/mol)
    e_ref = graph.energies
    assert abs(pred["energy"].mean() - e_ref.mean()) < 5 * e_ref.std() + 1.0
    assert pred["forces"].shape == (16, 9, 3)


def test_eval_matches_predict_and_reports_units(trained):
    out, summary, paths = trained
    metrics = evaluate_checkpoint(out / "best.npz", paths["valid_128"])
    graph = md17_graph(paths["valid_128"])
    pred = cgmolct.predict(cgmolct.load(out / "best_model"), graph, ("energy", "forces"))
    assert metrics["energy"]["mae"] == pytest.approx(np.abs(pred["energy"] - graph.energies).mean(), rel=1e-4)
    assert metrics["forces"]["mae"] == pytest.approx(np.abs(pred["forces"] - graph.forces).mean(), rel=1e-4)
    assert metrics["energy"]["unit"] == "kcal/mol" and metrics["energy"]["count"] == 128
    assert summary["status"] == "completed (max_epochs reached)" and summary["steps"] == 6
    assert summary["converged"] is False  # a budget that ran out is not convergence


def test_qm9_multitask_labels_in_physical_units(tmp_path):
    train_path = require_shared("qm9/qm9_origin_validset_128.npz")
    cfg = validate_config({
        "task": "labels", "output": str(tmp_path / "qm9"), "seed": 0,
        "data": {"format": "qm9", "train": str(train_path), "valid": str(train_path), "limit": 16,
                 "labels": ["mu", "homo", "U0"]},
        "model": {"representation": "EA1", "dim": 8},
        "loss": {"label_weights": {"U0": 2.0}},
        "training": {"batch_size": 8, "max_epochs": 1, "threads": 1, "progress": False},
    }, "test")
    summary = train(cfg)
    assert summary["status"].startswith("completed")
    model, meta = model_from_checkpoint(tmp_path / "qm9" / "best.npz")
    assert meta["label_names"] == ["mu", "homo", "U0"]
    assert model.atomwise_columns == [2] and model.graph_columns == [0, 1]
    loaded = cgmolct.load(tmp_path / "qm9" / "best_model")
    assert loaded.get_config()["graph_scale"] == model.get_config()["graph_scale"]
    metrics = evaluate_checkpoint(tmp_path / "qm9" / "best.npz", train_path)
    assert list(metrics) == ["mu", "homo", "U0"]
    assert [m["unit"] for m in metrics.values()] == ["debye", "kcal/mol", "kcal/mol"]
    assert all(m["count"] == 128 for m in metrics.values())
    # U0 is about -2.5e5 kcal/mol: per-element references (fitted on 16 molecules, so
    # fluorine has none) keep the error of the untrained model at < 1 % of the value;
    # without them it would be ~100 %
    u0 = np.load(train_path)["label"][:, 7] / 4.184
    assert metrics["U0"]["mae"] < 0.01 * np.abs(u0).mean()
