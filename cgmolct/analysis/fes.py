"""Two-dimensional free-energy surfaces of periodic angles.

Histogram: B × B bins (default 60) over [−180°, 180°)², half-open and periodic (an angle of
exactly 180° falls in the first bin, with −180°).  Free energy of a bin with probability p:

    F = −kT ln p − min(F)   (kcal/mol; +inf where the bin is empty)
"""
from __future__ import annotations

from typing import Dict

import numpy as np

from ..errors import InputError
from ..units import kT as _kT

__all__ = ["angle_histogram", "free_energy_surface", "BINS", "RANGE"]

#: Default number of bins per axis.
BINS = 60
#: Angle range in degrees (half-open).
RANGE = (-180.0, 180.0)


def _bin_index(angles: np.ndarray, bins: int) -> np.ndarray:
    a = np.mod(np.asarray(angles, dtype=np.float64) + 180.0, 360.0)
    return np.minimum((a * (bins / 360.0)).astype(np.int64), bins - 1)


def angle_histogram(x, y, bins: int = BINS) -> np.ndarray:
    """(bins, bins) int64 counts of angle pairs (degrees); axis 0 is x (φ), axis 1 is y (ψ)."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if x.shape != y.shape:
        raise InputError(f"angle_histogram: x has {x.size} values and y {y.size}; they must pair up")
    if x.size == 0:
        raise InputError("angle_histogram: no angles")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise InputError("angle_histogram: angles hold NaN or inf")
    if int(bins) < 1:
        raise InputError(f"bins must be >= 1, got {bins}")
    flat = _bin_index(x, bins) * bins + _bin_index(y, bins)
    return np.bincount(flat, minlength=bins * bins).reshape(bins, bins)


def free_energy_surface(x, y, temperature: float = 300.0, bins: int = BINS) -> Dict[str, np.ndarray]:
    """F(x, y) = −kT ln p(x, y), shifted to a minimum of 0 (kcal/mol).

    Parameters
    ----------
    x, y : (F,) arrays
        Angles in degrees (e.g. φ and ψ).
    temperature : float
        K.
    bins : int
        Bins per axis over [−180°, 180°).

    Returns
    -------
    dict
        ``free_energy`` (bins, bins) kcal/mol (inf where empty), ``counts`` (bins, bins),
        ``probability`` (bins, bins) summing to 1, ``edges`` (bins + 1,) degrees.
    """
    kt = _kT(temperature)
    counts = angle_histogram(x, y, bins)
    p = counts / counts.sum()
    with np.errstate(divide="ignore"):
        f = -kt * np.log(p)
    f -= f[np.isfinite(f)].min()
    return {"free_energy": f, "counts": counts, "probability": p,
            "edges": np.linspace(RANGE[0], RANGE[1], int(bins) + 1)}
