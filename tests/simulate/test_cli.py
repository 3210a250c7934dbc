"""``cgmolct simulate``: a saved model on a saved graph, restart to the total step count, exit codes."""
from __future__ import annotations

import json

import numpy as np
import pytest

from cgmolct.cli import main
from cgmolct.simulate import load_state, load_trajectory

from .helpers import chain_graph


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    import mindspore as ms

    import cgmolct
    from cgmolct.models import MolCT
    from cgmolct.readouts import EnergyForceModel

    root = tmp_path_factory.mktemp("cli")
    ms.set_seed(3)
    cgmolct.save(EnergyForceModel(MolCT(dim=8, n_heads=2, n_interactions=1, r_cut=8.0)),
                 root / "model")
    act = EnergyForceModel(MolCT(dim=8, n_heads=2, n_interactions=1, max_cycles=2))
    cgmolct.save(act, root / "act_model")
    chain_graph(5, n_frames=3, mass=50.0).save(str(root / "graph.npz"))
    (root / "broken.npz").write_text("not a graph")
    return root


def _args(files, out, *extra):
    return ["simulate", str(files / "model"), str(files / "graph.npz"), "-o", str(out),
            "--replicas", "2", "--save-every", "10", "--steps-per-call", "10", "--no-progress",
            *extra]


def test_run_and_restart(files, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(_args(files, out, "--steps", "20", "--seed", "4", "--json")) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["first_step"], summary["last_step"], summary["frames"]) == (0, 20, 3)
    assert main(_args(files, out, "--steps", "40", "--seed", "4",
                      "--restart", str(out / "state.npz"))) == 0
    assert "steps 20-40" in capsys.readouterr().out
    state = load_state(out / "state.npz")
    assert state.step == 40 and state.positions.shape == (2, 5, 3)
    u = load_trajectory(out, 1)
    assert u.trajectory.n_frames == 5                      # steps 0, 10, 20 | 30, 40
    np.testing.assert_allclose(u.trajectory[-1].positions, state.positions[1], atol=1e-5)
    settings = json.loads((out / "simulation.json").read_text())
    assert [p["first_step"] for p in settings["pieces"]] == [0, 20]
    assert settings["units"]["time"] == "ps" and settings["dt_ps"] == 0.002


@pytest.mark.parametrize("extra, words", [
    (("--steps", "10", "--dt", "-1"), "time step"),
    (("--steps", "10", "--replicas", "0"), "--replicas"),
    (("--steps", "-5",), "--steps"),
    (("--steps", "10", "--restart", "nowhere.npz"), "restart state file does not exist"),
    (("--steps", "10", "--temperatures", "300,350"), "--exchange-every"),
    (("--steps", "10", "--temperatures", "300,x", "--exchange-every", "5"), "comma"),
    (("--steps", "10", "--exchange-every", "5"), "ladder"),
])
def test_bad_arguments_exit_2(files, tmp_path, capsys, extra, words):
    assert main(_args(files, tmp_path / "o", *extra)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cgmolct: error:") and words in err and len(err.splitlines()) == 1


def test_bad_files_exit_2(files, tmp_path, capsys):
    base = ["-o", str(tmp_path / "o"), "--steps", "10", "--no-progress"]
    assert main(["simulate", str(tmp_path / "missing"), str(files / "graph.npz"), *base]) == 2
    assert "model folder does not exist" in capsys.readouterr().err
    assert main(["simulate", str(files / "model"), str(files / "broken.npz"), *base]) == 2
    assert "broken.npz" in capsys.readouterr().err
    assert main(["simulate", str(files / "act_model"), str(files / "graph.npz"), *base]) == 2
    assert "fixed_cycles=True" in capsys.readouterr().err
