"""Fourier dihedral prior (sign-sensitive: it tells mirror images apart)."""
from __future__ import annotations

from typing import List, Optional

import numpy as np
import mindspore as ms

from ..analysis.geometry import dihedral_angles
from ..errors import InputError
from .base import Prior, dihedrals, positions_of
from .statistics import fit_fourier

__all__ = ["FourierDihedrals"]


class FourierDihedrals(Prior):
    """Fourier series in signed dihedrals: E(R) = Σ_d Σ_{n=1..M} [a_dn cos(nφ_d) + b_dn sin(nφ_d)].

    φ_d is the signed IUPAC dihedral of beads (i, j, k, l) in (−π, π] (see
    :mod:`cgmolct.analysis.geometry`).  The cos terms are even in φ; the sin terms are odd, so
    E(φ) ≠ E(−φ) whenever some b_dn ≠ 0: this is what breaks the mirror symmetry of
    distance-only models (αR vs αL of alanine dipeptide: (φ, ψ) vs (−φ, −ψ)).  The same cell
    holds impropers (quadruplets around a branch point).

    Parameters
    ----------
    indices : (D, 4) int
        Quadruplets (i, j, k, l).
    k_cos, k_sin : (D, M) float
        a_dn and b_dn in kcal/mol, n = 1..M.
    name : str, optional
        Label (default ``"dihedrals"``).

    Call ``prior(positions)`` with positions (B, N, 3) in Å → energy (B,) in kcal/mol.
    """

    KIND = "FourierDihedrals"
    WIDTH = 4
    PARAMS = ("k_cos", "k_sin")
    UNITS = {"k_cos": "kcal/mol", "k_sin": "kcal/mol"}

    def __init__(self, indices, k_cos, k_sin, name: Optional[str] = "dihedrals"):
        super().__init__(indices, name=name, k_cos=k_cos, k_sin=k_sin)
        m = self.params["k_cos"].shape[1]
        self.n_multiplicities = m
        self.k_cos = self._tensor("k_cos")
        self.k_sin = self._tensor("k_sin")
        self.multiplicity = ms.Tensor(np.arange(1, m + 1, dtype=np.float32))

    def _check(self) -> None:
        c, s = self.params["k_cos"], self.params["k_sin"]
        if c.ndim != 2 or c.shape != s.shape or c.shape[1] < 1:
            raise InputError(f"FourierDihedrals: k_cos {c.shape} and k_sin {s.shape} must both be "
                             "(terms, M) with M >= 1")

    def construct(self, positions):
        phi = dihedrals(positions, self._cols[0], self._cols[1], self._cols[2], self._cols[3])
        n_phi = phi.expand_dims(-1) * self.multiplicity
        e = self.k_cos * n_phi.cos() + self.k_sin * n_phi.sin()
        return e.sum(-1).sum(-1)

    def energy_of_angles(self, phi) -> np.ndarray:
        """Numpy energy per term for dihedral angles ``phi`` (..., D) in rad → (..., D) kcal/mol."""
        phi = np.asarray(phi, dtype=np.float64)[..., None] * np.arange(1, self.n_multiplicities + 1)
        return (self.params["k_cos"] * np.cos(phi) + self.params["k_sin"] * np.sin(phi)).sum(-1)

    @classmethod
    def from_statistics(cls, data, indices, temperature: float, n_terms: int = 6,
                        n_bins: int = 72, name: str = "dihedrals") -> "FourierDihedrals":
        """Least-squares fit of the Fourier series to −kT ln p(φ) of each dihedral.

        ``data``: CGGraph or positions (F, N, 3) in Å; ``temperature`` in K; ``n_terms`` = M;
        ``n_bins`` bins over [−π, π) (unsampled bins are set to the highest sampled U + kT).
        """
        phi = dihedral_angles(positions_of(data), indices)
        k_cos, k_sin = fit_fourier(phi, temperature, n_terms=n_terms, n_bins=n_bins, name=name)
        return cls(indices, k_cos=k_cos, k_sin=k_sin, name=name)

    def rows(self, bead_labels=None) -> List[dict]:
        out = super().rows(bead_labels)
        for row in out:
            row["k_cos"] = [round(x, 4) for x in row["k_cos"]]
            row["k_sin"] = [round(x, 4) for x in row["k_sin"]]
        return out
