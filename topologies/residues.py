"""Residue-name tables: amino acids and their variants, caps, nucleotides, water, ions.

:func:`classify_residue` turns a residue name (and its atom names) into a
:class:`ResidueInfo`: its kind (``protein``, ``cap``, ``nucleic``, ``water``, ``ion``,
``other``), the parent standard name and, for nucleotides, the polymer (DNA/RNA) and base.
Variants (protonation states, force-field names, modified residues) map to their parent
with a note that the caller turns into a warning.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional

from .vocabulary import AMINO_ACIDS

__all__ = ["ResidueInfo", "classify_residue", "AMINO_ACID_VARIANTS", "CAPS", "NUCLEOTIDES",
           "NUCLEOTIDE_LIGANDS", "ADDITIVES", "MAX_ADDITIVE_ATOMS", "is_additive",
           "WATER_NAMES", "ION_NAMES", "BACKBONE_ATOMS", "NUCLEIC_BACKBONE_ATOMS", "PHOSPHATE_ATOMS"]

#: Variant / modified residue -> parent amino acid (each mapping is reported once per name).
_PROTONATION = {
    "HSD": "HIS", "HSE": "HIS", "HSP": "HIS", "HID": "HIS", "HIE": "HIS", "HIP": "HIS",
    "HISA": "HIS", "HISB": "HIS", "HISD": "HIS", "HISE": "HIS", "HISH": "HIS", "HIS1": "HIS",
    "HIS2": "HIS", "HSC": "HIS", "CYX": "CYS", "CYM": "CYS", "CYSH": "CYS", "CYS2": "CYS",
    "CYN": "CYS", "ASH": "ASP", "ASPH": "ASP", "ASPP": "ASP", "GLH": "GLU", "GLUH": "GLU",
    "GLUP": "GLU", "LYN": "LYS", "LYSH": "LYS", "LSN": "LYS", "ARN": "ARG", "TYM": "TYR",
}
_MODIFIED = {
    "MSE": "MET", "SME": "MET", "SEP": "SER", "TPO": "THR", "PTR": "TYR", "NLE": "LEU",
    "MLY": "LYS", "M3L": "LYS", "KCX": "LYS", "ALY": "LYS", "CSO": "CYS", "CME": "CYS",
    "CSD": "CYS", "OCS": "CYS", "HYP": "PRO", "PCA": "GLU", "SAC": "SER", "MEN": "ASN",
    "FME": "MET", "DAL": "ALA", "DLE": "LEU", "DVA": "VAL", "DPN": "PHE", "ABA": "ALA",
    "NVA": "VAL", "ORN": "LYS", "AIB": "ALA", "CGU": "GLU", "SEC": "CYS", "PYL": "LYS",
}
AMINO_ACID_VARIANTS = {**_PROTONATION, **_MODIFIED}

#: Terminal caps: name -> the atom that is the cap's backbone bead in the ``backbone`` map
#: and the side of the chain it caps.
CAPS = {
    "ACE": ("C", "N-term"), "FOR": ("C", "N-term"),
    "NME": ("N", "C-term"), "NMA": ("N", "C-term"), "NH2": ("N", "C-term"),
    "NHE": ("N", "C-term"), "NHH": ("N", "C-term"), "ETA": ("N", "C-term"), "CT3": ("N", "C-term"),
}

#: Nucleotide names -> (polymer hint or None, base letter).
NUCLEOTIDES = {}
for _b in "ACGTU":
    NUCLEOTIDES[f"D{_b}"] = ("DNA", _b)
    NUCLEOTIDES[_b] = (None, _b)
    NUCLEOTIDES[f"R{_b}"] = ("RNA", _b)
    for _end in "35":
        NUCLEOTIDES[f"D{_b}{_end}"] = ("DNA", _b)
        NUCLEOTIDES[f"R{_b}{_end}"] = ("RNA", _b)
        NUCLEOTIDES[f"{_b}{_end}"] = (None, _b)
    NUCLEOTIDES[f"D{_b}N"] = ("DNA", _b)
    NUCLEOTIDES[f"R{_b}N"] = ("RNA", _b)
NUCLEOTIDES.update({"ADE": (None, "A"), "CYT": (None, "C"), "GUA": (None, "G"),
                    "THY": ("DNA", "T"), "URA": ("RNA", "U"), "URI": ("RNA", "U"),
                    "INO": (None, "N"), "DI": ("DNA", "N"), "I": ("RNA", "N"), "PSU": ("RNA", "U"),
                    "5MC": ("RNA", "C"), "OMC": ("RNA", "C"), "OMG": ("RNA", "G"), "1MA": ("RNA", "A"),
                    "2MG": ("RNA", "G"), "7MG": ("RNA", "G"), "H2U": ("RNA", "U"), "5MU": ("RNA", "U"),
                    "5CM": ("DNA", "C")})

#: Nucleotide-like ligands and cofactors: atom-level ligands, never chain nucleotides.
NUCLEOTIDE_LIGANDS = frozenset("ATP ADP AMP ANP ACP AGS APC GTP GDP GMP GNP GSP GCP CTP CDP CMP UTP "
                               "UDP UMP TTP TDP TMP DTP DGT DCP DCT DUT NAD NAP NDP NAI NAJ FAD FMN "
                               "SAM SAH COA A3P PAP UPG UD1".split())

WATER_NAMES = frozenset("HOH WAT TIP3 TIP3P TIP4 TIP4P TIP5 TIP5P SOL SPC SPCE T3P T4P T5P H2O DOD "
                        "OH2 TIP W PW WF".split())
ION_NAMES = frozenset("NA NA+ SOD K K+ POT CL CL- CLA MG MG2 MG+2 CA CA2 CAL ZN ZN2 ZN+2 LI LI+ RB CS "
                      "CS+ BR BR- I IOD F FE FE2 FE3 MN CU CU1 CU2 CO NI CD BA SR NIO CIO KIO ION".split())

#: Crystallisation additives, cryoprotectants, buffers, precipitants and reducing agents
#: (PDB chemical component id -> what it is).  ``build_graph`` drops them by default beside
#: other molecules (they are not part of the system being modelled), with a warning listing
#: them; ``keep_additives=True`` (``--keep-additives``) keeps them as small molecules.
ADDITIVES = {
    # cryoprotectants, alcohols and polyols
    "GOL": "glycerol", "EDO": "1,2-ethanediol", "MPD": "2-methyl-2,4-pentanediol",
    "MRD": "(R)-2-methyl-2,4-pentanediol", "PGO": "(S)-1,2-propanediol", "PGR": "(R)-1,2-propanediol",
    "BU3": "2,3-butanediol", "HEZ": "1,6-hexanediol", "EOH": "ethanol", "MOH": "methanol",
    "IPA": "isopropanol", "IOH": "2-propanol", "DIO": "1,4-dioxane", "ACN": "acetone",
    "DMS": "DMSO", "DMF": "dimethylformamide",
    # polyethylene glycol fragments
    "PEG": "di(hydroxyethyl) ether, PEG", "PGE": "triethylene glycol, PEG",
    "PG4": "tetraethylene glycol, PEG", "1PE": "pentaethylene glycol, PEG",
    "P6G": "hexaethylene glycol, PEG", "P33": "heptaethylene glycol, PEG",
    "PE4": "PEG fragment", "PE8": "octaethylene glycol, PEG", "2PE": "nonaethylene glycol, PEG",
    "12P": "dodecaethylene glycol, PEG", "15P": "polyethylene glycol, PEG", "PG0": "PEG fragment",
    "PEU": "PEG fragment", "PE5": "PEG fragment", "7PE": "PEG fragment",
    # reducing agents
    "BME": "beta-mercaptoethanol", "DTT": "dithiothreitol", "DTU": "dithioerythritol",
    "TCE": "TCEP",
    # organic acids and their salts
    "ACT": "acetate", "ACY": "acetic acid", "FMT": "formate",
    "CIT": "citrate", "FLC": "citrate anion", "TAR": "tartrate", "TLA": "L-tartrate",
    "MLI": "malonate", "MLA": "malonic acid", "SIN": "succinate", "TFA": "trifluoroacetate",
    "LAC": "lactate", "OXL": "oxalate",
    # inorganic anions and cations of precipitants
    "SO4": "sulfate", "SUL": "sulfate", "PO4": "phosphate", "PI": "hydrogen phosphate",
    "2HP": "dihydrogen phosphate", "NO3": "nitrate", "SCN": "thiocyanate", "AZI": "azide",
    "NH4": "ammonium", "CAC": "cacodylate", "BCT": "bicarbonate", "CO3": "carbonate",
    # buffers
    "TRS": "Tris", "EPE": "HEPES", "MES": "MES", "MPO": "MOPS", "BTB": "Bis-Tris",
    "B3P": "Bis-Tris propane", "CXS": "CAPS", "IMD": "imidazole", "PIP": "PIPES",
    "BCN": "bicine", "TAM": "Tris",
}
#: Residues named as additives but larger than this (atoms) are kept: not the additive.
MAX_ADDITIVE_ATOMS = 120


def is_additive(resname: str, n_atoms: int) -> bool:
    """True for a crystallisation additive / buffer molecule (see :data:`ADDITIVES`)."""
    return str(resname).strip().upper() in ADDITIVES and n_atoms <= MAX_ADDITIVE_ATOMS


#: Protein backbone heavy atoms (with terminal variants).
BACKBONE_ATOMS = frozenset("N CA C O OXT OT1 OT2 O1 O2 OC1 OC2 HA HA2 HA3 H HN H1 H2 H3 HT1 HT2 HT3".split())
#: Sugar-phosphate atoms of nucleotides (``*`` spellings are normalised to ``'``).
PHOSPHATE_ATOMS = frozenset("P OP1 OP2 OP3 O1P O2P O3P PA PB".split())
NUCLEIC_BACKBONE_ATOMS = PHOSPHATE_ATOMS | frozenset(
    "O5' C5' C4' O4' C3' O3' C2' O2' C1' H5T H3T HO5' HO3' HO2' H5' H5'' H4' H3' H2' H2'' H1' HO'2 "
    "H5'1 H5'2 H2'1 H2'2 C2M".split())

_MOL2_SUFFIX = re.compile(r"^([A-Z][A-Z0-9]{0,2}?)(-?\d+)$")


@dataclass(frozen=True)
class ResidueInfo:
    """What a residue is.

    Attributes
    ----------
    kind : {"protein", "cap", "nucleic", "water", "ion", "other"}
    parent : str
        Standard name (``HIS`` for ``HSD``, ``UNK`` for an unknown amino acid, the base
        letter for nucleotides, the input name otherwise).
    polymer : {"DNA", "RNA", None}
    note : str or None
        Why the name was changed (one warning per distinct note), None when unchanged.
    """
    kind: str
    parent: str
    polymer: Optional[str] = None
    note: Optional[str] = None


def normalise_atom_name(name: str) -> str:
    """Upper-case atom name with ``*`` (old PDB sugar names) written as ``'``."""
    return str(name).strip().upper().replace("*", "'")


def classify_residue(resname: str, atom_names: Iterable[str]) -> ResidueInfo:
    """Classify one residue from its name and atom names (see :class:`ResidueInfo`)."""
    name = str(resname).strip().upper()
    atoms = {normalise_atom_name(a) for a in atom_names}
    if name not in AMINO_ACIDS and name not in AMINO_ACID_VARIANTS and name not in NUCLEOTIDES:
        m = _MOL2_SUFFIX.match(name)  # mol2 substructure names such as ALA402
        if m and (m.group(1) in AMINO_ACIDS or m.group(1) in AMINO_ACID_VARIANTS or m.group(1) in CAPS):
            name = m.group(1)
    if name in AMINO_ACIDS:
        return ResidueInfo("protein", name)
    if name in _PROTONATION:
        return ResidueInfo("protein", _PROTONATION[name],
                           note=f"residue name {name} (protonation/force-field variant) mapped to "
                                f"its parent {_PROTONATION[name]}")
    if name in _MODIFIED:
        return ResidueInfo("protein", _MODIFIED[name],
                           note=f"modified residue {name} mapped to its parent {_MODIFIED[name]}")
    if name in CAPS:
        return ResidueInfo("cap", name)
    if name in WATER_NAMES:
        return ResidueInfo("water", name)
    if name in ION_NAMES and len(atoms) == 1:
        return ResidueInfo("ion", name)
    if name in NUCLEOTIDES:
        hint, base = NUCLEOTIDES[name]
        has_o2 = "O2'" in atoms
        polymer = "RNA" if has_o2 else (hint or "DNA")
        if hint == "DNA" and has_o2:
            polymer = "RNA"
        return ResidueInfo("nucleic", base, polymer=polymer)
    if {"N", "CA", "C"} <= atoms:
        return ResidueInfo("protein", "UNK",
                           note=f"unknown residue {name} has N, CA, C atoms: treated as amino acid UNK")
    if name in NUCLEOTIDE_LIGANDS or (atoms & {"PA", "PB"} and "P" not in atoms):
        # nucleoside di/triphosphates and cofactors (ATP, GDP, NAD, FAD, ...) are ligands,
        # not links of a nucleic-acid chain
        return ResidueInfo("other", name)
    if {"P", "C4'", "C1'"} <= atoms or {"C4'", "C1'", "O4'"} <= atoms:
        polymer = "RNA" if "O2'" in atoms else "DNA"
        return ResidueInfo("nucleic", "N", polymer=polymer,
                           note=f"unknown residue {name} has sugar atoms: treated as {polymer} nucleotide "
                                "with unknown base")
    if len(atoms) == 1 and name in {a for a in atoms}:
        return ResidueInfo("ion", name)
    return ResidueInfo("other", name)
