"""Coarse-grained input files: Martini bead names recognised, beads kept as beads.

A Martini GRO/PDB (``gmx`` output of ``martinize``, ``insane`` membranes) names its beads
``BB``, ``SC1`` … ``SC5`` in amino acids, ``NC3``, ``PO4``, ``GL1``, ``C1A`` … in lipids,
``ROH``, ``R1`` … in sterols and ``W`` in water.  Read as atoms, ``SC1`` would be sulfur, ``W``
tungsten and ``BB`` boron.  :func:`is_martini` recognises such a file; ``build_graph`` then

- types no bead from a guessed element: amino-acid ``BB`` beads carry the residue type,
  ``SC`` beads the side-chain type, water ``CG:WATER``, ions ``CG:ION``, every other bead
  ``CG:LIGAND`` (:func:`map_martini_residue`);
- uses ``BB`` as the ``CA`` of the ``ca`` and ``cacb`` maps (side-chain beads form ``SC``);
- with mapping ``auto`` (and ``heavy``/``all-atom``) keeps every Martini bead (the file is
  already coarse-grained);
- gives beads the Martini mass :data:`MARTINI_MASS` (72 amu) when the file has no masses
  (GRO, PDB); TPR/PSF/ITP masses are kept.

Bonds: ``BB``–``BB`` along the chain (``backbone``), ``BB``–``SC1``–``SC2``… inside an
amino acid (``intra``).  Other Martini molecules (lipids, sterols) get no bonds, and all
their beads share the type ``CG:LIGAND`` (vocabulary version 1 has no Martini bead types).
"""
from __future__ import annotations

import re
from typing import Iterable

import numpy as np

from .mappings.base import Bead, Residue, ResidueBeads
from .relations import BOND_TYPES
from .residues import AMINO_ACID_VARIANTS
from .vocabulary import AMINO_ACIDS, residue_type, sidechain_type, special_type

__all__ = ["is_martini", "map_martini_residue", "MARTINI_MASS", "PROTEIN_BEADS", "FORMATS_WITHOUT_MASSES"]

#: amu: mass of a regular Martini bead (used when the file gives no masses).
MARTINI_MASS = 72.0
#: Bead names of Martini amino acids.
PROTEIN_BEADS = frozenset({"BB", "SC1", "SC2", "SC3", "SC4", "SC5"})
#: Lipid head/linker, sterol and water bead names (tails: C1A…C6B, D1A…D6B).
_OTHER_BEADS = frozenset("NC3 NH3 CNO PO4 GL0 GL1 GL2 AM1 AM2 ROH R1 R2 R3 R4 R5 W WP WM".split())
_TAIL = re.compile(r"^[CD][1-6][AB]$")
#: Structure formats that store no masses (masses guessed from names are meaningless for beads).
FORMATS_WITHOUT_MASSES = frozenset({".gro", ".pdb", ".ent", ".xyz", ".crd", ".pqr", ".pdbqt", ".mol2",
                                    ".cif", ".pdbx", ".mmcif"})


def _is_amino_acid(resname: str) -> bool:
    name = str(resname).strip().upper()
    return name in AMINO_ACIDS or name in AMINO_ACID_VARIANTS


def is_martini(resnames: Iterable[str], names: Iterable[str]) -> bool:
    """True when atom names are Martini bead names.

    Either an amino acid is made of ``BB``/``SC*`` beads (with a ``BB`` and no ``CA``), or more
    than half of all names are Martini lipid, sterol or water bead names.
    """
    resnames = np.char.upper(np.char.strip(np.asarray(list(resnames), dtype=str)))
    names = np.char.upper(np.char.strip(np.asarray(list(names), dtype=str)))
    if len(names) == 0:
        return False
    amino = np.array([_is_amino_acid(r) for r in np.unique(resnames)], dtype=bool)
    if amino.any():
        aa_names = set(np.unique(names[np.isin(resnames, np.unique(resnames)[amino])]).tolist())
        if "BB" in aa_names and "CA" not in aa_names and aa_names <= PROTEIN_BEADS:
            return True
    other = np.array([n in _OTHER_BEADS or bool(_TAIL.match(n)) for n in np.unique(names)])
    counts = {n: c for n, c in zip(*np.unique(names, return_counts=True))}
    n_martini = sum(counts[n] for n, ok in zip(np.unique(names), other) if ok)
    return n_martini > 0.5 * len(names)


def map_martini_residue(res: Residue, kind: str, atom_names: np.ndarray) -> ResidueBeads:
    """One bead per Martini bead of a residue (identity rule), typed from its role.

    Parameters
    ----------
    res : Residue
        The residue (``res.info.parent`` is the standard amino-acid name for proteins).
    kind : str
        Residue kind (``protein``, ``cap``, ``nucleic``, ``water``, ``ion``, ``other``).
    atom_names : (n_rows,) str
        Bead names of all rows.
    """
    beads = []
    bonds = []
    head = None
    for r in res.rows:
        r = int(r)
        name = str(atom_names[r]).strip().upper()
        if kind == "protein" and name == "BB":
            head = len(beads)
            btype = residue_type(res.info.parent)
        elif kind == "protein" and name in PROTEIN_BEADS:
            btype = sidechain_type(res.info.parent)
        elif kind == "water":
            btype = special_type("WATER")
        elif kind == "ion":
            btype = special_type("ION")
        else:
            btype = special_type("LIGAND")
        beads.append(Bead([r], "identity", btype, str(atom_names[r]).strip(), rep=r))
    if kind == "protein" and head is not None:
        order = [head] + [k for k in range(len(beads)) if k != head]  # BB-SC1-SC2-...
        bonds = [(a, b, BOND_TYPES["intra"]) for a, b in zip(order[:-1], order[1:])]
    return ResidueBeads(beads, bonds, head=head, tail=head)
