"""The global bead-type vocabulary (versioned).

One integer space for every resolution, so that a model trained on one mapping can be
applied to any graph whose types it knows:

==========  ==========================================================================
ids         meaning
==========  ==========================================================================
0           padding / no bead
1 – 118     chemical elements (atomic number): all-atom and heavy-atom maps, ligands
120 – 139   amino-acid residue beads (CA of ``ca``/``cacb``/``backbone``), alphabetical
140         unknown amino acid (UNK)
150 – 169   amino-acid side-chain beads (``cacb``), same order as 120 – 139
170         unknown side chain
180 – 182   protein backbone tokens: BB_N, BB_C, BB_O
190 – 199   DNA: phosphate P, sugar S, bases A C G T, unknown base, nucleotides (4 kinds)
            are 200 – 204 below
200 – 204   DNA nucleotide beads (``nucleic-1``): DA DC DG DT DN
210 – 219   RNA: phosphate P, sugar S, bases A C G U, unknown base
220 – 224   RNA nucleotide beads (``nucleic-1``): A C G U N
240 – 243   CG special tokens: unknown bead, ligand bead, ion, water
==========  ==========================================================================

``VOCABULARY_SIZE`` (256) bounds every id; embedding tables of models have that many rows.
"""
from __future__ import annotations

from typing import Dict, Iterable

import numpy as np

from .errors import VocabularyError

__all__ = [
    "VOCABULARY_VERSION",
    "VOCABULARY_SIZE",
    "PAD",
    "ELEMENTS",
    "AMINO_ACIDS",
    "AMINO_ACID_ONE_LETTER",
    "TYPE_NAMES",
    "element_type",
    "residue_type",
    "sidechain_type",
    "backbone_type",
    "nucleic_type",
    "special_type",
    "type_name",
    "check_types",
]

VOCABULARY_VERSION = "1"
VOCABULARY_SIZE = 256
PAD = 0

ELEMENTS = (
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge "
    "As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm "
    "Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U "
    "Np Pu Am Cm Bk Cf Es Fm Md No Lr Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og"
).split()
assert len(ELEMENTS) == 118

#: The 20 standard amino acids, in the order of their type ids.
AMINO_ACIDS = (
    "ALA", "ARG", "ASN", "ASP", "CYS", "GLN", "GLU", "GLY", "HIS", "ILE",
    "LEU", "LYS", "MET", "PHE", "PRO", "SER", "THR", "TRP", "TYR", "VAL",
)
AMINO_ACID_ONE_LETTER = dict(zip(AMINO_ACIDS, "ARNDCQEGHILKMFPSTWYV"))

_RESIDUE0, _UNK_RESIDUE = 120, 140
_SIDECHAIN0, _UNK_SIDECHAIN = 150, 170
_BACKBONE = {"N": 180, "C": 181, "O": 182}
_NUCLEIC = {
    # (polymer, bead kind) -> id ; bead kinds: P, S, base letter, N(unknown base)
    ("DNA", "P"): 190, ("DNA", "S"): 191,
    ("DNA", "A"): 192, ("DNA", "C"): 193, ("DNA", "G"): 194, ("DNA", "T"): 195, ("DNA", "N"): 196,
    ("RNA", "P"): 210, ("RNA", "S"): 211,
    ("RNA", "A"): 212, ("RNA", "C"): 213, ("RNA", "G"): 214, ("RNA", "U"): 215, ("RNA", "N"): 216,
}
_NUCLEOTIDE = {
    ("DNA", "A"): 200, ("DNA", "C"): 201, ("DNA", "G"): 202, ("DNA", "T"): 203, ("DNA", "N"): 204,
    ("RNA", "A"): 220, ("RNA", "C"): 221, ("RNA", "G"): 222, ("RNA", "U"): 223, ("RNA", "N"): 224,
}
_SPECIAL = {"UNK": 240, "LIGAND": 241, "ION": 242, "WATER": 243}


def _build_names() -> Dict[int, str]:
    names = {PAD: "PAD"}
    for z, symbol in enumerate(ELEMENTS, start=1):
        names[z] = symbol
    for k, res in enumerate(AMINO_ACIDS):
        names[_RESIDUE0 + k] = res
        names[_SIDECHAIN0 + k] = f"{res}:SC"
    names[_UNK_RESIDUE] = "UNK"
    names[_UNK_SIDECHAIN] = "UNK:SC"
    for atom, i in _BACKBONE.items():
        names[i] = f"BB_{atom}"
    for (poly, kind), i in _NUCLEIC.items():
        names[i] = f"{poly}:{kind}" if kind in ("P", "S") else f"{poly}:base-{kind}"
    for (poly, base), i in _NUCLEOTIDE.items():
        names[i] = f"{poly}:nt-{base}"
    for token, i in _SPECIAL.items():
        names[i] = f"CG:{token}"
    return names


#: id -> human-readable name for every id in the vocabulary.
TYPE_NAMES: Dict[int, str] = _build_names()
_ELEMENT_IDS = {s.upper(): z for z, s in enumerate(ELEMENTS, start=1)}


def element_type(symbol: str) -> int:
    """Type id (= atomic number) of a chemical element symbol, case-insensitive."""
    z = _ELEMENT_IDS.get(str(symbol).strip().upper())
    if z is None:
        raise VocabularyError(f"unknown chemical element {symbol!r}")
    return z


def residue_type(resname: str) -> int:
    """Type id of an amino-acid residue bead; unknown names give the UNK id (140).

    ``resname`` must already be a standard 3-letter name (modified residues are mapped to
    their parent by ``topologies`` before this is called).
    """
    name = str(resname).strip().upper()
    return _RESIDUE0 + AMINO_ACIDS.index(name) if name in AMINO_ACIDS else _UNK_RESIDUE


def sidechain_type(resname: str) -> int:
    """Type id of the side-chain bead of an amino acid (``cacb`` map); unknown → 170."""
    name = str(resname).strip().upper()
    return _SIDECHAIN0 + AMINO_ACIDS.index(name) if name in AMINO_ACIDS else _UNK_SIDECHAIN


def backbone_type(atom: str) -> int:
    """Type id of a backbone token bead: ``"N"``, ``"C"`` or ``"O"``."""
    try:
        return _BACKBONE[atom]
    except KeyError:
        raise VocabularyError(f"unknown backbone bead {atom!r}; known: N, C, O") from None


def nucleic_type(polymer: str, kind: str, *, nucleotide: bool = False) -> int:
    """Type id of a nucleic-acid bead.

    Parameters
    ----------
    polymer : {"DNA", "RNA"}
    kind : str
        ``"P"`` (phosphate), ``"S"`` (sugar) or a base letter (A, C, G, T, U; anything else
        is the unknown base ``"N"``).
    nucleotide : bool
        True for the one-bead-per-nucleotide map (``nucleic-1``); then ``kind`` is the base.
    """
    poly = str(polymer).upper()
    if poly not in ("DNA", "RNA"):
        raise VocabularyError(f"polymer must be 'DNA' or 'RNA', got {polymer!r}")
    k = str(kind).upper()
    table = _NUCLEOTIDE if nucleotide else _NUCLEIC
    if nucleotide or k not in ("P", "S"):
        allowed = "ACGT" if poly == "DNA" else "ACGU"
        k = k if (len(k) == 1 and k in allowed) else "N"
    return table[(poly, k)]


def special_type(token: str) -> int:
    """Type id of a CG special token: ``UNK``, ``LIGAND``, ``ION``, ``WATER``."""
    try:
        return _SPECIAL[token.upper()]
    except KeyError:
        raise VocabularyError(f"unknown special token {token!r}; known: {', '.join(_SPECIAL)}") from None


def type_name(type_id: int) -> str:
    """Human-readable name of a type id."""
    try:
        return TYPE_NAMES[int(type_id)]
    except KeyError:
        raise VocabularyError(f"type id {type_id} is not in vocabulary version {VOCABULARY_VERSION}") from None


def check_types(types: Iterable[int]) -> np.ndarray:
    """Indices of entries of ``types`` that are not defined ids (empty when all are known)."""
    arr = np.asarray(list(types) if not isinstance(types, np.ndarray) else types)
    known = np.zeros(VOCABULARY_SIZE, dtype=bool)
    known[list(TYPE_NAMES)] = True
    in_range = (arr >= 0) & (arr < VOCABULARY_SIZE)
    ok = np.zeros(arr.shape, dtype=bool)
    ok[in_range] = known[arr[in_range]]
    return np.flatnonzero(~ok)
