"""Nucleic-acid mappings (DNA and RNA): ``nucleic-3`` and ``nucleic-1``.

=========  ===================================================================  ==========
map        beads per nucleotide                                                  rule
=========  ===================================================================  ==========
nucleic-3  P (phosphate: P, OP1/OP2/OP3, O5'; absent at a 5' end without P),        slice at P
           S (sugar: C1'-C5', O4', O3', O2'; at C4'),                               slice at C4'
           B (base heavy atoms and their H)                                         centroid
nucleic-1  one bead (all atoms) at P, or at C4' where P is missing                  slice
=========  ===================================================================  ==========

Bonds: P-S and S-P(next) (or nt-nt) are ``backbone``; S-B is ``intra``.  Types distinguish
DNA/RNA, bead kind and base (:func:`topologies.vocabulary.nucleic_type`).  Atom names with
``*`` (old PDB) are read as ``'``.
"""
from __future__ import annotations

from ..errors import MappingError
from ..relations import BOND_TYPES
from ..residues import NUCLEIC_BACKBONE_ATOMS, PHOSPHATE_ATOMS
from ..vocabulary import nucleic_type
from .base import Bead, Residue, ResidueBeads

__all__ = ["map_nucleic_residue", "NUCLEIC_MAPS"]

NUCLEIC_MAPS = ("nucleic-3", "nucleic-1")
_BB = BOND_TYPES["backbone"]
_INTRA = BOND_TYPES["intra"]
_PHOSPHATE = PHOSPHATE_ATOMS | {"O5'"}


def map_nucleic_residue(res: Residue, scheme: str) -> ResidueBeads:
    """Beads of one nucleotide; raises MappingError when C4' (and P) is missing."""
    poly, base = res.info.polymer, res.info.parent
    p, c4 = res.row("P"), res.row("C4'")
    if scheme == "nucleic-1":
        rep = p if p is not None else c4
        if rep is None:
            raise MappingError(f"nucleotide {res.label} has neither a P nor a C4' atom")
        return ResidueBeads([Bead([int(r) for r in res.rows], "slice",
                                  nucleic_type(poly, base, nucleotide=True),
                                  "P" if p is not None else "C4'", rep=rep)], head=0, tail=0)
    if scheme != "nucleic-3":
        raise MappingError(f"unknown nucleic mapping {scheme!r}; known: {', '.join(NUCLEIC_MAPS)}")
    if c4 is None:
        raise MappingError(f"nucleotide {res.label} has no C4' atom")

    def assign(name: str) -> str:
        if name in _PHOSPHATE:
            return "P"
        if name in NUCLEIC_BACKBONE_ATOMS:
            return "S"
        return "B"
    groups = res.group(assign)
    beads, bonds = [], []
    if p is not None:
        beads.append(Bead(groups["P"], "slice", nucleic_type(poly, "P"), "P", rep=p))
    elif groups.get("P"):  # O5' of a 5' end without phosphate joins the sugar
        groups.setdefault("S", []).extend(groups.pop("P"))
    s = len(beads)
    beads.append(Bead(groups["S"], "slice", nucleic_type(poly, "S"), "S", rep=c4))
    if p is not None:
        bonds.append((0, s, _BB))
    if groups.get("B"):
        beads.append(Bead(groups["B"], "centroid", nucleic_type(poly, base), "B"))
        bonds.append((s, s + 1, _INTRA))
    return ResidueBeads(beads, bonds, head=0, tail=s)
