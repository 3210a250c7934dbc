"""Reference state labels of test systems (for scoring clusterings, never for training).

* Alanine dipeptide (backbone CG map C–N–CA–C–N of ACE–ALA–NME): φ/ψ basins
  0 = β/C7eq (φ < 0 and (ψ > 100° or ψ < −150°)), 1 = αR (other φ < 0), 2 = αL (φ ≥ 0).
* A transition path (AdK closed → open): 0 = "closed" when the CA RMSD to the first frame is
  below the RMSD to the last frame, else 1 = "open".
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError
from .geometry import dihedrals, kabsch_rmsd

__all__ = ["ala2_phi_psi", "ala2_basins", "closed_open", "BASIN_NAMES"]

BASIN_NAMES = ("beta/C7eq", "alphaR", "alphaL")


def ala2_phi_psi(graph) -> np.ndarray:
    """φ, ψ in degrees (frames, 2) of alanine dipeptide in the ``backbone`` CG map.

    The graph must have the five beads C(ACE), N, CA, C (ALA), N(NME) in chain order
    (``topologies.build_graph(..., mapping="backbone")``).
    """
    names = [str(n) for n in graph.names]
    if names != ["C", "N", "CA", "C", "N"]:
        raise InputError(f"alanine dipeptide backbone graph expected (beads C N CA C N); "
                         f"got beads {names}")
    quads = np.array([[0, 1, 2, 3], [1, 2, 3, 4]])
    return np.degrees(dihedrals(graph.positions, quads))


def ala2_basins(graph) -> np.ndarray:
    """φ/ψ basin label per frame (0 β/C7eq, 1 αR, 2 αL), see the module docstring."""
    pp = ala2_phi_psi(graph)
    phi, psi = pp[:, 0], pp[:, 1]
    beta = (phi < 0) & ((psi > 100.0) | (psi < -150.0))
    return np.where(phi >= 0, 2, np.where(beta, 0, 1)).astype(np.int64)


def closed_open(positions: np.ndarray) -> np.ndarray:
    """0 (closed) / 1 (open) per frame of a closed → open path (frames, n, 3) Å."""
    x = np.asarray(positions)
    if x.ndim != 3 or len(x) < 2:
        raise InputError(f"positions has shape {x.shape}; expected (frames >= 2, beads, 3)")
    to_first = kabsch_rmsd(x, x[0])
    to_last = kabsch_rmsd(x, x[-1])
    return (to_first >= to_last).astype(np.int64)
