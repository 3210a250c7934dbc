"""Bond guessing from elements and distances.

Two atoms i, j are bonded when ``0.1 Å < d_ij < r_i + r_j + tolerance`` with the covalent
radii of :mod:`topologies.elements` (default tolerance 0.4 Å), the usual distance criterion
of molecular viewers.  Guessed bonds get the bond type ``unknown``.
"""
from __future__ import annotations

import numpy as np

from .elements import COVALENT_RADII, covalent_radii
from .errors import TopologyError

__all__ = ["guess_bonds", "DEFAULT_TOLERANCE"]

#: Tolerance (Å) added to the sum of covalent radii.
DEFAULT_TOLERANCE = 0.4


def guess_bonds(atomic_numbers, positions, tolerance: float = DEFAULT_TOLERANCE) -> np.ndarray:
    """Bonded atom pairs from elements and one frame of positions.

    Parameters
    ----------
    atomic_numbers : (n_atoms,) int
        Atomic numbers 1–118; atoms of unknown element (0: virtual sites, CG beads) get no
        guessed bond, since covalent radii say nothing about them.
    positions : (n_atoms, 3) float, Å
    tolerance : float, Å

    Returns
    -------
    (n_bonds, 2) int64 pairs with i < j, sorted.
    """
    from scipy.spatial import cKDTree

    z = np.asarray(atomic_numbers, dtype=np.int64)
    x = np.asarray(positions, dtype=np.float64)
    if x.shape != (len(z), 3):
        raise TopologyError(f"positions has shape {x.shape}; expected ({len(z)}, 3) to guess bonds")
    if len(z) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    radii = covalent_radii(z)
    cutoff = 2.0 * float(radii.max()) + tolerance
    pairs = cKDTree(x).query_pairs(cutoff, output_type="ndarray").astype(np.int64)
    if len(pairs) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    d = np.linalg.norm(x[pairs[:, 0]] - x[pairs[:, 1]], axis=1)
    keep = ((d > 0.1) & (d < radii[pairs[:, 0]] + radii[pairs[:, 1]] + tolerance)
            & (z[pairs[:, 0]] > 0) & (z[pairs[:, 1]] > 0))
    pairs = np.sort(pairs[keep], axis=1)
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


assert len(COVALENT_RADII) == 119
