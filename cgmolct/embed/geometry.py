"""Sign-sensitive geometry of a CG graph in numpy: dihedral quadruples, dihedrals, RMSD.

Distances cannot tell a structure from its mirror image (αR from αL in a backbone CG map).
Dihedral angles of bonded chains i–j–k–l are invariant to rotation, translation and bead
permutation but change sign under reflection, so the embedding model reads them
(:class:`cgmolct.embed.model.DihedralMessages`) and the metric objective regresses the RMSD
after the best *proper* rotation (no reflection), which is non-zero between mirror images.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..errors import InputError

__all__ = ["dihedral_quads", "dihedrals", "kabsch_rmsd", "pairwise_distances"]


def dihedral_quads(bonds: np.ndarray, n_beads: int) -> np.ndarray:
    """Every proper dihedral i–j–k–l of a bond graph, each once.

    Parameters
    ----------
    bonds : (n_bonds, 2) int
        Bonded bead pairs.
    n_beads : int

    Returns
    -------
    (Q, 4) int64
        Quadruples with i, j, k, l distinct, (i, j), (j, k), (k, l) bonded and the reversed
        quadruple l–k–j–i left out (same angle); sorted.
    """
    bonds = np.asarray(bonds, np.int64).reshape(-1, 2)
    if len(bonds) and (bonds.min() < 0 or bonds.max() >= n_beads):
        raise InputError(f"bonds index beads outside [0, {n_beads})")
    nbrs = [set() for _ in range(n_beads)]
    for a, b in bonds:
        if a != b:
            nbrs[a].add(int(b))
            nbrs[b].add(int(a))
    out = set()
    for j in range(n_beads):
        for k in nbrs[j]:
            if k <= j:
                continue
            for i in nbrs[j] - {k}:
                for m in nbrs[k] - {j, i}:
                    q = (i, j, k, m)
                    out.add(min(q, q[::-1]))
    if not out:
        return np.zeros((0, 4), np.int64)
    return np.array(sorted(out), np.int64)


def dihedrals(positions: np.ndarray, quads: np.ndarray) -> np.ndarray:
    """Dihedral angles in radians, (−π, π], of ``quads`` for positions (..., n, 3) Å.

    IUPAC convention (as MDAnalysis): φ = atan2(|b2| b1·(b2×b3), (b1×b2)·(b2×b3)) with
    b1 = x_j − x_i, b2 = x_k − x_j, b3 = x_l − x_k; φ of a right-handed α-helix is about
    −60°.  Returns (..., Q).
    """
    x = np.asarray(positions, np.float64)
    q = np.asarray(quads, np.int64)
    b1 = x[..., q[:, 1], :] - x[..., q[:, 0], :]
    b2 = x[..., q[:, 2], :] - x[..., q[:, 1], :]
    b3 = x[..., q[:, 3], :] - x[..., q[:, 2], :]
    n2 = np.cross(b2, b3)
    y = np.linalg.norm(b2, axis=-1) * (b1 * n2).sum(-1)
    return np.arctan2(y, (np.cross(b1, b2) * n2).sum(-1))


def kabsch_rmsd(a: np.ndarray, b: np.ndarray, weights: Optional[np.ndarray] = None) -> np.ndarray:
    """RMSD (Å) between frames a and b after the best translation and *proper* rotation.

    Parameters
    ----------
    a, b : (..., n, 3) float, Å
        Broadcastable frame stacks.
    weights : (n,) float, optional
        Per-bead weights (default equal).

    Returns
    -------
    (...,) float64.  Reflections are not allowed, so a chiral structure and its mirror
    image have a non-zero RMSD.
    """
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    a, b = np.broadcast_arrays(a, b)
    n = a.shape[-2]
    w = np.ones(n) if weights is None else np.asarray(weights, np.float64)
    w = w / w.sum()
    ac = a - (w[:, None] * a).sum(-2, keepdims=True)
    bc = b - (w[:, None] * b).sum(-2, keepdims=True)
    h = np.einsum("...ni,...nj->...ij", ac * w[:, None], bc)
    u, s, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(np.einsum("...ij,...jk->...ik", u, vt)))
    s[..., -1] *= d
    e0 = (w[:, None] * (ac ** 2 + bc ** 2)).sum((-2, -1))
    return np.sqrt(np.maximum(e0 - 2.0 * s.sum(-1), 0.0))


def pairwise_distances(positions: np.ndarray) -> np.ndarray:
    """Upper-triangle bead–bead distances (Å) of frames (F, n, 3): (F, n(n−1)/2)."""
    x = np.asarray(positions, np.float64)
    if x.ndim != 3 or x.shape[-1] != 3:
        raise InputError(f"positions has shape {x.shape}; expected (frames, beads, 3)")
    i, j = np.triu_indices(x.shape[1], 1)
    return np.linalg.norm(x[:, i] - x[:, j], axis=-1)
