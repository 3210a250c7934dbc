"""Units of cgmolct and conversions at the boundary.

Internal units everywhere: length Å, energy kcal/mol, force kcal/mol/Å, time ps, mass amu
(g/mol), temperature K.  Values from OpenMM/GROMACS (nm, kJ/mol), QM9 (nm, kJ/mol, Hartree,
Bohr) or MDAnalysis (forces in kJ/mol/Å) are converted once, when they are read.

Examples
--------
>>> round(convert(1.0, "nm", "angstrom"), 6)
10.0
>>> round(convert(4.184, "kJ/mol", "kcal/mol"), 6)
1.0
"""
from __future__ import annotations

from typing import Union

import numpy as np

from .errors import InputError

__all__ = [
    "KB_KCAL_PER_MOL_K",
    "LENGTH_UNIT",
    "ENERGY_UNIT",
    "FORCE_UNIT",
    "TIME_UNIT",
    "MASS_UNIT",
    "TEMPERATURE_UNIT",
    "UNITS",
    "convert",
    "kT",
]

#: Boltzmann constant in kcal/mol/K.
KB_KCAL_PER_MOL_K = 0.0019872041

LENGTH_UNIT = "angstrom"
ENERGY_UNIT = "kcal/mol"
FORCE_UNIT = "kcal/mol/angstrom"
TIME_UNIT = "ps"
MASS_UNIT = "amu"
TEMPERATURE_UNIT = "K"

#: The unit record written into every saved file.
UNITS = {
    "length": LENGTH_UNIT,
    "energy": ENERGY_UNIT,
    "force": FORCE_UNIT,
    "time": TIME_UNIT,
    "mass": MASS_UNIT,
    "temperature": TEMPERATURE_UNIT,
}

# Each unit expressed in the internal unit of its dimension.
_KCAL_PER_KJ = 1.0 / 4.184
_HARTREE_KCAL = 627.509474
_BOHR_ANGSTROM = 0.529177210903
_EV_KCAL = 23.060547830619

_FACTORS = {
    "length": {
        "angstrom": 1.0, "a": 1.0, "å": 1.0,
        "nm": 10.0, "nanometer": 10.0,
        "pm": 0.01,
        "bohr": _BOHR_ANGSTROM,
    },
    "energy": {
        "kcal/mol": 1.0,
        "kj/mol": _KCAL_PER_KJ,
        "hartree": _HARTREE_KCAL, "ha": _HARTREE_KCAL,
        "ev": _EV_KCAL,
        "kt300": KB_KCAL_PER_MOL_K * 300.0,
    },
    "force": {
        "kcal/mol/angstrom": 1.0, "kcal/mol/a": 1.0, "kcal/mol/å": 1.0,
        "kj/mol/nm": _KCAL_PER_KJ / 10.0,
        "kj/mol/angstrom": _KCAL_PER_KJ, "kj/mol/a": _KCAL_PER_KJ,
        "hartree/bohr": _HARTREE_KCAL / _BOHR_ANGSTROM,
        "ev/angstrom": _EV_KCAL, "ev/a": _EV_KCAL,
    },
    "time": {"ps": 1.0, "fs": 1e-3, "ns": 1e3},
    "mass": {"amu": 1.0, "g/mol": 1.0, "da": 1.0, "dalton": 1.0},
}


def _lookup(unit: str) -> tuple[str, float]:
    key = unit.strip().lower().replace(" ", "").replace("ångström", "angstrom")
    key = key.replace("angstroms", "angstrom")
    for dimension, table in _FACTORS.items():
        if key in table:
            return dimension, table[key]
    known = sorted({u for table in _FACTORS.values() for u in table})
    raise InputError(f"unknown unit {unit!r}; known units: {', '.join(known)}")


ArrayLike = Union[float, np.ndarray]


def convert(value: ArrayLike, from_unit: str, to_unit: str) -> ArrayLike:
    """Convert ``value`` between two units of the same dimension.

    Parameters
    ----------
    value : float or ndarray
        Quantity in ``from_unit``.
    from_unit, to_unit : str
        Unit names, case-insensitive (``"nm"``, ``"angstrom"``, ``"kJ/mol"``,
        ``"kcal/mol"``, ``"kJ/mol/nm"``, ``"hartree/bohr"``, ``"fs"``, ...).

    Returns
    -------
    float or ndarray
        The quantity in ``to_unit`` (same shape as ``value``).

    Raises
    ------
    InputError
        For an unknown unit or units of different dimensions (length into energy).
    """
    dim_from, f_from = _lookup(from_unit)
    dim_to, f_to = _lookup(to_unit)
    if dim_from != dim_to:
        raise InputError(
            f"cannot convert {from_unit!r} ({dim_from}) into {to_unit!r} ({dim_to})"
        )
    return value * (f_from / f_to)


def kT(temperature: float) -> float:
    """Thermal energy k_B T in kcal/mol for ``temperature`` in K (must be > 0)."""
    if not np.isfinite(temperature) or temperature <= 0:
        raise InputError(f"temperature must be a positive number of kelvin, got {temperature!r}")
    return KB_KCAL_PER_MOL_K * float(temperature)
