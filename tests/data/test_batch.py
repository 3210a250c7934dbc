"""Padded batches: each molecule keeps its data, relation codes come from the graph."""
from __future__ import annotations

import numpy as np
import pytest
from topologies import CGGraph

from cgmolct.data import keys as K
from cgmolct.data.batch import collate, graph_batches
from cgmolct.data.dataset import MolecularDataset
from cgmolct.errors import DataError


def chain_graph(n, n_frames, seed, chain_break=None):
    """A CA-like chain of residue beads with a bond along it and forces/energies."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(size=(n_frames, n, 3))
    steps /= np.linalg.norm(steps, axis=-1, keepdims=True) / 3.8
    pos = np.cumsum(steps, axis=1)
    seg = np.zeros(n, int)
    if chain_break is not None:
        seg[chain_break:] = 1
    bonds = np.array([[i, i + 1] for i in range(n - 1) if seg[i] == seg[i + 1]])
    return CGGraph(120 + rng.integers(0, 20, n), pos, bonds=bonds, bond_types=np.full(len(bonds), 6),
                   chain_position=np.arange(n), segment_index=seg, polymer=np.ones(n, bool),
                   forces=rng.normal(size=(n_frames, n, 3)), energies=rng.normal(size=n_frames))


def test_two_molecules_of_different_sizes_keep_their_data():
    small, large = chain_graph(7, 2, 0), chain_graph(30, 3, 1, chain_break=12)
    ds = MolecularDataset.from_graphs([small, large])
    batch = ds.batch([1, 4], cutoff=8.0)           # frame 1 of small, frame 2 of large
    assert batch[K.TYPES].shape == (2, 32)          # 30 beads -> bucket 32
    assert batch[K.N_BEADS].tolist() == [7, 30]
    for row, (g, f) in enumerate([(small, 1), (large, 2)]):
        n = g.n_beads
        np.testing.assert_array_equal(batch[K.TYPES][row, :n], g.types)
        assert np.all(batch[K.TYPES][row, n:] == 0) and not batch[K.ATOM_MASK][row, n:].any()
        np.testing.assert_allclose(batch[K.POSITIONS][row, :n], g.positions[f])
        np.testing.assert_allclose(batch[K.FORCES][row, :n], g.forces[f])
        assert batch[K.ENERGY][row] == pytest.approx(g.energies[f])
        # neighbours: exactly the pairs within the cutoff of this molecule
        d = np.linalg.norm(g.positions[f][:, None] - g.positions[f][None], axis=-1)
        want = {(i, j) for i in range(n) for j in range(n) if i != j and d[i, j] <= 8.0}
        i, k = np.nonzero(batch[K.NEIGHBOUR_MASK][row])
        assert set(zip(i.tolist(), batch[K.NEIGHBOURS][row][i, k].tolist())) == want
        assert np.all(batch[K.NEIGHBOURS][row][~batch[K.NEIGHBOUR_MASK][row]] == 0)
    assert batch[K.FRAME_INDEX].tolist() == [1, 2] and batch[K.SYSTEM_INDEX].tolist() == [0, 1]


def test_relation_codes_match_the_graph():
    g = chain_graph(25, 1, 2, chain_break=10)
    batch = next(graph_batches(g, batch_size=1, cutoff=6.0, max_separation=2))
    i, k = np.nonzero(batch[K.REL_MASK][0])
    j = batch[K.REL_NEIGHBOURS][0][i, k]
    got = batch[K.REL_CODES][0][i, k]
    pairs = np.stack([i, j], 1)
    np.testing.assert_array_equal(got, g.relation_codes(pairs))
    assert {tuple(p) for p in pairs.tolist()} == {tuple(p) for p in g.relational_pairs(2).tolist()}
    # no relational pair across the chain break (segments 0..9 and 10..24)
    assert not np.any((i < 10) & (j >= 10))


def test_edge_pairs_beyond_the_cutoff_and_their_codes():
    g = chain_graph(20, 2, 3)
    pairs = np.array([[0, 19], [2, 10], [5, 6]])
    contacts = np.array([[0, 1, 1], [1, 0, 1]], np.float32)
    ds = MolecularDataset.from_graphs(g, pairs=pairs, contacts=contacts)
    batch = ds.batch([0, 1], cutoff=4.0)
    assert batch[K.PAIRS].shape == (2, 8, 2)
    np.testing.assert_array_equal(batch[K.PAIRS][1, :3], pairs)
    np.testing.assert_array_equal(batch[K.PAIR_CODES][0, :3], g.relation_codes(pairs))
    np.testing.assert_array_equal(batch[K.CONTACTS][:, :3], contacts)
    assert batch[K.PAIR_MASK].sum() == 6


def test_graph_batches_cover_every_frame_in_order_and_pad_the_batch():
    graphs = [chain_graph(9, 5, 4), chain_graph(14, 2, 5)]
    batches = list(graph_batches(graphs, batch_size=3, cutoff=6.0, batch_capacity=3))
    assert [b[K.TYPES].shape[0] for b in batches] == [3, 3, 3]
    sys_idx = np.concatenate([b[K.SYSTEM_INDEX][b[K.SAMPLE_MASK]] for b in batches])
    frm_idx = np.concatenate([b[K.FRAME_INDEX][b[K.SAMPLE_MASK]] for b in batches])
    assert sys_idx.tolist() == [0] * 5 + [1] * 2 and frm_idx.tolist() == [0, 1, 2, 3, 4, 0, 1]
    last = batches[-1]
    assert last[K.SAMPLE_MASK].tolist() == [True, False, False]
    assert not last[K.ATOM_MASK][1:].any() and not last[K.NEIGHBOUR_MASK][1:].any()
    assert last[K.FRAME_INDEX].tolist() == [1, -1, -1]


def test_dense_and_tree_paths_agree():
    g = chain_graph(40, 2, 6)
    ds = MolecularDataset.from_graphs(g)
    a = ds.batch([0, 1], cutoff=7.0, method="auto", neighbour_capacity=64)
    b = ds.batch([0, 1], cutoff=7.0, method="kdtree", neighbour_capacity=64)
    for row in range(2):
        sa = {(i, a[K.NEIGHBOURS][row, i, k]) for i, k in zip(*np.nonzero(a[K.NEIGHBOUR_MASK][row]))}
        sb = {(i, b[K.NEIGHBOURS][row, i, k]) for i, k in zip(*np.nonzero(b[K.NEIGHBOUR_MASK][row]))}
        assert sa == sb and len(sa) > 0


def test_forced_capacities_and_errors():
    g = chain_graph(20, 1, 7)
    ds = MolecularDataset.from_graphs(g)
    b = ds.batch([0], cutoff=5.0, bead_capacity=64, neighbour_capacity=10, rel_capacity=12)
    assert b[K.POSITIONS].shape == (1, 64, 3) and b[K.NEIGHBOURS].shape == (1, 64, 10)
    assert b[K.REL_NEIGHBOURS].shape == (1, 64, 12)
    with pytest.raises(DataError, match="bead capacity is 16"):
        ds.batch([0], bead_capacity=16)
    with pytest.raises(DataError, match="neighbour capacity is 1"):
        ds.batch([0], cutoff=30.0, neighbour_capacity=1)
    with pytest.raises(DataError, match="zero samples"):
        collate([])
    s = ds.sample(0)
    s["positions"] = s["positions"][:5]
    with pytest.raises(DataError, match=r"positions has shape \(5, 3\); expected \(20, 3\)"):
        collate([s])


def test_truncation_keeps_the_nearest_and_warns():
    g = chain_graph(12, 1, 8)
    ds = MolecularDataset.from_graphs(g)
    with pytest.warns(UserWarning, match="dropped"):
        b = ds.batch([0], cutoff=None, neighbour_capacity=3, overflow="truncate")
    x = g.positions[0]
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    for i in range(12):
        got = set(b[K.NEIGHBOURS][0, i][b[K.NEIGHBOUR_MASK][0, i]].tolist())
        assert got == set(np.argsort(d[i])[:3].tolist())


def test_periodic_neighbours_through_the_boundary_are_refused():
    """A gas of beads filling a periodic box has pairs that exist only through the boundary;
    the models measure distances without image shifts, so the batch is refused (see
    tests/data/test_periodic.py for whole molecules in a box)."""
    rng = np.random.default_rng(9)
    box = np.array([[12.0, 12.0, 12.0, 90, 90, 90]] * 2, np.float32)
    g = CGGraph(np.full(40, 243), rng.random((2, 40, 3)) * 12.0, box=box)
    with pytest.raises(DataError, match="only through the periodic boundary"):
        MolecularDataset.from_graphs(g).batch([0, 1], cutoff=4.0)


def test_one_pair_array_serves_every_graph():
    graphs = [chain_graph(8, 2, 10), chain_graph(8, 1, 11)]
    pairs = np.array([[0, 7], [2, 5]])
    ds = MolecularDataset.from_graphs(graphs, pairs=pairs)
    b = ds.batch([0, 2], cutoff=5.0)
    np.testing.assert_array_equal(b[K.PAIRS][1, :2], pairs)
    np.testing.assert_array_equal(b[K.PAIR_CODES][1, :2], graphs[1].relation_codes(pairs))
    with pytest.raises(DataError, match="one \\(frames, pairs\\) array per graph"):
        MolecularDataset.from_graphs(graphs, pairs=pairs, contacts=np.zeros((2, 2)))
