"""Fraction of native contacts Q with the Best–Hummer–Eaton soft switch (PNAS 110, 17874, 2013).

.. math:: Q(X) = \\frac{1}{N} \\sum_{(a, b) \\in \\mathrm{native}}
          \\frac{1}{1 + \\exp[\\beta\\,(r_{ab}(X) - \\lambda\\, r^0_{ab})]}

with β = 5 Å⁻¹.  Native pairs and λ depend on the level:

- ``all-atom``: heavy atoms a, b of residues with |i − j| > 3 and r⁰_ab < 4.5 Å in the
  reference; λ = 1.8 (the paper's all-atom value);
- ``ca``: CA atoms of residues with |i − j| > 3 and r⁰ < 8 Å; λ = 1.5 (the paper's value for
  coarse-grained models; MDAnalysis' ``soft_cut_q`` documents the same pair of values).

Q of the reference itself is 1 − O(exp(−β (λ − 1) r⁰)) ≈ 1 (within 10⁻⁵).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..errors import InputError
from .labels import ResidueStructure, separation_matrix

__all__ = ["native_contacts_q", "BETA", "LAMBDA"]

#: Steepness β of the switch in 1/Å.
BETA = 5.0
#: Tolerance λ per level.
LAMBDA = {"all-atom": 1.8, "ca": 1.5}
_NATIVE_CUTOFF = {"all-atom": 4.5, "ca": 8.0}
_MIN_SEPARATION = 4  # |i - j| > 3


def _native_pairs(ref: ResidueStructure, level: str, frame: int):
    sep = separation_matrix(ref.graph)
    if level == "ca":
        x = np.asarray(ref.graph.positions[frame], np.float64)
        i, j = np.triu_indices(len(x), 1)
        r0 = np.linalg.norm(x[i] - x[j], axis=1)
        keep = (sep[i, j] >= _MIN_SEPARATION) & (r0 < _NATIVE_CUTOFF["ca"])
        return i[keep], j[keep], r0[keep]
    from scipy.spatial import cKDTree

    x = np.asarray(ref.atom_positions[frame], np.float64)
    pairs = cKDTree(x).query_pairs(_NATIVE_CUTOFF["all-atom"], output_type="ndarray")
    a, b = pairs[:, 0], pairs[:, 1]
    keep = sep[ref.atom_residue[a], ref.atom_residue[b]] >= _MIN_SEPARATION
    a, b = a[keep], b[keep]
    r0 = np.linalg.norm(x[a] - x[b], axis=1)
    keep = r0 < _NATIVE_CUTOFF["all-atom"]
    return a[keep], b[keep], r0[keep]


def native_contacts_q(reference: ResidueStructure, structure: Optional[ResidueStructure] = None,
                      *, level: str = "all-atom", beta: float = BETA,
                      lam: Optional[float] = None, reference_frame: int = 0) -> np.ndarray:
    """Q of every frame of ``structure`` against frame ``reference_frame`` of ``reference``.

    Parameters
    ----------
    reference : ResidueStructure
        Native structure (its heavy atoms for ``level="all-atom"``).
    structure : ResidueStructure, optional
        Frames to score, same residues and atoms (default: ``reference`` itself).
    level : {"all-atom", "ca"}
    beta : float
        Switch steepness in 1/Å (default 5).
    lam : float, optional
        Tolerance factor (default :data:`LAMBDA` of the level).
    reference_frame : int

    Returns
    -------
    (F,) float64 array in [0, 1].
    """
    if level not in LAMBDA:
        raise InputError(f"unknown Q level {level!r}; choose 'all-atom' or 'ca'")
    structure = reference if structure is None else structure
    lam = LAMBDA[level] if lam is None else float(lam)
    if level == "all-atom" and not (reference.has_atoms and structure.has_atoms):
        raise InputError("all-atom Q needs heavy atoms in both structures; use level='ca'")
    if structure.n_residues != reference.n_residues:
        raise InputError(f"structure has {structure.n_residues} residues; the reference "
                         f"{reference.n_residues}")
    if level == "all-atom" and structure.atom_positions.shape[1] != reference.atom_positions.shape[1]:
        raise InputError(f"structure has {structure.atom_positions.shape[1]} heavy atoms; the "
                         f"reference {reference.atom_positions.shape[1]}")
    a, b, r0 = _native_pairs(reference, level, int(reference_frame))
    if len(a) == 0:
        raise InputError("the reference has no native contacts (|i - j| > 3)")
    x = np.asarray(structure.graph.positions if level == "ca" else structure.atom_positions,
                   np.float64)
    r = np.linalg.norm(x[:, a] - x[:, b], axis=-1)
    z = np.clip(beta * (r - lam * r0[None]), -60.0, 60.0)
    return (1.0 / (1.0 + np.exp(z))).mean(axis=1)
