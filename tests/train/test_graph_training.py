"""Job 1 feeds job 2: a CG graph built by ``cgmolct graph build`` from a real trajectory with
forces (cobrotoxin TRR, CA+CB) trains from the command line as ``data.format: graph`` with the
forces-only task, resumes, and evaluates; configuration mistakes are named."""
from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("mindspore")
mdt = pytest.importorskip("MDAnalysisTests.datafiles")

from cgmolct.cli import main  # noqa: E402
from cgmolct.errors import ConfigError  # noqa: E402
from cgmolct.train.config import validate_config  # noqa: E402


@pytest.fixture(scope="module")
def cobrotoxin_graph(tmp_path_factory):
    out = tmp_path_factory.mktemp("graph") / "cobro_cacb"
    assert main(["graph", "build", mdt.TPR_xvf, mdt.TRR_xvf, "-m", "cacb", "-o", str(out)]) == 0
    return out


def _config(tmp_path, graph, **data):
    cfg = {"task": "forces", "output": str(tmp_path / "run"), "seed": 0,
           "data": {"format": "graph", "train": str(graph), "split": {"valid": 1, "seed": 0},
                    "cutoff": 8.0, **data},
           "model": {"representation": "NIU1", "dim": 16},
           "optimizer": {"lr": 1e-3, "schedule": "constant"},
           "training": {"batch_size": 1, "max_epochs": 2, "progress": False, "threads": 1}}
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(cfg))
    return path


def test_graph_build_train_resume_eval(tmp_path, cobrotoxin_graph, capsys):
    cfg = _config(tmp_path, cobrotoxin_graph)
    assert main(["train", str(cfg), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["task"] == "forces" and first["steps"] == 4 and first["epochs"] == 2
    assert first["converged"] is False and first["threads"] == 1
    assert main(["train", str(cfg), "--resume", "--max-epochs", "3", "--json"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["resumed_from"]["epoch"] == 2 and second["steps"] == 6
    assert main(["eval", str(tmp_path / "run" / "best.npz"), str(cobrotoxin_graph), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)["metrics"]
    assert set(metrics) == {"forces"} and metrics["forces"]["count"] == 3 * 117 * 3
    assert np.isfinite(metrics["forces"]["mae"])


def test_energy_task_on_forces_only_graph_points_to_forces(tmp_path, cobrotoxin_graph, capsys):
    import topologies

    graph = topologies.CGGraph.load(str(cobrotoxin_graph))
    assert graph.energies is None  # a CG trajectory: mapped forces, no energies
    cfg = json.loads(_config(tmp_path, cobrotoxin_graph).read_text())
    cfg["task"] = "energy_forces"
    (tmp_path / "e.json").write_text(json.dumps(cfg))
    assert main(["train", str(tmp_path / "e.json")]) == 2
    assert "use task 'forces'" in capsys.readouterr().err


def test_split_configuration_errors(tmp_path, cobrotoxin_graph):
    raw = json.loads(_config(tmp_path, cobrotoxin_graph).read_text())
    both = json.loads(json.dumps(raw))
    both["data"]["valid"] = str(cobrotoxin_graph)
    with pytest.raises(ConfigError, match="data.split and data.valid both given"):
        validate_config(both, "cfg.json")
    neither = json.loads(json.dumps(raw))
    del neither["data"]["split"]
    with pytest.raises(ConfigError, match="give data.valid, or data.split"):
        validate_config(neither, "cfg.json")
    typo = json.loads(json.dumps(raw))
    typo["data"]["split"] = {"vaild": 0.1}
    with pytest.raises(ConfigError, match="data.split.vaild"):
        validate_config(typo, "cfg.json")
