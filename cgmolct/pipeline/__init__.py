"""End-to-end pipelines that join the library's pieces.

- :func:`run_cg_forcefield` (:mod:`.cg_forcefield`): reference graph(s) → backbone map →
  priors (Boltzmann inversion) → delta forces → force matching through
  :func:`cgmolct.train.run.train` → saved model with priors → Langevin replicas
  (:class:`cgmolct.simulate.Simulation`) → FES, JS divergence, basins vs the reference (PNG +
  JSON);
- :func:`force_noise_floor` (:mod:`.noise`): the force-matching noise floor from nearest
  neighbours in CG configuration space;
- :func:`pool_graphs` (:mod:`.cg_forcefield`): frames of several runs of one system in one graph;
- :data:`SHIPPED_MODEL`: a small trained alanine-dipeptide CG model (5-bead backbone map, with
  priors; ``MODEL_CARD.md`` beside it), for ``cgmolct.load`` and ``cgmolct simulate``.
Importing this package does not load MindSpore; running the pipeline does.
"""
from __future__ import annotations

from pathlib import Path

from .cg_forcefield import pool_graphs, run_cg_forcefield
from .noise import force_noise_floor

SHIPPED_MODEL = Path(__file__).resolve().parent / "shipped" / "ala2_backbone_niu1"

__all__ = ["run_cg_forcefield", "pool_graphs", "force_noise_floor", "SHIPPED_MODEL"]
