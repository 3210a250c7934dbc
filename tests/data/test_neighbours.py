"""Neighbour lists against brute force, buckets, capacity errors and the skin list."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from MDAnalysis.lib.mdamath import triclinic_vectors

from cgmolct.data.buckets import DEFAULT_BUCKETS, bucket_capacity
from cgmolct.data.neighbours import NeighbourList, neighbour_list
from cgmolct.errors import DataError


def brute_force(x, cutoff, mask=None, box=None):
    """Set of directed pairs (i, j), i != j, within the cutoff (all images with a box)."""
    n = len(x)
    real = np.ones(n, bool) if mask is None else mask
    d = x[None, :, :] - x[:, None, :]
    if box is None:
        dist = np.linalg.norm(d, axis=-1)
    else:
        vecs = triclinic_vectors(np.asarray(box, np.float32)).astype(np.float64)
        dist = np.full((n, n), np.inf)
        for a, b, c in itertools.product((-1, 0, 1), repeat=3):
            shift = a * vecs[0] + b * vecs[1] + c * vecs[2]
            dist = np.minimum(dist, np.linalg.norm(d + shift, axis=-1))
    ok = (dist <= cutoff) & real[:, None] & real[None, :]
    np.fill_diagonal(ok, False)
    return set(zip(*np.nonzero(ok)))


def as_pairs(indices, mask):
    i, k = np.nonzero(mask)
    return set(zip(i.tolist(), indices[i, k].tolist()))


@pytest.mark.parametrize("method", ["auto", "dense", "kdtree", "grid"])
def test_matches_brute_force_without_box(method):
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 20, (3, 150, 3))
    nl = neighbour_list(x, 5.0, method=method)
    assert nl.indices.shape == nl.mask.shape == (3, 150, nl.capacity)
    assert nl.indices.dtype == np.int32 and nl.mask.dtype == bool
    for f in range(3):
        got = as_pairs(nl.indices[f], nl.mask[f])
        assert got == brute_force(x[f], 5.0)
        assert np.all(nl.indices[f][~nl.mask[f]] == 0)      # padding points at bead 0
        assert not np.any(nl.mask[f] & (nl.indices[f] == np.arange(150)[:, None]))  # no self


def test_mask_excludes_padded_beads():
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 12, (2, 80, 3))
    mask = rng.random((2, 80)) > 0.3
    x[~mask] = 0.0                                    # padded beads all sit at the origin
    nl = neighbour_list(x, 4.0, mask=mask)
    for f in range(2):
        assert as_pairs(nl.indices[f], nl.mask[f]) == brute_force(x[f], 4.0, mask[f])
        assert not nl.mask[f][~mask[f]].any()


@pytest.mark.parametrize("box", [[15.0, 17.0, 19.0, 90, 90, 90], [16.0, 17.0, 18.0, 70, 80, 100]])
def test_periodic_box_matches_brute_force(box):
    rng = np.random.default_rng(3)
    vecs = triclinic_vectors(np.asarray(box, np.float32)).astype(np.float64)
    x = rng.random((120, 3)) @ vecs                   # inside the (possibly triclinic) cell
    nl = neighbour_list(x, 5.0, box=box, method="kdtree")
    assert as_pairs(nl.indices, nl.mask) == brute_force(x, 5.0, box=box)
    # shifts turn r_j - r_i into the minimum-image vector of length <= cutoff
    i, k = np.nonzero(nl.mask)
    rij = x[nl.indices[i, k]] - x[i] + nl.shifts[i, k]
    assert np.all(np.linalg.norm(rij, axis=1) <= 5.0 + 1e-4)
    assert len(i) > np.sum(np.linalg.norm(x[nl.indices[i, k]] - x[i], axis=1) <= 5.0)


def test_capacity_is_bucketed_and_can_be_forced():
    assert bucket_capacity(1) == 8 and bucket_capacity(8) == 8 and bucket_capacity(9) == 12
    assert bucket_capacity(100) == 128 and bucket_capacity(129) == 192
    assert all(b2 > b1 for b1, b2 in zip(DEFAULT_BUCKETS, DEFAULT_BUCKETS[1:]))
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 10, (100, 3))
    nl = neighbour_list(x, 4.0)
    assert nl.capacity == bucket_capacity(int(nl.counts.max()))
    assert nl.capacity in DEFAULT_BUCKETS
    forced = neighbour_list(x, 4.0, capacity=200)
    assert forced.capacity == 200
    assert as_pairs(forced.indices, forced.mask) == as_pairs(nl.indices, nl.mask)


def test_too_many_neighbours_is_an_error_or_a_warned_truncation():
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 6, (60, 3))
    with pytest.raises(DataError, match=r"neighbour capacity is 4"):
        neighbour_list(x, 5.0, capacity=4)
    with pytest.warns(UserWarning, match="dropped"):
        nl = neighbour_list(x, 5.0, capacity=4, overflow="truncate")
    assert nl.capacity == 4 and nl.n_dropped > 0
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    for i in range(60):                                   # the kept ones are the 4 nearest
        assert set(nl.indices[i][nl.mask[i]]) == set(np.argsort(d[i])[:4])


def test_bad_input_is_a_data_error():
    with pytest.raises(DataError, match=r"positions has shape \(5, 2\)"):
        neighbour_list(np.zeros((5, 2)), 3.0)
    x = np.zeros((5, 3))
    x[2, 1] = np.nan
    with pytest.raises(DataError, match="NaN"):
        neighbour_list(x, 3.0)
    with pytest.raises(DataError, match="cutoff"):
        neighbour_list(np.zeros((5, 3)), -1.0)


def test_all_pairs_without_cutoff():
    x = np.random.default_rng(6).normal(size=(7, 3)) * 50
    nl = neighbour_list(x, None)
    assert nl.capacity == 8 and nl.counts.tolist() == [6] * 7


def test_skin_list_rebuilds_only_when_needed_and_matches_fresh_lists():
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 15, (200, 3))
    nl = NeighbourList(4.0, skin=1.0)
    for step in range(30):
        x = x + rng.normal(scale=0.05, size=x.shape)   # ~0.09 Å per step
        got = nl.update(x)
        fresh = neighbour_list(x, 4.0)
        assert as_pairs(got.indices, got.mask) == as_pairs(fresh.indices, fresh.mask)
    assert nl.n_updates == 30
    assert 1 < nl.n_builds < 30
    still = NeighbourList(4.0, skin=1.0)
    for _ in range(5):
        still.update(x)
    assert still.n_builds == 1


def test_periodic_images_outside_the_cell_and_dense_box():
    box = [14.0, 15.0, 16.0, 90, 90, 90]
    rng = np.random.default_rng(8)
    x = rng.random((90, 3)) * np.array(box[:3])
    ref = neighbour_list(x, 4.5, box=box, method="grid")
    moved = x + rng.integers(-2, 3, (90, 1)) * np.array(box[:3])   # whole-box jumps
    for method in ("grid", "dense"):
        nl = neighbour_list(moved, 4.5, box=box, method=method)
        assert as_pairs(nl.indices, nl.mask) == as_pairs(ref.indices, ref.mask)
        i, k = np.nonzero(nl.mask)
        rij = moved[nl.indices[i, k]] - moved[i] + nl.shifts[i, k]
        assert np.all(np.linalg.norm(rij, axis=1) <= 4.5 + 1e-3)


def test_skin_list_keeps_its_capacity_and_handles_a_box():
    box = np.array([18.0, 18.0, 18.0, 90, 90, 90])
    rng = np.random.default_rng(9)
    x = rng.random((150, 3)) * 18.0
    nl = NeighbourList(4.0, skin=1.0)
    capacities = []
    for _ in range(12):
        x = (x + rng.normal(scale=0.15, size=x.shape)) % 18.0
        got = nl.update(x, box=box)
        capacities.append(got.capacity)
        fresh = neighbour_list(x, 4.0, box=box)
        assert as_pairs(got.indices, got.mask) == as_pairs(fresh.indices, fresh.mask)
    assert nl.n_builds > 1
    assert capacities == sorted(capacities)          # never shrinks (constant compiled shapes)


@pytest.mark.parametrize("seed", range(6))
def test_random_sizes_cutoffs_and_masks(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(1, 120))
    x = rng.normal(size=(n, 3)) * rng.uniform(1, 8)
    mask = rng.random(n) > 0.2
    cutoff = float(rng.uniform(0.5, 9))
    for method in ("dense", "kdtree", "grid"):
        nl = neighbour_list(x, cutoff, mask=mask, method=method)
        assert as_pairs(nl.indices, nl.mask) == brute_force(x, cutoff, mask)
        np.testing.assert_array_equal(nl.counts, nl.mask.sum(-1))
