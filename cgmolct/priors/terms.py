"""Which prior terms a graph has, derived from its bonds alone.

- bonds: the bonded pairs (i, j);
- angles: bonded triplets i-j-k (j bonded to both; i < k);
- dihedrals: bonded quadruplets i-j-k-l (a path of three bonds, four distinct beads),
  written with j < k (the reversed path is the same dihedral);
- impropers: for every bead c with exactly three bonded neighbours a < b < d, the
  quadruplet (a, b, c, d) — its signed dihedral tells the handedness of the branch point
  (L vs D), e.g. the CB side of CA on CA+CB or heavy-atom maps;
- non-bonded pairs: pairs (i < j) more than ``exclusion`` bonds apart (or in different
  molecules), for the repulsion.

For the 5-bead backbone map of alanine dipeptide (C_ACE, N, CA, C, N_NME; bonds along the
chain) this gives 4 bonds, 3 angles, the dihedrals φ = (0, 1, 2, 3) and ψ = (1, 2, 3, 4), no
improper, and the one pair (0, 4) more than 3 bonds apart.
"""
from __future__ import annotations

from typing import Dict, List

import numpy as np

from ..errors import InputError

__all__ = ["bonded_pairs", "angle_triplets", "dihedral_quadruplets", "improper_quadruplets",
           "nonbonded_pairs", "bond_separation"]


def _neighbours(bonds: np.ndarray, n_beads: int) -> List[List[int]]:
    nb: List[List[int]] = [[] for _ in range(n_beads)]
    for i, j in np.asarray(bonds, dtype=np.int64).reshape(-1, 2).tolist():
        if not (0 <= i < n_beads and 0 <= j < n_beads) or i == j:
            raise InputError(f"bond ({i}, {j}) is not a pair of distinct beads in [0, {n_beads})")
        if j not in nb[i]:
            nb[i].append(j)
            nb[j].append(i)
    return [sorted(x) for x in nb]


def bonded_pairs(bonds, n_beads: int) -> np.ndarray:
    """(P, 2) int64 unique bonded pairs with i < j, sorted."""
    nb = _neighbours(bonds, n_beads)
    out = [(i, j) for i in range(n_beads) for j in nb[i] if i < j]
    return np.array(out, dtype=np.int64).reshape(-1, 2)


def angle_triplets(bonds, n_beads: int) -> np.ndarray:
    """(T, 3) int64 triplets (i, j, k), j the middle bead, i < k, sorted."""
    nb = _neighbours(bonds, n_beads)
    out = [(i, j, k) for j in range(n_beads) for a, i in enumerate(nb[j]) for k in nb[j][a + 1:]]
    return np.array(sorted(out), dtype=np.int64).reshape(-1, 3)


def dihedral_quadruplets(bonds, n_beads: int) -> np.ndarray:
    """(D, 4) int64 bonded quadruplets (i, j, k, l) with j < k, sorted."""
    nb = _neighbours(bonds, n_beads)
    out = set()
    for j in range(n_beads):
        for k in nb[j]:
            if k <= j:
                continue
            for i in nb[j]:
                if i == k:
                    continue
                for l in nb[k]:
                    if l in (j, i):
                        continue
                    out.add((i, j, k, l))
    return np.array(sorted(out), dtype=np.int64).reshape(-1, 4)


def improper_quadruplets(bonds, n_beads: int) -> np.ndarray:
    """(I, 4) int64 (a, b, c, d) for every bead c with exactly three neighbours a < b < d."""
    nb = _neighbours(bonds, n_beads)
    out = [(x[0], x[1], c, x[2]) for c, x in enumerate(nb) if len(x) == 3]
    return np.array(out, dtype=np.int64).reshape(-1, 4)


def bond_separation(bonds, n_beads: int) -> np.ndarray:
    """(N, N) float: the number of bonds on the shortest path between beads (inf if none)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import shortest_path

    pairs = bonded_pairs(bonds, n_beads)
    if len(pairs) == 0:
        sep = np.full((n_beads, n_beads), np.inf)
        np.fill_diagonal(sep, 0.0)
        return sep
    adj = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n_beads, n_beads))
    return shortest_path(adj, directed=False, unweighted=True)


def nonbonded_pairs(bonds, n_beads: int, exclusion: int = 3) -> np.ndarray:
    """(P, 2) int64 pairs i < j separated by more than ``exclusion`` bonds, sorted.

    ``exclusion=3`` leaves out 1-2 (bond), 1-3 (angle) and 1-4 (dihedral) pairs.
    """
    if int(exclusion) < 0:
        raise InputError(f"exclusion must be >= 0 bonds, got {exclusion}")
    sep = bond_separation(bonds, n_beads)
    i, j = np.triu_indices(n_beads, k=1)
    keep = sep[i, j] > int(exclusion)
    return np.stack([i[keep], j[keep]], axis=1).astype(np.int64).reshape(-1, 2)


def terms_of(bonds, n_beads: int, exclusion: int = 3) -> Dict[str, np.ndarray]:
    """Index arrays of every term kind: bonds, angles, dihedrals, impropers, repulsion."""
    return {"bonds": bonded_pairs(bonds, n_beads), "angles": angle_triplets(bonds, n_beads),
            "dihedrals": dihedral_quadruplets(bonds, n_beads),
            "impropers": improper_quadruplets(bonds, n_beads),
            "repulsion": nonbonded_pairs(bonds, n_beads, exclusion)}
