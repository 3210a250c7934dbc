"""Atom-level mappings for small molecules, ligands and all-atom views.

=========  ==================================================================  =========
map        beads                                                               rule
=========  ==================================================================  =========
all-atom   one bead per atom, element type                                     identity
heavy      one bead per heavy atom with its hydrogens, element type            com
=========  ==================================================================  =========

Bonds between beads come from the chemical bonds (see :mod:`topologies.chemistry`) and
are added by the graph builder, not here.  Waters (when kept) in a CG map are one bead
(type ``CG:WATER``, centre of mass); ions are one bead with their element type.
"""
from __future__ import annotations

import numpy as np

from ..vocabulary import special_type
from .base import Bead, Residue, ResidueBeads

__all__ = ["map_atoms", "map_water", "ATOM_MAPS"]

ATOM_MAPS = ("all-atom", "heavy")


def map_atoms(res: Residue, scheme: str, elements: np.ndarray, atom_names: np.ndarray) -> ResidueBeads:
    """One bead per atom (``all-atom``) or per heavy atom with its hydrogens (``heavy``)."""
    beads = []
    if scheme == "all-atom":
        for r in res.rows:
            r = int(r)
            beads.append(Bead([r], "identity", int(elements[r]) or special_type("UNK"),
                              str(atom_names[r]), rep=r))
        return ResidueBeads(beads)
    heavy_rows = [int(r) for k, r in enumerate(res.rows) if not res.hydrogens[k]]
    if not heavy_rows:  # a lone hydrogen (H+ or H2): keep it as an atom
        return map_atoms(res, "all-atom", elements, atom_names)
    attached = {r: [r] for r in heavy_rows}
    for k, r in enumerate(res.rows):
        if res.hydrogens[k] and int(res.parent[k]) in attached:
            attached[int(res.parent[k])].append(int(r))
    for r in heavy_rows:
        beads.append(Bead(attached[r], "com", int(elements[r]) or special_type("UNK"),
                          str(atom_names[r]), rep=r))
    return ResidueBeads(beads)


def map_water(res: Residue) -> ResidueBeads:
    """A water molecule as one bead at its centre of mass."""
    return ResidueBeads([Bead([int(r) for r in res.rows], "com", special_type("WATER"), "W")])
