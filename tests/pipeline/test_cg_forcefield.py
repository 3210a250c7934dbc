"""End to end: shipped reference → priors → training → simulation → FES, at a tiny size."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from cgmolct.errors import DataError, InputError


@pytest.fixture(scope="module")
def small_reference(tmp_path_factory):
    from cgmolct.reference import shipped_reference

    graph = shipped_reference("backbone").select_frames(slice(0, 2000, 4))   # 500 frames
    path = tmp_path_factory.mktemp("ref") / "ala2_backbone.npz"
    graph.save(str(path))
    return path


def test_pipeline_end_to_end(small_reference, tmp_path):
    from cgmolct.pipeline import run_cg_forcefield

    out = tmp_path / "run"
    s = run_cg_forcefield(str(small_reference), out, model="NIU1", dim=8, max_time_s=15,
                          max_epochs=2, batch_size=50, schedule="cosine", replicas=2,
                          sim_steps=100, save_every=50, noise_frames=50, n_resamples=20, threads=2)
    for key in ("reference", "priors", "delta", "config", "png"):
        assert Path(s["files"][key]).exists(), key
    assert (out / "model" / "priors.json").is_file()
    assert (out / "model" / "model.json").is_file() or any((out / "model").iterdir())
    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk["format"] == "cgmolct-cg-forcefield" and on_disk["format_version"] == 1
    from cgmolct.pipeline.cg_forcefield import read_summary

    assert read_summary(out) == on_disk
    for x in (s["fes"]["js"], s["fes"]["js_noise_floor"], s["force_noise_floor"]["rmse"],
              s["simulation"]["replica_steps_per_s"]):
        assert math.isfinite(x)
    assert s["simulation"]["frames_per_replica"] == 3
    assert set(s["priors"]["terms"]) >= {"bonds", "angles", "dihedrals"}
    cfg = json.loads((out / "train.json").read_text())
    assert cfg["task"] == "forces" and cfg["data"]["format"] == "graph"
    assert cfg["optimizer"]["schedule"] == "cosine" and s["training"]["schedule"] == "cosine"
    assert cfg["training"]["max_epochs"] == 2 and s["training"]["epochs"] <= 2
    with pytest.raises(InputError, match="already holds"):
        run_cg_forcefield(str(small_reference), out, max_time_s=1)
    # a finished training of the same configuration is kept; only the steps after it rerun
    options = dict(model="NIU1", dim=8, max_time_s=15, max_epochs=2, batch_size=50,
                   schedule="cosine", replicas=2, sim_steps=100, save_every=50, noise_frames=50,
                   n_resamples=20, threads=2, overwrite=True, reuse_training=True)
    trained = (out / "train" / "summary.json").read_text()
    weights = (out / "train" / "last.npz").stat().st_mtime_ns
    again = run_cg_forcefield(str(small_reference), out, **options)
    assert (out / "train" / "summary.json").read_text() == trained
    assert (out / "train" / "last.npz").stat().st_mtime_ns == weights
    assert again["training"]["valid_force_rmse"] == s["training"]["valid_force_rmse"]
    with pytest.raises(InputError, match="configured differently"):
        run_cg_forcefield(str(small_reference), out, **{**options, "dim": 16})


def test_graph_without_forces_is_our_error(small_reference, tmp_path):
    from topologies import CGGraph

    from cgmolct.pipeline import run_cg_forcefield

    g = CGGraph.load(str(small_reference))
    bare = g._replace(forces=None)
    path = tmp_path / "bare.npz"
    bare.save(str(path))
    with pytest.raises(DataError, match="no forces"):
        run_cg_forcefield(str(path), tmp_path / "out")


def test_bad_inputs(tmp_path):
    from cgmolct.pipeline import run_cg_forcefield

    with pytest.raises(InputError, match="does not exist"):
        run_cg_forcefield(str(tmp_path / "missing.npz"), tmp_path / "out")
    with pytest.raises(InputError, match="replicas"):
        run_cg_forcefield(str(tmp_path / "missing.npz"), tmp_path / "out", replicas=0)
    with pytest.raises(InputError, match="schedule must be one of"):
        run_cg_forcefield(str(tmp_path / "missing.npz"), tmp_path / "out", schedule="linear")


def test_noise_floor_of_pure_noise(small_reference):
    """Forces that are pure noise of known variance: the estimate recovers it."""
    from topologies import CGGraph

    from cgmolct.pipeline import force_noise_floor

    rng = np.random.default_rng(0)
    g0 = CGGraph.load(str(small_reference))
    pos = g0.positions[0][None] + 0.01 * rng.normal(size=(400, 5, 3))
    forces = 1.5 * rng.normal(size=(400, 5, 3))
    g = g0._replace(positions=pos.astype(np.float32), forces=forces.astype(np.float32),
                    labels={})
    est = force_noise_floor(g, n_frames=200)
    assert est["rmse"] == pytest.approx(1.5, rel=0.1)
