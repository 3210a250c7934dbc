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


def test_two_workers_from_the_cli_killed_then_resumed(tmp_path, cobrotoxin_graph):
    """``--workers 2``: kill worker 1 after a checkpoint; the run stops within 60 s naming it,
    and ``--resume`` finishes it (issue 13)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    psutil = pytest.importorskip("psutil")
    from cgmolct.train.checkpoint import read_checkpoint

    cfg = _config(tmp_path, cobrotoxin_graph)
    env = dict(os.environ, GLOG_v="3")
    cmd = [sys.executable, "-m", "cgmolct.cli", "train", str(cfg), "--workers", "2"]
    proc = subprocess.Popen(cmd + ["--max-epochs", "50"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    last = tmp_path / "run" / "last.npz"
    deadline, killed_at = time.time() + 600, None
    while time.time() < deadline and proc.poll() is None and killed_at is None:
        if last.exists():
            try:
                epoch = read_checkpoint(last)[0]["state"]["epoch"]
            except Exception:  # being replaced
                epoch = 0
            if epoch >= 1:
                for child in psutil.Process(proc.pid).children(recursive=True):
                    try:
                        if child.environ().get("MS_NODE_ID") == "1" and \
                                child.environ().get("MS_ROLE") == "MS_WORKER":
                            child.send_signal(signal.SIGKILL)
                            killed_at = time.time()
                    except psutil.Error:
                        pass
        time.sleep(0.2)
    assert killed_at is not None, "no checkpoint appeared"
    out, err = proc.communicate(timeout=120)
    assert time.time() - killed_at < 60
    assert proc.returncode == 1 and "worker 1 stopped (signal 9)" in err and "--resume" in err
    epoch = read_checkpoint(last)[0]["state"]["epoch"]
    done = subprocess.run(cmd + ["--resume", "--max-epochs", str(epoch + 1), "--json"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["workers"] == 2 and summary["epochs"] == epoch + 1
    assert summary["resumed_from"]["epoch"] == epoch
