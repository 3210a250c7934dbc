"""Periodic boxes: a whole molecule in a box is measured like the same molecule without a box
(explicit check of every pair distance), and neighbours that exist only through the boundary
are refused (the models do not apply image shifts)."""
from __future__ import annotations

import numpy as np
import pytest

from cgmolct.data.batch import collate
from cgmolct.errors import DataError


def _sample(pos, box=None):
    n = len(pos)
    s = {"types": np.full(n, 6, np.int32), "positions": np.asarray(pos, np.float32),
         "rel_pairs": np.zeros((0, 2), np.int32), "rel_codes": np.zeros(0, np.int32)}
    if box is not None:
        s["box"] = np.array([box, box, box, 90, 90, 90], np.float64)
    return s


def test_whole_molecule_in_a_box_matches_explicit_distances():
    rng = np.random.default_rng(0)
    pos = 10.0 + rng.uniform(0, 4, (12, 3))  # whole, far from the faces of a 30 Å box
    boxed = collate([_sample(pos, 30.0)], cutoff=3.5)
    free = collate([_sample(pos)], cutoff=3.5, method="kdtree")
    assert np.all(boxed["neighbour_shifts"] == 0)

    def pair_distances(b):
        i, k = np.nonzero(b["neighbour_mask"][0])
        j = b["neighbours"][0][i, k]
        return sorted(zip(i.tolist(), j.tolist(),
                          np.round(np.linalg.norm(pos[j] - pos[i], axis=1), 5).tolist()))

    explicit = [(i, j, round(float(np.linalg.norm(pos[j] - pos[i])), 5))
                for i in range(12) for j in range(12) if i != j and np.linalg.norm(pos[j] - pos[i]) < 3.5]
    assert pair_distances(boxed) == pair_distances(free) == sorted(explicit)


def test_neighbours_through_the_boundary_are_refused():
    pos = [[0.5, 5.0, 5.0], [9.5, 5.0, 5.0], [5.0, 5.0, 5.0]]  # beads 0 and 1: 1 Å apart via the face
    with pytest.raises(DataError, match=r"beads 0 and 1 are neighbours only through the periodic boundary"):
        collate([_sample(pos, 10.0)], cutoff=3.0)
