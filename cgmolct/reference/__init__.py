"""All-atom reference data from OpenMM and its mapping to CG resolutions.

- :func:`run_reference` (:mod:`.run`): Langevin MD of a prepared PDB (built in: alanine
  dipeptide, AMBER ff03 + OBC) saving positions (Å), forces (kcal/mol/Å) and potential
  energies (kcal/mol) in resumable chunks (:mod:`.chunks`), assembled into an ``all-atom``
  :class:`topologies.CGGraph` (:mod:`.assemble`);
- :func:`map_reference` (:mod:`.mapping`): the same graph at a CG resolution (``backbone``,
  ``heavy``, ``ca``, ``cacb``) with summed (force-matching-consistent) bead forces;
- :mod:`.system` (OpenMM system, platform choice, error translation) and
  :mod:`.structures` (the built-in ACE-ALA-NME structure); :func:`shipped_reference` is the
  small reference set shipped with cgmolct.

Command line: ``cgmolct data reference`` and ``cgmolct data map``.
"""
from __future__ import annotations

from .assemble import assemble_graph
from .mapping import FORCE_MAPS, REFERENCE_MAPPINGS, map_reference
from .run import ALANINE_DIPEPTIDE_FORCEFIELD, ReferenceSettings, run_reference
from .structures import SHIPPED_REFERENCE, shipped_alanine_dipeptide_pdb, shipped_reference
from .system import CONSTRAINTS, PLATFORMS, SystemSpec

__all__ = ["run_reference", "ReferenceSettings", "assemble_graph", "map_reference", "SystemSpec",
           "CONSTRAINTS", "PLATFORMS", "REFERENCE_MAPPINGS", "FORCE_MAPS", "ALANINE_DIPEPTIDE_FORCEFIELD",
           "shipped_alanine_dipeptide_pdb", "shipped_reference", "SHIPPED_REFERENCE"]
