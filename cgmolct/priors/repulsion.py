"""Soft repulsion between non-bonded beads."""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..analysis.geometry import bond_lengths
from ..errors import InputError
from ..units import kT as _kT
from .base import Prior, pair_distances, positions_of
from .statistics import minimum_distances

__all__ = ["Repulsion"]


class Repulsion(Prior):
    """Inverse-power repulsion: E(R) = Σ_p ε_p (σ_p / r_p)^n,  r_p = |x_j − x_i|.

    Keeps beads that are not bonded (by default more than 3 bonds apart) from overlapping in
    regions the reference never visited.  Fitted with σ_p = min(smallest distance of the pair
    in the reference, ``max_sigma``) and ε = kT, so the wall costs at most kT at the closest
    observed approach and rises steeply (2^n kT at half that distance); the cap keeps pairs
    that stay far apart (most pairs of a protein) from feeling a force at their usual
    distances while still keeping them from collapsing onto each other.

    Parameters
    ----------
    indices : (P, 2) int
        Bead pairs.
    sigma : (P,) float
        Å (> 0).
    epsilon : (P,) float
        kcal/mol (>= 0).
    exponent : int
        n (default 6).
    name : str, optional
        Label (default ``"repulsion"``).

    Call ``prior(positions)`` with positions (B, N, 3) in Å → energy (B,) in kcal/mol.
    """

    KIND = "Repulsion"
    WIDTH = 2
    PARAMS = ("sigma", "epsilon")
    UNITS = {"sigma": "angstrom", "epsilon": "kcal/mol"}

    def __init__(self, indices, sigma, epsilon, exponent: int = 6, name: Optional[str] = "repulsion"):
        if int(exponent) != exponent or int(exponent) < 1:
            raise InputError(f"Repulsion: exponent must be a positive integer, got {exponent!r}")
        super().__init__(indices, name=name, sigma=sigma, epsilon=epsilon)
        self.exponent = int(exponent)
        self.sigma = self._tensor("sigma")
        self.epsilon = self._tensor("epsilon")

    def _check(self) -> None:
        if np.any(self.params["sigma"] <= 0) or np.any(self.params["epsilon"] < 0):
            raise InputError("Repulsion: sigma must be > 0 and epsilon >= 0")

    def construct(self, positions):
        r = pair_distances(positions, self._cols[0], self._cols[1])
        return (self.epsilon * (self.sigma / r) ** self.exponent).sum(-1)

    def _extra_dict(self):
        return {"exponent": self.exponent}

    @classmethod
    def _extra_keys(cls):
        return ["exponent"]

    @classmethod
    def from_statistics(cls, data, indices, temperature: float, exponent: int = 6,
                        max_sigma: Optional[float] = 4.0, name: str = "repulsion") -> "Repulsion":
        """σ = min(smallest observed distance of each pair, ``max_sigma`` Å), ε = kT (T in K).

        ``max_sigma=None`` leaves σ uncapped.
        """
        if max_sigma is not None and not max_sigma > 0:
            raise InputError(f"Repulsion: max_sigma must be > 0 Å (or None), got {max_sigma!r}")
        sigma = minimum_distances(bond_lengths(positions_of(data), indices))
        if max_sigma is not None:
            sigma = np.minimum(sigma, float(max_sigma))
        return cls(indices, sigma=sigma, epsilon=np.full(len(sigma), _kT(temperature)),
                   exponent=exponent, name=name)
