"""The pair list a contact model scores, and putting pair values back into (n, n) maps.

A pair (i, j), i < j, is scored when its CA–CA distance is at most ``r_pair`` (default
16 Å, beyond the 10 Å geometric cutoff of the representation) and its sequence separation
is at least ``min_separation`` (default 3; pairs in different chains always qualify).
Heavy-atom contacts (< 4.5 Å) between residues with CA–CA > 16 Å occur in the 50
``data/dssp`` chains of MDAnalysisTests only once (largest 16.07 Å); pairs beyond
``r_pair`` get probability 0 in a predicted map, pairs closer in sequence than
``min_separation`` (and the diagonal) get NaN (not predicted: always in contact).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..errors import InputError
from .labels import separation_matrix

__all__ = ["R_PAIR", "MIN_SEPARATION", "contact_pairs", "pairs_to_map"]

#: Largest CA–CA distance (Å) of a scored pair.
R_PAIR = 16.0
#: Smallest sequence separation of a scored pair.
MIN_SEPARATION = 3


def contact_pairs(graph, frame: int = 0, r_pair: float = R_PAIR,
                  min_separation: int = MIN_SEPARATION,
                  separation: Optional[np.ndarray] = None) -> np.ndarray:
    """(P, 2) int32 pairs i < j to score for frame ``frame`` of a CA-level ``graph``.

    Parameters
    ----------
    graph : topologies.CGGraph
        One bead per residue (``mapping="ca"``), positions in Å.
    frame : int
    r_pair : float
        Largest CA–CA distance in Å.
    min_separation : int
        Smallest |i − j| within a chain.
    separation : ndarray, optional
        (n, n) :func:`~cgmolct.contacts.labels.separation_matrix` of ``graph`` when the caller
        already has it (it depends on the topology only).
    """
    if not r_pair > 0 or int(min_separation) < 1:
        raise InputError(f"r_pair must be > 0 Å and min_separation >= 1; got {r_pair}, {min_separation}")
    if not -graph.n_frames <= int(frame) < graph.n_frames:
        raise InputError(f"frame {frame} is out of range: the graph has {graph.n_frames} frames")
    x = np.asarray(graph.positions[int(frame)], np.float64)
    if not np.isfinite(x).all():
        raise InputError(f"frame {frame} has non-finite positions")
    sep = separation_matrix(graph) if separation is None else separation
    sq = (x * x).sum(1)
    d2 = sq[:, None] + sq[None, :] - 2.0 * (x @ x.T)       # BLAS; float64 keeps it exact to ~1e-12 Å²
    keep = (d2 <= r_pair * r_pair) & (sep >= int(min_separation))
    i, j = np.nonzero(keep)
    upper = i < j
    return np.stack([i[upper], j[upper]], 1).astype(np.int32)


def pairs_to_map(n: int, pairs: np.ndarray, values: np.ndarray, separation: np.ndarray,
                 min_separation: int = MIN_SEPARATION) -> np.ndarray:
    """(n, n) float32 symmetric map: ``values`` on ``pairs``, 0 elsewhere, NaN near the diagonal."""
    out = np.zeros((n, n), np.float32)
    pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
    out[pairs[:, 0], pairs[:, 1]] = values
    out[pairs[:, 1], pairs[:, 0]] = values
    out[np.asarray(separation) < int(min_separation)] = np.nan
    return out
