"""Residue → bead mappings and the mapping names users pass to ``build_graph``.

A mapping name resolves to one scheme per residue family (:func:`resolve_mapping`):

============  ===========  ===========  ==============================================
name          protein      nucleic      everything else (ligands, small molecules)
============  ===========  ===========  ==============================================
auto          ca           nucleic-3    heavy with polymers present, else all-atom
ca            ca           nucleic-3    heavy
cacb          cacb         nucleic-3    heavy
backbone      backbone     nucleic-3    heavy
nucleic-3     ca           nucleic-3    heavy
nucleic-1     ca           nucleic-1    heavy
heavy         heavy        heavy        heavy
all-atom      all-atom     all-atom     all-atom
============  ===========  ===========  ==============================================

A dict ``{"protein": ..., "nucleic": ..., "other": ...}`` chooses each family explicitly.
"""
from __future__ import annotations

from typing import Dict, Union

from ..errors import MappingError
from .base import Bead, Residue, ResidueBeads, weights_for
from .nucleic import NUCLEIC_MAPS, map_nucleic_residue
from .protein import PROTEIN_MAPS, map_cap, map_protein_residue
from .small_molecule import ATOM_MAPS, map_atoms, map_water

__all__ = ["MAPPINGS", "resolve_mapping", "Bead", "Residue", "ResidueBeads", "weights_for",
           "map_protein_residue", "map_cap", "map_nucleic_residue", "map_atoms", "map_water",
           "PROTEIN_MAPS", "NUCLEIC_MAPS", "ATOM_MAPS"]

#: Mapping names accepted by ``build_graph``.
MAPPINGS = ("auto", "ca", "cacb", "backbone", "nucleic-3", "nucleic-1", "heavy", "all-atom")
_FAMILIES = {"protein": PROTEIN_MAPS + ATOM_MAPS, "nucleic": NUCLEIC_MAPS + ATOM_MAPS, "other": ATOM_MAPS}


def resolve_mapping(mapping: Union[str, Dict[str, str]], has_polymer: bool) -> Dict[str, str]:
    """Scheme per family (``protein``, ``nucleic``, ``other``) for a mapping name or dict."""
    if isinstance(mapping, dict):
        out = {"protein": "ca", "nucleic": "nucleic-3", "other": "heavy" if has_polymer else "all-atom"}
        unknown = sorted(set(mapping) - set(_FAMILIES))
        if unknown:
            raise MappingError(f"unknown residue family {unknown}; use protein, nucleic, other")
        out.update(mapping)
        for fam, scheme in out.items():
            if scheme not in _FAMILIES[fam]:
                raise MappingError(f"mapping {scheme!r} cannot map {fam} residues; choose one of "
                                   f"{', '.join(_FAMILIES[fam])}")
        return out
    name = str(mapping).strip().lower()
    if name == "auto":
        return {"protein": "ca", "nucleic": "nucleic-3", "other": "heavy" if has_polymer else "all-atom"}
    if name in PROTEIN_MAPS:
        return {"protein": name, "nucleic": "nucleic-3", "other": "heavy"}
    if name in NUCLEIC_MAPS:
        return {"protein": "ca", "nucleic": name, "other": "heavy"}
    if name in ATOM_MAPS:
        return {"protein": name, "nucleic": name, "other": name}
    raise MappingError(f"unknown mapping {mapping!r}; choose one of {', '.join(MAPPINGS)}")
