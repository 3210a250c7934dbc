"""Harmonic bond prior."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..analysis.geometry import bond_lengths
from ..errors import InputError
from .base import Prior, pair_distances, positions_of
from .statistics import fit_harmonic

__all__ = ["HarmonicBonds"]


class HarmonicBonds(Prior):
    """Harmonic bonds: E(R) = Σ_b ½ k_b (r_b − r0_b)²,  r_b = |x_j − x_i|.

    Parameters
    ----------
    indices : (P, 2) int
        Bonded bead pairs (i, j).
    k : (P,) float
        Force constants, kcal/mol/Å² (> 0).
    r0 : (P,) float
        Rest lengths, Å (> 0).
    name : str, optional
        Label (default ``"bonds"``).

    Call ``prior(positions)`` with positions (B, N, 3) in Å → energy (B,) in kcal/mol.
    """

    KIND = "HarmonicBonds"
    WIDTH = 2
    PARAMS = ("k", "r0")
    UNITS = {"k": "kcal/mol/angstrom^2", "r0": "angstrom"}

    def __init__(self, indices, k, r0, name: Optional[str] = "bonds"):
        super().__init__(indices, name=name, k=k, r0=r0)
        self.k = self._tensor("k")
        self.r0 = self._tensor("r0")

    def _check(self) -> None:
        if np.any(self.params["k"] <= 0) or np.any(self.params["r0"] <= 0):
            raise InputError("HarmonicBonds: k and r0 must be > 0")

    def construct(self, positions):
        r = pair_distances(positions, self._cols[0], self._cols[1])
        dr = r - self.r0
        return (0.5 * self.k * dr * dr).sum(-1)

    @classmethod
    def from_statistics(cls, data, indices, temperature: float, n_bins: int = 100,
                        name: str = "bonds") -> "HarmonicBonds":
        """Boltzmann inversion of the bond-length histograms with the r² Jacobian.

        ``data``: CGGraph or positions (F, N, 3) in Å; ``temperature`` in K.
        """
        r = bond_lengths(positions_of(data), indices)
        k, r0 = fit_harmonic(r, temperature, jacobian="r2", n_bins=n_bins, name="bond")
        return cls(indices, k=k, r0=r0, name=name)
