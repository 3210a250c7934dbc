"""Physical priors of CG force fields: fitted by Boltzmann inversion, summed with the model.

Energies in kcal/mol, lengths in Å, angles in rad.  Each prior is a MindSpore cell
``prior(positions (B, N, 3)) -> energy (B,)`` with constant (non-trainable) indices and
parameters:

- :class:`HarmonicBonds` — ½ k (r − r0)²  (:mod:`.bonds`)
- :class:`HarmonicAngles` — ½ k (θ − θ0)²  (:mod:`.angles`)
- :class:`FourierDihedrals` — Σ_n a_n cos nφ + b_n sin nφ, signed φ  (:mod:`.dihedrals`)
- :class:`Repulsion` — ε (σ / r)^n between non-bonded beads  (:mod:`.repulsion`)
- :class:`PriorSet` — their sum; :class:`WithPriors` — a network potential plus priors
  (:mod:`.prior_set`)

Fitting: each class's ``from_statistics(graph_or_positions, indices, temperature)``, or the
estimator ``PriorFitter(temperature).fit(graph).fetch_model()`` which derives the terms from
the graph's bonds (:mod:`.terms`).  Delta forces: :func:`prior_forces`,
:func:`subtract_prior_forces` (:mod:`.forces`).  Files: :func:`save_priors`,
:func:`load_priors` (:mod:`.storage`).  Importing this package loads MindSpore.
"""
from __future__ import annotations

from .angles import HarmonicAngles
from .base import Prior
from .bonds import HarmonicBonds
from .dihedrals import FourierDihedrals
from .fitter import DEFAULT_TERMS, TERMS, PriorFitter
from .forces import prior_forces, subtract_prior_forces
from .prior_set import PriorSet, WithPriors
from .repulsion import Repulsion
from .storage import PRIORS_FILE, load_priors, save_priors
from .terms import (angle_triplets, bonded_pairs, dihedral_quadruplets, improper_quadruplets,
                    nonbonded_pairs)

__all__ = [
    "Prior", "HarmonicBonds", "HarmonicAngles", "FourierDihedrals", "Repulsion", "PriorSet", "WithPriors",
    "PriorFitter", "TERMS", "DEFAULT_TERMS", "prior_forces", "subtract_prior_forces",
    "save_priors", "load_priors", "PRIORS_FILE",
    "bonded_pairs", "angle_triplets", "dihedral_quadruplets", "improper_quadruplets",
    "nonbonded_pairs",
]
