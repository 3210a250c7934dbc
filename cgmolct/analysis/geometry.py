"""Internal coordinates of frames in numpy: bond lengths, bond angles, signed dihedrals.

All functions take positions ``(F, N, 3)`` in Å (a single frame ``(N, 3)`` is promoted) and
an integer index array naming the beads of each term; they work in float64 and return one
value per frame and term.  No MindSpore: used by the prior fits and by the analyses.

Dihedral convention (IUPAC, the same as MDAnalysis ``calc_dihedrals``): for beads
a-b-c-d with b1 = b − a, b2 = c − b, b3 = d − c, n1 = b1 × b2, n2 = b2 × b3,

    φ = atan2(|b2| b1·n2, n1·n2)  ∈ (−π, π]

so φ = 0 is cis, ±π trans, and the sign says on which side d lies (mirror images have
opposite signs).  Reversing the four beads (d, c, b, a) gives the same φ.
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError

__all__ = ["as_frames", "check_indices", "bond_lengths", "bond_angles", "dihedral_angles"]


def as_frames(positions, name: str = "positions") -> np.ndarray:
    """``positions`` as an (F, N, 3) array (float32/float64 kept); raises InputError otherwise."""
    pos = np.asarray(positions)
    if pos.ndim == 2:
        pos = pos[None]
    if pos.ndim != 3 or pos.shape[-1] != 3 or pos.dtype.kind not in "fiu":
        raise InputError(f"{name} has shape {np.shape(positions)} and dtype {pos.dtype}; "
                         "expected (frames, beads, 3) numbers in Å")
    if pos.shape[0] == 0:
        raise InputError(f"{name} has no frames")
    return pos


def check_indices(indices, width: int, n_beads: int, name: str = "indices") -> np.ndarray:
    """(T, width) int64 bead indices, each in [0, n_beads) and distinct within a term."""
    idx = np.asarray(indices)
    if idx.size == 0:
        return np.zeros((0, width), dtype=np.int64)
    if idx.ndim == 1 and idx.shape[0] == width:
        idx = idx[None]
    if idx.ndim != 2 or idx.shape[1] != width or idx.dtype.kind not in "iu":
        raise InputError(f"{name} has shape {np.shape(indices)} and dtype {idx.dtype}; expected "
                         f"(terms, {width}) integer bead indices")
    idx = idx.astype(np.int64)
    if idx.min() < 0 or idx.max() >= n_beads:
        raise InputError(f"{name}: bead index out of range [0, {n_beads}): got "
                         f"[{int(idx.min())}, {int(idx.max())}]")
    srt = np.sort(idx, axis=1)
    dup = np.flatnonzero(np.any(srt[:, 1:] == srt[:, :-1], axis=1))
    if len(dup):
        raise InputError(f"{name}: term {int(dup[0])} {idx[dup[0]].tolist()} repeats a bead")
    return idx


def _gather(pos: np.ndarray, idx: np.ndarray, col: int) -> np.ndarray:
    return pos[:, idx[:, col]].astype(np.float64)


def bond_lengths(positions, pairs) -> np.ndarray:
    """Distances r = |x_j − x_i| (Å) of bead pairs: (F, P)."""
    pos = as_frames(positions)
    idx = check_indices(pairs, 2, pos.shape[1], "pairs")
    d = _gather(pos, idx, 1) - _gather(pos, idx, 0)
    return np.sqrt((d * d).sum(-1))


def bond_angles(positions, triplets) -> np.ndarray:
    """Angles θ_ijk ∈ [0, π] (rad) at the middle bead j of each triplet: (F, T)."""
    pos = as_frames(positions)
    idx = check_indices(triplets, 3, pos.shape[1], "triplets")
    u = _gather(pos, idx, 0) - _gather(pos, idx, 1)
    v = _gather(pos, idx, 2) - _gather(pos, idx, 1)
    cross = np.linalg.norm(np.cross(u, v), axis=-1)
    return np.arctan2(cross, (u * v).sum(-1))


def dihedral_angles(positions, quadruplets, degrees: bool = False) -> np.ndarray:
    """Signed dihedral angles (IUPAC, see the module docstring): (F, D) in rad (or degrees)."""
    pos = as_frames(positions)
    idx = check_indices(quadruplets, 4, pos.shape[1], "quadruplets")
    a, b, c, d = (_gather(pos, idx, k) for k in range(4))
    b1, b2, b3 = b - a, c - b, d - c
    n1, n2 = np.cross(b1, b2), np.cross(b2, b3)
    y = np.linalg.norm(b2, axis=-1) * (b1 * n2).sum(-1)
    x = (n1 * n2).sum(-1)
    phi = np.arctan2(y, x)
    return np.degrees(phi) if degrees else phi
