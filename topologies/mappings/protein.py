"""Protein residue mappings: ``ca``, ``cacb``, ``backbone`` (plus caps).

=========  ================================================================  ================
map        beads per residue                                                  rule
=========  ================================================================  ================
ca         CA (members: the whole residue)                                    slice at CA
cacb       CA (backbone atoms) + SC (side-chain atoms; none for Gly)          slice / centroid
backbone   N (N + H), CA (CA, HA, side chain), C (C, O, OXT)                  slice at each
=========  ================================================================  ================

``centroid``: mean of the heavy atoms (hydrogens carry no position weight); the bead force
is the sum over all member atoms, hydrogens included.  ``slice``: position and force of
the one atom (the other members only add their mass to the bead).

Caps: in ``backbone`` the ACE/FOR cap gives its C and the NME/NMA/NH2 cap its N as a
bead (so ACE-ALA-NME gives C, N, CA, C, N and φ, ψ are defined); ``ca`` and ``cacb`` give
caps no bead.  Bonds: consecutive CA (``ca``, ``cacb``) or N-CA, CA-C, C-N (``backbone``)
are ``backbone`` bonds; CA-SC is an ``intra`` bond.  Types: CA beads carry the residue type
(:func:`topologies.vocabulary.residue_type`), SC beads the side-chain type, N and C the
backbone tokens.
"""
from __future__ import annotations

from typing import Optional

from ..errors import MappingError
from ..relations import BOND_TYPES
from ..residues import BACKBONE_ATOMS, CAPS
from ..vocabulary import backbone_type, residue_type, sidechain_type
from .base import Bead, Residue, ResidueBeads

__all__ = ["map_protein_residue", "map_cap", "PROTEIN_MAPS"]

PROTEIN_MAPS = ("ca", "cacb", "backbone")
_BB = BOND_TYPES["backbone"]
_INTRA = BOND_TYPES["intra"]


def _missing(res: Residue, atoms: str) -> MappingError:
    return MappingError(f"residue {res.label} has no {atoms} atom")


def map_protein_residue(res: Residue, scheme: str) -> ResidueBeads:
    """Beads of one amino-acid residue; raises MappingError when a key atom is missing."""
    ca = res.row("CA")
    if ca is None and res.row("N") is None:
        ca = res.row("BB")  # coarse-grained (Martini) residue: BB stands for CA
        if ca is not None and scheme == "backbone":
            raise MappingError(f"residue {res.label} is a coarse-grained (Martini) residue of beads "
                               f"{', '.join(sorted(res.by_name))}; the backbone map needs N, CA and C "
                               "atoms: use ca or cacb")
    if ca is None:
        raise _missing(res, "CA")
    rtype = residue_type(res.info.parent)
    if scheme == "ca":
        members = [int(r) for r in res.rows]
        return ResidueBeads([Bead(members, "slice", rtype, "CA", rep=ca)], head=0, tail=0)
    if scheme == "cacb":
        groups = res.group(lambda n: "bb" if n in BACKBONE_ATOMS or n == "BB" else "sc")
        beads = [Bead(groups.get("bb", [ca]), "slice", rtype, "CA", rep=ca)]
        bonds, notes = [], []
        if groups.get("sc"):
            beads.append(Bead(groups["sc"], "centroid", sidechain_type(res.info.parent), "SC"))
            bonds.append((0, 1, _INTRA))
        elif res.info.parent != "GLY" and not (res.info.parent == "ALA" and res.row("BB") == ca):
            # (Martini 2 alanine is one BB bead)
            notes.append(f"residue {res.label} has no side-chain atoms; no SC bead")
        return ResidueBeads(beads, bonds, head=0, tail=0, notes=notes)
    if scheme == "backbone":
        n, c = res.row("N"), res.row("C")
        if n is None or c is None:
            raise _missing(res, "N" if n is None else "C")

        def assign(name: str) -> str:
            if name == "N":
                return "N"
            if name in ("C", "O", "OXT", "OT1", "OT2", "O1", "O2", "OC1", "OC2"):
                return "C"
            return "CA"
        groups = res.group(assign)
        beads = [Bead(groups["N"], "slice", backbone_type("N"), "N", rep=n),
                 Bead(groups["CA"], "slice", rtype, "CA", rep=ca),
                 Bead(groups["C"], "slice", backbone_type("C"), "C", rep=c)]
        return ResidueBeads(beads, [(0, 1, _BB), (1, 2, _BB)], head=0, tail=2)
    raise MappingError(f"unknown protein mapping {scheme!r}; known: {', '.join(PROTEIN_MAPS)}")


def map_cap(res: Residue, scheme: str) -> Optional[ResidueBeads]:
    """The bead of a terminal cap in the ``backbone`` map (None in other maps)."""
    if scheme != "backbone":
        return None
    atom, _side = CAPS[res.info.parent]
    rep = res.row(atom)
    if rep is None:
        raise _missing(res, atom + " (cap)")
    members = [int(r) for r in res.rows]
    return ResidueBeads([Bead(members, "slice", backbone_type(atom), atom, rep=rep)], head=0, tail=0)
