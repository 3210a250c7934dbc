"""The simulation loop: exact restarts, blow-ups, compilation count, files."""
from __future__ import annotations

import re

import numpy as np
import pytest

from cgmolct.errors import InputError, SimulationError
from cgmolct.simulate import Simulation, load_state, load_trajectory
from cgmolct.simulate.writers import ENERGY_COLUMNS

from .cells import Exploding, HarmonicWells
from .helpers import base_positions, chain_graph


@pytest.fixture
def compile_counter(monkeypatch):
    """Counts graphs compiled by ms.jit (new entries of MindSpore's compile cache)."""
    from mindspore.graph import api

    count = {"n": 0}
    original = api._JitExecutor.compile

    def counting(self, *args, **kwargs):
        before = len(api.ms_compile_cache)
        phase = original(self, *args, **kwargs)
        count["n"] += len(api.ms_compile_cache) > before
        return phase

    monkeypatch.setattr(api._JitExecutor, "compile", counting)
    return count


def _sim(graph, **kw):
    wells = HarmonicWells(base_positions(graph), k=2.0, bonds=graph.bonds, k_bond=5.0)
    options = dict(n_replicas=3, dt=0.002, friction=1.0, temperature=300.0, seed=5,
                   steps_per_call=20)
    options.update(kw)
    return Simulation(None, graph, priors=wells, **options)


@pytest.mark.parametrize("tempering", [False, True])
def test_restart_equals_uninterrupted_run(tmp_path, tempering):
    g = chain_graph(5)
    pt = dict(temperature=[280.0, 300.0, 320.0], exchange_every=10) if tempering else {}
    whole = _sim(g, **pt)
    whole.run(120, tmp_path / "whole", save_every=30, progress=False)

    first = _sim(g, **pt)
    first.run(60, tmp_path / "pieces", save_every=30, progress=False)
    second = _sim(g, seed=99, **pt)       # the seed is replaced by the saved generator state
    res = second.run(60, tmp_path / "pieces", save_every=30, progress=False,
                     restart=tmp_path / "pieces" / "state.npz")
    assert (res.first_step, res.last_step) == (60, 120)

    a, b = whole.get_state(), second.get_state()
    for name in ("positions", "velocities", "forces", "potential"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.rng_state == b.rng_state and a.step == b.step == 120
    np.testing.assert_array_equal(whole.temperatures, second.temperatures)
    if tempering:
        assert whole.tempering.attempts.sum() == 12 and whole.tempering.accepted.sum() > 0
        np.testing.assert_array_equal(whole.tempering.accepted, second.tempering.accepted)
    for r in range(3):
        ua, ub = load_trajectory(tmp_path / "whole", r), load_trajectory(tmp_path / "pieces", r)
        assert ua.trajectory.n_frames == ub.trajectory.n_frames == 5   # steps 0, 30, ..., 120
        xa = np.stack([ts.positions.copy() for ts in ua.trajectory])
        xb = np.stack([ts.positions.copy() for ts in ub.trajectory])
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_allclose(xa[-1], a.positions[r], atol=1e-6)
    assert (tmp_path / "whole" / "energies.csv").read_text() == \
        (tmp_path / "pieces" / "energies.csv").read_text()
    header = (tmp_path / "whole" / "energies.csv").read_text().splitlines()[0]
    assert header.split(",") == list(ENERGY_COLUMNS)


def test_no_recompile_after_first_call(compile_counter, tmp_path):
    g = chain_graph(5)
    sim = _sim(g, steps_per_call=10)
    sim.advance(10)
    after_first = compile_counter["n"]
    assert after_first >= 1
    sim.advance(37)                        # full calls and a shorter tail call (7 steps)
    sim.run(25, tmp_path / "out", save_every=5, progress=False)
    assert compile_counter["n"] == after_first
    assert sim.calls >= 9 and len(sim.shapes) == 1


def test_blow_up_names_replica_and_step(tmp_path):
    g = chain_graph(5)
    sim = Simulation(None, g, priors=Exploding(), n_replicas=2, dt=0.002, friction=1.0,
                     seed=1, steps_per_call=5)
    with pytest.raises(SimulationError) as info:
        sim.run(2000, tmp_path / "boom", save_every=5, progress=False)
    message = str(info.value)
    found = re.search(r"replica (\d+) blew up at step (\d+)", message)
    assert found, message
    replica, step = int(found.group(1)), int(found.group(2))
    assert replica in (0, 1) and 0 < step < 2000
    # everything written so far is readable; the state is the last good one
    u = load_trajectory(tmp_path / "boom", replica)
    assert u.trajectory.n_frames >= 1
    assert np.all(np.isfinite(u.trajectory[-1].positions))
    state = load_state(tmp_path / "boom" / "state.npz")
    assert state.step < step and np.all(np.isfinite(state.positions))
    rows = (tmp_path / "boom" / "energies.csv").read_text().splitlines()
    assert len(rows) == 1 + 2 * u.trajectory.n_frames


def test_advance_blow_up_without_files():
    sim = Simulation(None, chain_graph(4), priors=Exploding(), n_replicas=1, seed=2,
                     steps_per_call=8)
    with pytest.raises(SimulationError, match=r"replica 0 blew up at step \d+"):
        sim.advance(4000)


def test_fresh_run_refuses_existing_simulation(tmp_path):
    g = chain_graph(5)
    _sim(g).run(20, tmp_path / "o", save_every=10, progress=False)
    again = _sim(g)
    with pytest.raises(InputError, match="holds an earlier simulation"):
        again.run(20, tmp_path / "o", save_every=10, progress=False)
    again.run(20, tmp_path / "o", save_every=10, progress=False, overwrite=True)
    assert load_trajectory(tmp_path / "o", 0).trajectory.n_frames == 3


def test_input_checks():
    g = chain_graph(5)
    with pytest.raises(InputError, match="n_replicas"):
        _sim(g, n_replicas=0)
    with pytest.raises(InputError, match="bead 2"):
        _sim(g, masses=[1.0, 1.0, 0.0, 1.0, 1.0])
    with pytest.raises(InputError, match="start_frames"):
        _sim(g, start_frames=[0, 1, 99])
    with pytest.raises(InputError, match="time step"):
        _sim(g, dt=-1.0)
    with pytest.raises(InputError, match="CGGraph"):
        Simulation(None, "not a graph", priors=HarmonicWells(np.zeros((5, 3))))
    with pytest.raises(InputError, match="model, priors, or both"):
        Simulation(None, g)


def test_act_model_refused():
    from cgmolct.models import MolCT
    from cgmolct.readouts import EnergyForceModel

    act = EnergyForceModel(MolCT(dim=16, n_heads=2, n_interactions=1, max_cycles=2))
    with pytest.raises(InputError, match="adaptive computation time"):
        Simulation(act, chain_graph(5))


def test_outputs_after_the_saved_state_are_trimmed(tmp_path):
    """A crash between frame and state writes leaves extra frames; a restart drops them."""
    from cgmolct.simulate.writers import TrajectoryWriter, truncate_outputs

    g = chain_graph(4)
    w = TrajectoryWriter(tmp_path, g, 2, part=0, frame_dt=0.02, first_step=0, save_every=10)
    x = np.zeros((2, 4, 3), np.float32)
    for f in range(5):
        w.write(10 * f, 0.02 * f, x + f, np.zeros(2), np.ones(2), np.full(2, 300.0), np.full(2, 300.0))
    w.close()
    truncate_outputs(tmp_path, part=0, n_frames=3, last_step=20, n_replicas=2)
    u = load_trajectory(tmp_path, 1)
    assert u.trajectory.n_frames == 3
    np.testing.assert_allclose(u.trajectory[2].positions, x[1] + 2)
    steps = [int(r.split(",")[0]) for r in (tmp_path / "energies.csv").read_text().splitlines()[1:]]
    assert steps == [0, 0, 10, 10, 20, 20]


def test_max_separation_comes_from_the_saved_model():
    """One rule for every caller: the saved model's metadata, else 3 (also for priors only)."""
    from cgmolct.simulate.runner import DEFAULT_MAX_SEPARATION, saved_max_separation

    class Saved:
        saved_info = {"metadata": {"max_separation": 2}}

    class Potential:            # a CGPotential exposes its network as ``model``
        model = Saved()

    assert saved_max_separation(Saved()) == 2
    assert saved_max_separation(Potential()) == 2
    assert saved_max_separation(None) == DEFAULT_MAX_SEPARATION == 3
    for bad in ({"metadata": {"max_separation": "4"}}, {"metadata": {"max_separation": True}},
                {"metadata": None}, None):
        Saved.saved_info = bad
        assert saved_max_separation(Saved()) == 3
