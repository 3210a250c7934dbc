"""Per-element data: standard atomic masses (amu) and covalent radii (Å).

Masses are the conventional standard atomic weights; radii are single-bond covalent radii
(Cordero et al., Dalton Trans. 2008), used by :mod:`topologies.bonds` to guess bonds.
Elements without a tabulated radius use :data:`DEFAULT_RADIUS`.
"""
from __future__ import annotations

import numpy as np

__all__ = ["MASSES", "COVALENT_RADII", "DEFAULT_RADIUS", "element_masses", "covalent_radii"]

_MASS_LIST = (
    1.008, 4.0026, 6.94, 9.0122, 10.81, 12.011, 14.007, 15.999, 18.998, 20.180,
    22.990, 24.305, 26.982, 28.085, 30.974, 32.06, 35.45, 39.948, 39.098, 40.078,
    44.956, 47.867, 50.942, 51.996, 54.938, 55.845, 58.933, 58.693, 63.546, 65.38,
    69.723, 72.630, 74.922, 78.971, 79.904, 83.798, 85.468, 87.62, 88.906, 91.224,
    92.906, 95.95, 98.0, 101.07, 102.91, 106.42, 107.87, 112.41, 114.82, 118.71,
    121.76, 127.60, 126.90, 131.29, 132.91, 137.33, 138.91, 140.12, 140.91, 144.24,
    145.0, 150.36, 151.96, 157.25, 158.93, 162.50, 164.93, 167.26, 168.93, 173.05,
    174.97, 178.49, 180.95, 183.84, 186.21, 190.23, 192.22, 195.08, 196.97, 200.59,
    204.38, 207.2, 208.98, 209.0, 210.0, 222.0, 223.0, 226.0, 227.0, 232.04,
    231.04, 238.03, 237.0, 244.0, 243.0, 247.0, 247.0, 251.0, 252.0, 257.0,
    258.0, 259.0, 262.0, 267.0, 268.0, 269.0, 270.0, 277.0, 278.0, 281.0,
    282.0, 285.0, 286.0, 289.0, 290.0, 293.0, 294.0, 294.0,
)
assert len(_MASS_LIST) == 118

#: masses[z] in amu for atomic number z (index 0 = padding = 0).
MASSES = np.array((0.0,) + _MASS_LIST, dtype=np.float64)

_RADII = {
    1: 0.31, 2: 0.28, 3: 1.28, 4: 0.96, 5: 0.84, 6: 0.76, 7: 0.71, 8: 0.66, 9: 0.57, 10: 0.58,
    11: 1.66, 12: 1.41, 13: 1.21, 14: 1.11, 15: 1.07, 16: 1.05, 17: 1.02, 18: 1.06, 19: 2.03,
    20: 1.76, 21: 1.70, 22: 1.60, 23: 1.53, 24: 1.39, 25: 1.39, 26: 1.32, 27: 1.26, 28: 1.24,
    29: 1.32, 30: 1.22, 31: 1.22, 32: 1.20, 33: 1.19, 34: 1.20, 35: 1.20, 36: 1.16, 37: 2.20,
    38: 1.95, 39: 1.90, 40: 1.75, 41: 1.64, 42: 1.54, 43: 1.47, 44: 1.46, 45: 1.42, 46: 1.39,
    47: 1.45, 48: 1.44, 49: 1.42, 50: 1.39, 51: 1.39, 52: 1.38, 53: 1.39, 54: 1.40,
}
#: Radius (Å) used for elements missing from the table.
DEFAULT_RADIUS = 1.5
#: radii[z] in Å for atomic number z.
COVALENT_RADII = np.array([_RADII.get(z, DEFAULT_RADIUS) for z in range(119)], dtype=np.float64)


def element_masses(types: np.ndarray) -> np.ndarray:
    """(n,) float32 masses in amu: the element mass for element ids 1–118, else 0."""
    t = np.asarray(types, dtype=np.int64)
    out = np.zeros(t.shape, dtype=np.float32)
    is_el = (t >= 1) & (t <= 118)
    out[is_el] = MASSES[t[is_el]]
    return out


def covalent_radii(atomic_numbers: np.ndarray) -> np.ndarray:
    """(n,) float64 covalent radii in Å of atomic numbers 1–118."""
    z = np.asarray(atomic_numbers, dtype=np.int64)
    return COVALENT_RADII[np.clip(z, 0, 118)]
