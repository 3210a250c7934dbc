"""Analyses of CG and all-atom trajectories: dihedrals, free-energy surfaces, divergences, basins.

Plain numpy (no MindSpore).  Runners follow MDAnalysis (``Runner(...).run()``, results on
``.results``); the rest are functions over arrays.

- :mod:`.geometry` — bond lengths, angles, signed dihedrals of frames;
- :mod:`.dihedrals` — :class:`Dihedrals` (user collective variables),
  :class:`BackboneDihedrals` (φ/ψ from bead names), :func:`backbone_quadruplets`;
- :mod:`.fes` — :func:`free_energy_surface` (60 × 60 bins over [−180°, 180°)², −kT ln p);
- :mod:`.divergence` — :func:`js_divergence` (natural log, no pseudocounts),
  :func:`half_split_js` (the sampling-noise floor);
- :mod:`.basins` — :func:`assign_basins` (β/C7eq, αR, αL), :func:`basin_populations`
  (block-bootstrap errors);
- :mod:`.free_energy` — :class:`FreeEnergy`: reference vs CG, all numbers and the PNG;
- :mod:`.trajectories` — :func:`load_angles` from saved graphs or topology + trajectory files;
  :mod:`.simulations` — :func:`simulation_angles` from a ``cgmolct simulate`` folder.
"""
from __future__ import annotations

from .basins import BASINS, assign_basins, basin_populations
from .dihedrals import BackboneDihedrals, Dihedrals, backbone_quadruplets, wrap_degrees
from .divergence import half_split_js, js_divergence, js_divergence_angles
from .fes import angle_histogram, free_energy_surface
from .free_energy import FreeEnergy
from .geometry import bond_angles, bond_lengths, dihedral_angles
from .plot import plot_free_energy
from .simulations import is_simulation_folder, simulation_angles
from .trajectories import load_angles, open_system

__all__ = [
    "bond_lengths", "bond_angles", "dihedral_angles",
    "Dihedrals", "BackboneDihedrals", "backbone_quadruplets", "wrap_degrees",
    "angle_histogram", "free_energy_surface",
    "js_divergence", "js_divergence_angles", "half_split_js",
    "BASINS", "assign_basins", "basin_populations",
    "FreeEnergy", "plot_free_energy", "load_angles", "open_system",
    "simulation_angles", "is_simulation_folder",
]
