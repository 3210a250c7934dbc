"""Splits are disjoint and reproducible; the iterator resumes with the same order."""
from __future__ import annotations

import json

import numpy as np
import pytest
from topologies import CGGraph

from cgmolct.data import keys as K
from cgmolct.data.dataset import MolecularDataset
from cgmolct.data.iterator import BatchIterator, IndexIterator
from cgmolct.data.splits import load_split, save_split, split_by_fraction
from cgmolct.errors import DataError


def test_fraction_splits_are_disjoint_complete_and_reproducible():
    a = split_by_fraction(1000, (0.8, 0.1, 0.1), seed=7)
    b = split_by_fraction(1000, (0.8, 0.1, 0.1), seed=7)
    c = split_by_fraction(1000, (0.8, 0.1, 0.1), seed=8)
    assert [len(s) for s in a] == [800, 100, 100]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[1], c[1])
    allidx = np.concatenate(a)
    assert len(np.unique(allidx)) == 1000
    counts = split_by_fraction(50, (10, 5), seed=1)
    assert [len(s) for s in counts] == [10, 5] and not set(counts[0]) & set(counts[1])
    with pytest.raises(DataError, match="sum to at most 1"):
        split_by_fraction(10, (0.8, 0.5))


def test_index_file_round_trip_and_errors(tmp_path):
    train, valid = split_by_fraction(20, (0.5, 0.5), seed=0)
    path = save_split(tmp_path / "split.json", {"train": train, "valid": valid}, 20)
    back = load_split(path, 20)
    np.testing.assert_array_equal(back["train"], train)
    (tmp_path / "overlap.json").write_text(json.dumps({"train": [0, 1, 2], "test": [2, 3]}))
    with pytest.raises(DataError, match="index 2 is in both 'train' and 'test'"):
        load_split(tmp_path / "overlap.json", 20)
    (tmp_path / "range.json").write_text(json.dumps({"train": [0, 25]}))
    with pytest.raises(DataError, match=r"outside \[0, 20\)"):
        load_split(tmp_path / "range.json", 20)
    with pytest.raises(DataError, match="no such split file"):
        load_split(tmp_path / "none.json", 20)
    np.savez(tmp_path / "split.npz", train=train, valid=valid)
    assert set(load_split(tmp_path / "split.npz", 20)) == {"train", "valid"}


def test_iterator_resume_gives_the_same_order():
    reference = IndexIterator(23, batch_size=5, seed=11)
    full = [b.tolist() for _ in range(3) for b in reference]     # three epochs
    assert len(full) == 15
    epoch0 = sorted(i for b in full[:5] for i in b)
    assert epoch0 == list(range(23))                             # each sample once per epoch
    assert full[:5] != full[5:10]                                 # reshuffled every epoch

    run = IndexIterator(23, batch_size=5, seed=11)
    seen = []
    for b in run:                                                 # crash after 2 batches of epoch 1 ...
        seen.append(b.tolist())
    for b in run:
        seen.append(b.tolist())
        if len(seen) == 7:
            break
    state = json.loads(json.dumps(run.state_dict()))              # ... state survives JSON
    resumed = IndexIterator(23, batch_size=5, seed=0)
    resumed.load_state_dict(state)
    rest = [b.tolist() for b in resumed] + [b.tolist() for b in resumed]
    assert seen + rest == full


def test_iterator_state_errors():
    it = IndexIterator(10, batch_size=3)
    state = it.state_dict()
    other = IndexIterator(11, batch_size=3)
    with pytest.raises(DataError, match="n = 10"):
        other.load_state_dict(state)
    broken = dict(state)
    del broken["rng_state"]
    with pytest.raises(DataError, match="incomplete or corrupt"):
        it.load_state_dict(broken)


def test_batch_iterator_yields_padded_batches_and_drop_last():
    rng = np.random.default_rng(0)
    graphs = [CGGraph(np.full(n, 6), rng.normal(size=(1, n, 3)) * 2, energies=[float(n)])
              for n in (3, 5, 8, 4, 6)]
    ds = MolecularDataset.from_graphs(graphs)
    it = BatchIterator(ds, batch_size=2, seed=3, drop_last=True, cutoff=4.0)
    batches = list(it)
    assert len(batches) == 2 == len(it)
    for b in batches:
        assert b[K.ENERGY].tolist() == b[K.N_BEADS].astype(float).tolist()
