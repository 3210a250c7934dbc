"""``cgmolct fes REF SIMULATION_FOLDER``: replicas read from the simulator's writer, frames at one bath."""
from __future__ import annotations

import json

import numpy as np
import pytest

from cgmolct.analysis import dihedral_angles, is_simulation_folder, simulation_angles
from cgmolct.cli import main
from cgmolct.errors import InputError

from ..priors.helpers import alanine_like, graph_of


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """Two replicas that swap baths (300 K / 350 K) half way, written by the simulator's writer."""
    writers = pytest.importorskip("cgmolct.simulate.writers")
    folder = tmp_path_factory.mktemp("sim")
    pos, *_ = alanine_like(400, seed=41)
    graph = graph_of(pos)
    w = writers.TrajectoryWriter(folder, graph, 2, part=0, frame_dt=1.0, first_step=0, save_every=10)
    frames = pos.reshape(200, 2, 5, 3)
    for s in range(200):
        bath = np.array([300.0, 350.0]) if s < 100 else np.array([350.0, 300.0])
        w.write(10 * s, float(s), frames[s], np.zeros(2), np.zeros(2), bath, bath)
    w.close()
    return {"folder": folder, "graph": graph.save(folder.parent / "ref.npz"), "frames": frames}


def test_frames_at_the_bath_temperature(sim):
    assert is_simulation_folder(sim["folder"])
    out = simulation_angles(sim["folder"], 300.0)
    assert out["replicas"] == [0, 1] and out["frames_per_replica"] == [100, 100]
    f = sim["frames"]
    expected = np.concatenate([f[:100, 0], f[100:, 1]])
    phi = np.mod(dihedral_angles(expected, [[0, 1, 2, 3]], degrees=True)[:, 0] + 180, 360) - 180
    assert np.allclose(out["x"], phi, atol=1e-3)
    assert simulation_angles(sim["folder"], 350.0, replicas=[1])["n_frames"] == 100
    with pytest.raises(InputError, match="no frame"):
        simulation_angles(sim["folder"], 400.0)
    with pytest.raises(InputError, match="replica"):
        simulation_angles(sim["folder"], 300.0, replicas=[5])


def test_cli_reads_a_simulation_folder(sim, capsys):
    assert main(["fes", sim["graph"], str(sim["folder"]), "--json", "--resamples", "20"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cg"]["n_frames"] == 200 and out["reference"]["n_frames"] == 400
    assert main(["fes", sim["graph"], str(sim["folder"]), "--cg-top", sim["graph"]]) == 2
    assert "drop --cg-top" in capsys.readouterr().err
