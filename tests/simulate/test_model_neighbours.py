"""A network potential (+ priors): neighbour lists with a skin equal all pairs; energies add."""
from __future__ import annotations

import numpy as np
import pytest

from cgmolct.simulate import Simulation

from .cells import HarmonicWells, pair_potential
from .helpers import base_positions, chain_graph


@pytest.fixture(scope="module")
def system():
    import mindspore as ms
    from cgmolct.models import MolCT
    from cgmolct.readouts import EnergyForceModel

    ms.set_seed(7)
    model = EnergyForceModel(MolCT(dim=16, n_heads=2, n_interactions=1, r_cut=6.0))
    graph = chain_graph(12, n_frames=3, seed=4)
    wells = HarmonicWells(base_positions(graph), k=1.0, bonds=graph.bonds, k_bond=5.0)
    return model, graph, wells


def test_skin_lists_follow_all_pairs():
    """A pair potential with a 6 Å cutoff: lists with a 1 Å skin give the all-pairs run."""
    graph = chain_graph(12, n_frames=3, seed=4)
    wells = HarmonicWells(base_positions(graph), k=1.0, bonds=graph.bonds, k_bond=5.0)
    common = dict(n_replicas=2, dt=0.002, friction=1.0, temperature=300.0, seed=3,
                  steps_per_call=10, masses=20.0)
    dense = Simulation(pair_potential(6.0, priors=wells), graph, **common)
    lists = Simulation(pair_potential(6.0, priors=wells), graph, dense_limit=4, skin=1.0,
                       **common)
    assert dense.neighbours.dense and not lists.neighbours.dense
    assert lists.neighbours.capacity < 11          # a list, not all 11 other beads
    a, b = dense.get_state(), lists.get_state()
    np.testing.assert_allclose(a.forces, b.forces, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(a.potential, b.potential, rtol=1e-6, atol=1e-5)
    dense.advance(200)
    lists.advance(200)
    a, b = dense.get_state(), lists.get_state()
    np.testing.assert_allclose(a.positions, b.positions, atol=2e-4)
    assert lists.neighbours.n_builds > 2          # rebuilt after the first build of each replica
    assert np.abs(a.positions - np.asarray(graph.positions[dense.start_frames])).max() > 0.5
    assert np.abs(a.forces).max() > 0


def test_network_plus_priors_in_the_loop(system):
    """Initial forces = network + priors (evaluated apart, eagerly); the loop runs the model."""
    from mindspore import Tensor, ops

    model, graph, wells = system
    sim = Simulation(model, graph, priors=wells, n_replicas=2, seed=1, steps_per_call=5)
    both = sim.get_state()
    x = Tensor(both.positions)
    e_net, f_net = model(*(t if i != 1 else x for i, t in enumerate(
        (sim._rest[0], None) + sim._rest[1:])))
    e_pri = wells(x)
    f_pri = -ops.grad(lambda p: wells(p).sum())(x)
    np.testing.assert_allclose(both.potential, e_net.asnumpy() + e_pri.asnumpy(), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(both.forces, f_net.asnumpy() + f_pri.asnumpy(), rtol=1e-4, atol=1e-4)
    assert np.abs(f_net.asnumpy()).max() > 0 and np.abs(f_pri.asnumpy()).max() > 0
    sim.advance(10)
    st = sim.get_state()
    assert st.step == 10 and np.all(np.isfinite(st.positions)) and np.all(np.isfinite(st.forces))
    assert np.abs(st.positions - both.positions).max() > 0
    # the loop computes the position-independent features (embedding + RME) once per call:
    # its last forces are still the whole model's at the final positions
    x = Tensor(st.positions)
    e_net, f_net = model(*(t if i != 1 else x for i, t in enumerate(
        (sim._rest[0], None) + sim._rest[1:])))
    f_pri = -ops.grad(lambda p: wells(p).sum())(x)
    np.testing.assert_allclose(st.forces, f_net.asnumpy() + f_pri.asnumpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(st.potential, e_net.asnumpy() + wells(x).asnumpy(), rtol=1e-5, atol=1e-4)


def test_restart_with_neighbour_lists_is_exact(tmp_path):
    """Lists are rebuilt from the saved build positions: the restarted run is bit-identical."""
    graph = chain_graph(12, n_frames=3, seed=4)
    wells = HarmonicWells(base_positions(graph), k=1.0, bonds=graph.bonds, k_bond=5.0)
    common = dict(n_replicas=2, dt=0.002, friction=1.0, temperature=300.0, seed=3,
                  steps_per_call=10, masses=20.0, dense_limit=4, skin=1.0)
    whole = Simulation(pair_potential(6.0, priors=wells), graph, **common)
    whole.run(100, tmp_path / "whole", save_every=50, progress=False)
    first = Simulation(pair_potential(6.0, priors=wells), graph, **common)
    first.run(50, tmp_path / "pieces", save_every=50, progress=False)
    second = Simulation(pair_potential(6.0, priors=wells), graph, **common)
    second.run(50, tmp_path / "pieces", save_every=50, progress=False,
               restart=tmp_path / "pieces" / "state.npz")
    a, b = whole.get_state(), second.get_state()
    assert whole.neighbours.n_builds > 2
    for name in ("positions", "velocities", "forces"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
