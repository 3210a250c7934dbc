"""Prepare a crystal structure for OpenMM: one protein selection, hydrogens, terminal oxygens.

Crystal structures (PDB files, gzip-compressed or not) lack hydrogens, often the C-terminal
oxygen ``OXT``, sometimes residues (gaps) or side-chain atoms, and may carry alternate
locations, waters and ligands.  :func:`prepare_protein`

1. reads the file with MDAnalysis and keeps the selection (default ``protein``), the first
   alternate location of every atom and the first model;
2. refuses residues of the 20 standard amino acids that lack heavy atoms (named with
   the missing atoms) and gaps: consecutive residues of a chain whose C–N distance exceeds
   :data:`MAX_PEPTIDE_BOND` Å (missing residues) -- an :class:`~cgmolct.errors.InputError`
   names the chain and both residues;
3. adds ``OXT`` to the last residue of every chain when it is missing (placed in the
   carboxylate plane, 1.25 Å from C, opposite the bisector of CA and O);
4. adds hydrogens with OpenMM's ``Modeller`` at the given pH for the named force field;
   a residue the force field cannot parameterise (missing heavy atoms, a non-standard
   residue) gives an InputError naming it and the atoms it has;
5. writes the result atomically as PDB.

Nothing is modelled that is not there: missing residues and side chains stay an error
(use a modelling tool such as PDBFixer or MODELLER first).
"""
from __future__ import annotations

import io
import tempfile
import warnings
from pathlib import Path
from typing import Dict, Sequence

import numpy as np

from ..errors import InputError
from ..storage import atomic_write_text

__all__ = ["prepare_protein", "MAX_PEPTIDE_BOND", "HEAVY_ATOMS"]

#: Longest C(i)–N(i+1) distance (Å) accepted as a peptide bond; longer means missing residues.
MAX_PEPTIDE_BOND = 2.0
_OXT_BOND = 1.25  # Å, carboxylate C–O
#: Heavy atoms of the standard amino acids (PDB names; the terminal OXT is added when missing).
HEAVY_ATOMS: Dict[str, tuple] = {
    "ALA": ("N", "CA", "C", "O", "CB"),
    "ARG": ("N", "CA", "C", "O", "CB", "CG", "CD", "NE", "CZ", "NH1", "NH2"),
    "ASN": ("N", "CA", "C", "O", "CB", "CG", "OD1", "ND2"),
    "ASP": ("N", "CA", "C", "O", "CB", "CG", "OD1", "OD2"),
    "CYS": ("N", "CA", "C", "O", "CB", "SG"),
    "GLN": ("N", "CA", "C", "O", "CB", "CG", "CD", "OE1", "NE2"),
    "GLU": ("N", "CA", "C", "O", "CB", "CG", "CD", "OE1", "OE2"),
    "GLY": ("N", "CA", "C", "O"),
    "HIS": ("N", "CA", "C", "O", "CB", "CG", "ND1", "CD2", "CE1", "NE2"),
    "ILE": ("N", "CA", "C", "O", "CB", "CG1", "CG2", "CD1"),
    "LEU": ("N", "CA", "C", "O", "CB", "CG", "CD1", "CD2"),
    "LYS": ("N", "CA", "C", "O", "CB", "CG", "CD", "CE", "NZ"),
    "MET": ("N", "CA", "C", "O", "CB", "CG", "SD", "CE"),
    "PHE": ("N", "CA", "C", "O", "CB", "CG", "CD1", "CD2", "CE1", "CE2", "CZ"),
    "PRO": ("N", "CA", "C", "O", "CB", "CG", "CD"),
    "SER": ("N", "CA", "C", "O", "CB", "OG"),
    "THR": ("N", "CA", "C", "O", "CB", "OG1", "CG2"),
    "TRP": ("N", "CA", "C", "O", "CB", "CG", "CD1", "CD2", "NE1", "CE2", "CE3", "CZ2", "CZ3", "CH2"),
    "TYR": ("N", "CA", "C", "O", "CB", "CG", "CD1", "CD2", "CE1", "CE2", "CZ", "OH"),
    "VAL": ("N", "CA", "C", "O", "CB", "CG1", "CG2"),
}


def _read_selection(path: Path, selection: str):
    """MDAnalysis AtomGroup of ``selection`` (first altloc of every atom, first frame)."""
    import MDAnalysis as mda

    if not path.is_file():
        raise InputError(f"{path}: no such structure file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            u = mda.Universe(str(path))
    except Exception as exc:
        raise InputError(f"{path}: MDAnalysis cannot read this structure: {' '.join(str(exc).split())}") from None
    try:
        atoms = u.select_atoms(selection)
    except Exception as exc:
        raise InputError(f"{path}: bad selection {selection!r}: {' '.join(str(exc).split())}") from None
    if len(atoms) == 0:
        raise InputError(f"{path}: the selection {selection!r} matches no atom")
    if hasattr(atoms, "altLocs"):
        seen, keep = set(), []
        for k, (r, name) in enumerate(zip(atoms.resindices, atoms.names)):
            if (int(r), str(name)) not in seen:
                seen.add((int(r), str(name)))
                keep.append(k)
        atoms = atoms[np.asarray(keep, dtype=np.int64)]
    return atoms


def _check_gaps(path: Path, atoms) -> None:
    for seg in atoms.segments:
        residues = [r for r in atoms.residues if r.segment == seg]
        for a, b in zip(residues[:-1], residues[1:]):
            c = a.atoms.select_atoms("name C")
            n = b.atoms.select_atoms("name N")
            if len(c) == 0 or len(n) == 0:
                raise InputError(f"{path}: residue {a.resname} {a.resid} or {b.resname} {b.resid} "
                                 f"(segment {seg.segid or '-'}) lacks its backbone C or N atom")
            d = float(np.linalg.norm(c.positions[0] - n.positions[0]))
            if d > MAX_PEPTIDE_BOND:
                raise InputError(
                    f"{path}: gap in chain {seg.segid or '-'} between {a.resname} {a.resid} and "
                    f"{b.resname} {b.resid} (C–N {d:.1f} Å > {MAX_PEPTIDE_BOND} Å): residues are "
                    "missing; model them first (e.g. PDBFixer, MODELLER) or select one side")


def _check_heavy_atoms(path: Path, atoms) -> None:
    """Refuse residues of :data:`HEAVY_ATOMS` that lack heavy atoms (named in the error)."""
    missing = []
    for res in atoms.residues:
        want = HEAVY_ATOMS.get(str(res.resname))
        if want is None:
            continue
        have = set(str(n) for n in res.atoms.names)
        lack = [n for n in want if n not in have]
        if lack:
            missing.append(f"{res.resname} {res.resid} ({' '.join(lack)})")
    if missing:
        shown = ", ".join(missing[:8]) + (f", ... ({len(missing)} residues)" if len(missing) > 8 else "")
        raise InputError(f"{path}: missing heavy atoms in {shown}; model them first (e.g. PDBFixer, "
                         "MODELLER) or select around them")


def _add_terminal_oxygens(modeller) -> int:
    """Add OXT to the last residue of every chain that has C, O and CA but no OXT."""
    from openmm import Vec3, app, unit

    pos = np.asarray(modeller.positions.value_in_unit(unit.nanometer), dtype=np.float64)
    extra = []
    for chain in modeller.topology.chains():
        residues = list(chain.residues())
        if not residues:
            continue
        res = residues[-1]
        names: Dict[str, object] = {a.name: a for a in res.atoms()}
        if "OXT" in names or not all(k in names for k in ("C", "O", "CA")):
            continue
        c, o, ca = (pos[names[k].index] for k in ("C", "O", "CA"))
        u = (o - c) / np.linalg.norm(o - c) + (ca - c) / np.linalg.norm(ca - c)
        d = -u / np.linalg.norm(u)
        oxt = modeller.topology.addAtom("OXT", app.element.oxygen, res)
        modeller.topology.addBond(names["C"], oxt)
        extra.append(Vec3(*(c + _OXT_BOND / 10.0 * d)))
    if extra:
        modeller.positions = unit.Quantity(list(modeller.positions.value_in_unit(unit.nanometer)) + extra,
                                           unit.nanometer)
    return len(extra)


def prepare_protein(path, output, *, selection: str = "protein",
                    forcefield: Sequence[str] = ("amber03.xml", "amber03_obc.xml"),
                    ph: float = 7.0) -> Dict[str, object]:
    """Write a simulation-ready PDB of a protein from a crystal structure (see the module docs).

    Parameters
    ----------
    path : path-like
        Structure file MDAnalysis reads (PDB, PDB.gz, GRO, ...).
    output : path-like
        PDB to write (atomically).
    selection : str
        MDAnalysis selection to keep (default ``protein``: waters, ions, ligands dropped).
    forcefield : sequence of str
        OpenMM force-field files whose templates the hydrogens are added for.
    ph : float
        pH for protonation states.

    Returns
    -------
    dict
        ``n_atoms``, ``n_residues``, ``n_chains``, ``added_oxt`` (terminal oxygens added),
        ``added_hydrogens``.

    Raises
    ------
    InputError
        Unreadable file, empty selection, gaps, residues the force field cannot parameterise.
    """
    from openmm import app

    from .system import _forcefield, _translate_template_error

    path = Path(path)
    atoms = _read_selection(path, selection)
    _check_gaps(path, atoms)
    _check_heavy_atoms(path, atoms)
    with tempfile.TemporaryDirectory() as tmpdir, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        selected = Path(tmpdir) / "selected.pdb"
        atoms.write(str(selected))
        text = "\n".join(line for line in selected.read_text().splitlines() if not line.startswith(("CONECT", "CRYST1")))
    try:
        pdb = app.PDBFile(io.StringIO(text))
    except Exception as exc:
        raise InputError(f"{path}: OpenMM cannot read the selected atoms: {' '.join(str(exc).split())}") from None
    ff = _forcefield(list(forcefield))
    modeller = app.Modeller(pdb.topology, pdb.positions)
    n_before = modeller.topology.getNumAtoms()
    added_oxt = _add_terminal_oxygens(modeller)
    try:
        modeller.addHydrogens(ff, pH=float(ph))
    except ValueError as exc:
        raise _translate_template_error(exc, str(path), ff, modeller.topology) from None
    except Exception as exc:
        raise InputError(f"{path}: adding hydrogens failed: {' '.join(str(exc).split())}") from None
    modeller.topology.setPeriodicBoxVectors(None)  # a crystal cell is not the simulation box
    out = io.StringIO()
    app.PDBFile.writeFile(modeller.topology, modeller.positions, out, keepIds=True)
    atomic_write_text(Path(output), out.getvalue())
    top = modeller.topology
    return {"n_atoms": top.getNumAtoms(), "n_residues": top.getNumResidues(), "n_chains": top.getNumChains(),
            "added_oxt": added_oxt, "added_hydrogens": top.getNumAtoms() - n_before - added_oxt}
