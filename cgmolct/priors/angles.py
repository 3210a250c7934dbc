"""Harmonic angle prior."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..analysis.geometry import bond_angles as _np_angles
from ..errors import InputError
from .base import Prior, bond_angles, positions_of
from .statistics import fit_harmonic

__all__ = ["HarmonicAngles"]


class HarmonicAngles(Prior):
    """Harmonic angles: E(R) = Σ_a ½ k_a (θ_a − θ0_a)²,  θ_ijk the angle at bead j.

    Parameters
    ----------
    indices : (T, 3) int
        Triplets (i, j, k), j the middle bead.
    k : (T,) float
        Force constants, kcal/mol/rad² (> 0).
    theta0 : (T,) float
        Rest angles, rad, in (0, π].
    name : str, optional
        Label (default ``"angles"``).

    Call ``prior(positions)`` with positions (B, N, 3) in Å → energy (B,) in kcal/mol.
    """

    KIND = "HarmonicAngles"
    WIDTH = 3
    PARAMS = ("k", "theta0")
    UNITS = {"k": "kcal/mol/rad^2", "theta0": "rad"}

    def __init__(self, indices, k, theta0, name: Optional[str] = "angles"):
        super().__init__(indices, name=name, k=k, theta0=theta0)
        self.k = self._tensor("k")
        self.theta0 = self._tensor("theta0")

    def _check(self) -> None:
        if np.any(self.params["k"] <= 0):
            raise InputError("HarmonicAngles: k must be > 0")

    def construct(self, positions):
        theta = bond_angles(positions, self._cols[0], self._cols[1], self._cols[2])
        d = theta - self.theta0
        return (0.5 * self.k * d * d).sum(-1)

    @classmethod
    def from_statistics(cls, data, indices, temperature: float, n_bins: int = 100,
                        name: str = "angles") -> "HarmonicAngles":
        """Boltzmann inversion of the angle histograms with the sin θ Jacobian.

        ``data``: CGGraph or positions (F, N, 3) in Å; ``temperature`` in K.
        """
        theta = _np_angles(positions_of(data), indices)
        k, theta0 = fit_harmonic(theta, temperature, jacobian="sin", n_bins=n_bins, name="angle")
        return cls(indices, k=k, theta0=theta0, name=name)
