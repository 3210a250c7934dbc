"""``build_graph``: a CGGraph from a structure (+ trajectory) file at a chosen resolution.

Steps: read (MDAnalysis, errors translated, :mod:`topologies.io`) → select → drop altlocs
and duplicate atoms → classify residues (:mod:`topologies.residues`) → drop water, ions
and crystallisation additives (unless kept) → read frames of the kept atoms → make molecules whole
(:mod:`topologies.pbc`) → chains, segments, breaks (:mod:`topologies.chains`) → map each
residue (:mod:`topologies.mappings`) → bonds → mapping operator applied to every frame.
Every recoverable problem is a :class:`~topologies.errors.TopologyWarning` and a line in
``provenance["warnings"]``; with ``strict=True`` the problems that drop atoms raise instead.
"""
from __future__ import annotations

import functools
import os
import warnings
from pathlib import Path
from typing import Dict, List, Optional, Union

import numpy as np

from . import io as _io
from .atoms import (atom_table, drop_altlocs, drop_duplicates, hydrogen_parents, merge_split_residues,
                    residue_label, set_insertion_codes)
from .chains import assign_segments
from .chemistry import chemical_bonds
from .errors import MappingError, SelectionError, StructureFileError, TopologyError, TopologyWarning
from .graph import CGGraph
from .mappings import (Residue, map_atoms, map_cap, map_nucleic_residue,
                       map_protein_residue, map_water, resolve_mapping, weights_for)
from .martini import FORMATS_WITHOUT_MASSES, MARTINI_MASS, is_martini, map_martini_residue
from .operator import MappingOperator
from .pbc import make_whole
from .relations import BOND_TYPES
from .residues import ADDITIVES, ResidueInfo, classify_residue, is_additive
from .vocabulary import special_type

__all__ = ["build_graph"]

_POLYMER_KINDS = ("protein", "cap", "nucleic")
#: Boxes with an edge shorter than this (Å) are placeholders (e.g. CRYST1 1 1 1) and are
#: not used to make molecules whole.
MIN_UNWRAP_BOX = 16.0


class _Notes:
    """Collects warnings; raises instead in strict mode for the ones marked ``strict``."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.items: List[str] = []

    def add(self, text: str, *, strict_error: Optional[type] = None) -> None:
        if self.strict and strict_error is not None:
            raise strict_error(text + " (strict mode: stopping here)")
        if text not in self.items:
            self.items.append(text)


def _is_mdanalysis(source) -> bool:
    import MDAnalysis as mda
    return isinstance(source, (mda.Universe, mda.core.groups.AtomGroup))


def _label_of(source) -> str:
    if isinstance(source, (str, Path)):
        return Path(source).name
    return type(source).__name__


def _select(universe, source, selection: Optional[str], label: str):
    import MDAnalysis as mda

    group = source if isinstance(source, mda.core.groups.AtomGroup) else universe.atoms
    if selection:
        try:
            group = group.select_atoms(selection)
        except Exception as exc:  # MDAnalysis SelectionError / ValueError
            raise SelectionError(f"{label}: invalid selection {selection!r}: "
                                 f"{' '.join(str(exc).split())}") from None
        if group.n_atoms == 0:
            raise SelectionError(f"{label}: selection {selection!r} selects no atom")
    if group.n_atoms == 0:
        raise StructureFileError(f"{label}: the file contains no atoms")
    return group


def _first_model(group, label: str, notes: "_Notes"):
    """Atoms of the first model when a file stores several models as separate atoms (MMTF
    NMR ensembles); other models would otherwise become extra copies of every chain."""
    try:
        models = np.asarray(group.models)
    except Exception:  # no ``models`` attribute (almost every format)
        return group
    values = np.unique(models)
    if len(values) < 2:
        return group
    notes.add(f"{label}: the file stores {len(values)} models as separate atoms; only model "
              f"{values[0]} is used")
    return group[models == values[0]]


def _residues(t, label: str) -> List[Residue]:
    out: List[Residue] = []
    starts = np.flatnonzero(np.r_[True, t.residue_key[1:] != t.residue_key[:-1]])
    ends = np.r_[starts[1:], len(t)]
    norm = np.char.replace(np.char.upper(np.char.strip(t.names.astype(str))), "*", "'").tolist()
    cache: Dict[tuple, object] = {}
    for s, e in zip(starts.tolist(), ends.tolist()):
        names = norm[s:e]
        by_name: Dict[str, int] = {}
        for k, n in enumerate(names):
            by_name.setdefault(n, s + k)
        key = (str(t.resnames[s]), tuple(names))
        info = cache.get(key)
        if info is None:
            info = cache[key] = classify_residue(key[0], names)
        out.append(Residue(int(t.residue_key[s]), np.arange(s, e), str(t.resnames[s]).strip(),
                           int(t.resids[s]), str(t.icodes[s]).strip(), str(t.chains[s]), info,
                           residue_label(t, s), by_name))
    return out


def _lone_caps_as_molecules(residues: List[Residue]) -> List[str]:
    """Turn caps (ACE, NME, ...) with no amino acid next to them in their chain into small
    molecules (kind ``other``); returns their labels."""
    lone = []
    for k, res in enumerate(residues):
        if res.info.kind != "cap":
            continue
        near = [residues[j] for j in (k - 1, k + 1) if 0 <= j < len(residues)]
        if not any(r.chain == res.chain and r.info.kind == "protein" for r in near):
            res.info = ResidueInfo("other", res.info.parent)
            lone.append(res.label)
    return lone


def _reindex(residues: List[Residue]) -> List[Residue]:
    """Residues with rows renumbered after keeping only their rows, in order."""
    offset = 0
    for res in residues:
        new = {int(r): offset + k for k, r in enumerate(res.rows)}
        res.rows = np.arange(offset, offset + len(res.rows))
        res.by_name = {n: new[r] for n, r in res.by_name.items()}
        offset += len(res.rows)
    return residues


def _additive_list(residues=(), counts: Optional[Dict[str, int]] = None) -> str:
    """``GOL (glycerol) ×3, DMS (dimethyl sulfoxide (DMSO)) ×1`` for residues or name counts."""
    if counts is None:
        counts = {}
        for r in residues:
            counts[r.resname.upper()] = counts.get(r.resname.upper(), 0) + 1
    return ", ".join(f"{name} ({ADDITIVES[name]}) ×{n}" for name, n in counts.items())


def _as_martini_beads(table, source, label: str, notes: "_Notes") -> None:
    """Martini input: no element of any bead (names are bead names, not atoms) and the
    Martini bead mass where the file format stores no masses."""
    table.elements = np.zeros(len(table), dtype=np.int64)
    suffix = _io._suffix(Path(source)) if isinstance(source, (str, Path)) else ""
    no_masses = suffix in FORMATS_WITHOUT_MASSES or not np.any(table.masses > 0)
    if no_masses:
        table.masses = np.full(len(table), MARTINI_MASS)
    notes.add(f"{label}: coarse-grained input (Martini bead names such as BB, SC1, PO4, W): beads are "
              "typed by role, not as atoms" + (f"; every bead has mass {MARTINI_MASS:g} amu" if no_masses else ""))


def _molecule_keys(residues: List[Residue], polymer_res: List[bool]) -> np.ndarray:
    """Molecule of each atom row for making molecules whole: a polymer chain per chain id,
    each other residue alone.  Without chain ids (GRO, XYZ) a new chain starts where the
    numbering restarts or the polymer kind changes, so that copies of a molecule are never
    joined (and moved by a box vector)."""
    n = sum(len(r.rows) for r in residues)
    keys = np.empty(n, dtype=np.int64)
    ids: Dict[tuple, int] = {}
    copy, prev = 0, None
    for res, is_poly in zip(residues, polymer_res):
        if is_poly and res.chain == "":
            family = "nucleic" if res.info.kind == "nucleic" else "protein"
            if prev is not None and (res.resid <= prev[0] or family != prev[1]):
                copy += 1
            prev = (res.resid, family)
            key = ("chain", "", copy)
        else:
            key = ("chain", res.chain, 0) if is_poly else ("res", res.key, 0)
        keys[res.rows] = ids.setdefault(key, len(ids))
    return keys


def _where(path_label: str, source, res: Residue) -> str:
    line = _io.pdb_line_of(source, res.chain, res.resid, res.icode) if isinstance(source, (str, Path)) else None
    return f"{path_label}, line {line}" if line else path_label


def _one_line(function):
    """Errors of ``function`` as one line: a reader's multi-line text is joined (the CLI and
    logs print one line per error)."""
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except TopologyError as exc:
            text = str(exc)
            if "\n" in text or "\r" in text:
                raise type(exc)(" ".join(text.split())) from None
            raise
    return wrapper


@_one_line
def build_graph(source, trajectory=None, *, mapping: Union[str, Dict[str, str]] = "auto",
                selection: Optional[str] = None, strict: bool = False, keep_water: bool = False,
                keep_ions: bool = False, keep_additives: bool = False, frames: Optional[slice] = None,
                unwrap: bool = True, topology_format: Optional[str] = None) -> CGGraph:
    """Build a :class:`~topologies.graph.CGGraph` from a structure (+ trajectory).

    Parameters
    ----------
    source : path, MDAnalysis Universe or AtomGroup, or (topology, trajectory, ...)
        Any topology MDAnalysis reads (PDB, PSF, GRO, PRMTOP, TPR, mol2, XYZ, ...) or
        PDBx/mmCIF (read with Biopython).  A tuple gives the topology and its trajectory
        files in one argument (then ``trajectory`` must be None).
    trajectory : path or list of paths, optional
        DCD, XTC, TRR, NetCDF, multi-model PDB ...  Forces present in the trajectory (TRR,
        NetCDF) are mapped and converted from kJ/mol/Å to kcal/mol/Å.
    mapping : str or dict
        ``auto``, ``ca``, ``cacb``, ``backbone``, ``nucleic-3``, ``nucleic-1``, ``heavy``,
        ``all-atom`` or a dict per family (see :mod:`topologies.mappings`).
    selection : str, optional
        MDAnalysis selection applied first (``"protein and not resid 57"``).
    strict : bool
        Raise on problems that drop atoms (residues missing key atoms, duplicate atoms)
        instead of warning.
    keep_water, keep_ions : bool
        Keep waters (one bead each in CG maps) and monatomic ions (dropped by default).
    keep_additives : bool
        Keep crystallisation additives and buffer molecules (glycerol, DMSO, acetate, PEG,
        sulfate, HEPES, ...: :data:`topologies.residues.ADDITIVES`).  By default they are
        dropped with a warning listing them, unless the file holds nothing else (besides
        water and ions), in which case they are kept.
    frames : slice, optional
        Frames of the trajectory to read (default all).
    unwrap : bool
        Make molecules whole across periodic boundaries before mapping (when a box exists).
    topology_format : str, optional
        MDAnalysis format name when the file extension is not telling.

    Returns
    -------
    CGGraph
        Positions in Å, forces in kcal/mol/Å (or None), with the mapping operator (atom
        indices of the source Universe) and provenance including every warning.

    Raises
    ------
    StructureFileError, SelectionError, MappingError
        (all :class:`~topologies.errors.TopologyError`) naming the file and residue.
    """
    if isinstance(source, (tuple, list)):  # (topology, trajectory, ...) in one argument
        if not source or trajectory is not None:
            raise StructureFileError("source: give a file, or (topology, trajectory, ...) with no separate "
                                     "trajectory argument")
        source, trajectory = source[0], (list(source[1:]) or None)
    if not isinstance(source, (str, os.PathLike)) and not _is_mdanalysis(source):
        raise StructureFileError(f"source must be a file path, an MDAnalysis Universe or AtomGroup, or "
                                 f"(topology, trajectory); got {type(source).__name__}")
    if isinstance(trajectory, (list, tuple)) and len(trajectory) == 0:
        trajectory = None  # no trajectory files: the coordinates of the structure file
    if trajectory is not None:
        items = [trajectory] if isinstance(trajectory, (str, os.PathLike)) else trajectory
        if not isinstance(items, (list, tuple)) or not all(isinstance(t, (str, os.PathLike)) for t in items):
            raise StructureFileError(f"trajectory must be a file path or a list of paths; got "
                                     f"{trajectory!r:.80}")
    label = _label_of(source)
    notes = _Notes(strict)
    universe, io_notes = _io.open_universe(source, trajectory, topology_format=topology_format)
    for n in io_notes:
        notes.add(n)
    group = _select(universe, source, selection, label)
    group = _first_model(group, label, notes)
    table = atom_table(group)
    martini = is_martini(table.resnames, table.names)
    if martini:
        _as_martini_beads(table, source, label, notes)
    if not np.any(table.icodes != "") and getattr(universe, "filename", None):
        codes = _io.psf_insertion_codes(universe.filename, universe.atoms.n_atoms)
        if codes is not None:
            table = set_insertion_codes(table, codes[table.index])
    universe.trajectory[0]
    table = merge_split_residues(table, label, universe.atoms.positions[table.index])
    table = drop_altlocs(table, label)
    before = len(table.notes)
    table = drop_duplicates(table, label, universe.atoms.positions[table.index])
    for k, n in enumerate(table.notes):
        notes.add(n, strict_error=StructureFileError if k >= before else None)

    residues = _residues(table, label)
    by_note: Dict[str, List[str]] = {}
    for res in residues:
        if res.info.note:
            by_note.setdefault(res.info.note, []).append(res.label)
    for note, labels in by_note.items():
        shown = ", ".join(labels[:3]) + (", ..." if len(labels) > 3 else "")
        notes.add(f"{label}: {note} ({len(labels)} residue{'s' if len(labels) > 1 else ''}: {shown})")
    dropped = {"water": 0, "ion": 0}
    additive = {id(r) for r in residues if r.info.kind == "other" and is_additive(r.resname, len(r.rows))}
    if additive and not keep_additives and not any(
            id(r) not in additive and r.info.kind not in ("water", "ion") for r in residues):
        notes.add(f"{label}: only water, ions and crystallisation additives / buffer molecules "
                  f"({_additive_list(r for r in residues if id(r) in additive)}); the additives are kept")
        additive = set()
    dropped_additives: Dict[str, int] = {}
    kept_res = []
    for res in residues:
        kind = res.info.kind
        if (kind == "water" and not keep_water) or (kind == "ion" and not keep_ions):
            dropped[kind] += 1
            continue
        if id(res) in additive and not keep_additives:
            name = res.resname.upper()
            dropped_additives[name] = dropped_additives.get(name, 0) + 1
            continue
        if kind in _POLYMER_KINDS and len(res.by_name) < len(res.rows):
            first = set(res.by_name.values())
            extra = [int(r) for r in res.rows if int(r) not in first]
            names = ", ".join(sorted({str(table.names[r]) for r in extra}))
            notes.add(f"{_where(label, source, res)}: atom name(s) {names} repeated in residue "
                      f"{res.label} at other positions; the first copy is used",
                      strict_error=StructureFileError)
            res.rows = np.array(sorted(first), dtype=np.int64)
        kept_res.append(res)
    if not kept_res:
        what = " and ".join(k for k, v in dropped.items() if v) or "nothing"
        raise SelectionError(f"{label}: only {what} left after dropping waters and ions; "
                             "use keep_water/keep_ions (--keep-water/--keep-ions) or another selection")
    if dropped["water"] or dropped["ion"]:
        notes.add(f"{label}: dropped {dropped['water']} water and {dropped['ion']} ion residues "
                  "(keep them with keep_water/keep_ions, or --keep-water/--keep-ions)")

    if dropped_additives:
        n_add = sum(dropped_additives.values())
        notes.add(f"{label}: dropped {n_add} crystallisation additive / buffer molecule"
                  f"{'s' if n_add > 1 else ''}: {_additive_list(counts=dropped_additives)} (keep them with "
                  "keep_additives=True, or --keep-additives)")

    lone = _lone_caps_as_molecules(kept_res)
    if lone:
        shown = ", ".join(lone[:3]) + (", ..." if len(lone) > 3 else "")
        notes.add(f"{label}: {len(lone)} cap residue(s) with no amino acid beside them in their chain "
                  f"mapped as small molecules ({shown})")

    keep_rows = np.concatenate([r.rows for r in kept_res])
    table = table.subset(keep_rows)
    residues = _reindex(kept_res)

    traj_label = (", ".join(Path(t).name for t in ([trajectory] if isinstance(trajectory, (str, Path))
                                                   else list(trajectory)))
                  if trajectory is not None else label)
    if trajectory is None:
        single = source if isinstance(source, (str, Path)) else None
    else:  # the one trajectory file, if one, is where a bad frame's line is searched
        items = [trajectory] if isinstance(trajectory, (str, Path)) else list(trajectory)
        single = items[0] if len(items) == 1 else None
    positions, forces, box, frame_notes = _io.read_frames(universe, table.index, path_label=traj_label,
                                                          frames=frames, source_path=single)
    for n in frame_notes:
        notes.add(n)
    if len(positions) == 0:
        total = len(universe.trajectory)
        if frames is not None:
            raise StructureFileError(f"{traj_label}: the frames asked for ({frames.start}:{frames.stop}:"
                                     f"{frames.step or 1}) select none of its {total} frame(s)")
        raise StructureFileError(f"{traj_label}: no frames to read")

    polymer_res = [r.info.kind in _POLYMER_KINDS for r in residues]
    if unwrap and box is not None and float(box[:, :3].min()) < MIN_UNWRAP_BOX:
        notes.add(f"{label}: box edge {float(box[:, :3].min()):.1f} Å is too small to be a real "
                  "periodic box; molecules were not unwrapped")
        unwrap = False
    if unwrap and box is not None:
        positions = make_whole(positions, box, table.residue_key, _molecule_keys(residues, polymer_res))
    pos0 = positions[0].astype(np.float64)

    # chemical bonds (used for hydrogen parents and atom-level beads)
    schemes = resolve_mapping(mapping, has_polymer=any(polymer_res))
    if martini and isinstance(mapping, str) and mapping.strip().lower() == "auto":
        schemes = {"protein": "all-atom", "nucleic": "all-atom", "other": "all-atom"}  # already CG
    if martini and schemes["protein"] == "backbone" and any(r.info.kind == "protein" for r in residues):
        raise MappingError(f"{label}: coarse-grained (Martini) input: the backbone map needs N, CA and C "
                           "atoms, which Martini beads do not have; use mapping auto (every bead), ca or cacb")
    parent = hydrogen_parents(table, pos0, None)
    for res in residues:
        res.hydrogens = table.elements[res.rows] == 1
        res.parent = parent[res.rows]

    poly_list = [r for r, p in zip(residues, polymer_res) if p]
    chain_of, segment_of, position_of, chain_ids, chain_notes = assign_segments(poly_list, positions, label)
    for n in chain_notes:
        notes.add(n)
    poly_info = {id(r): (c, s, p) for r, c, s, p in zip(poly_list, chain_of, segment_of, position_of)}

    beads = []                 # (Bead, residue, chain, segment, position, polymer, molecule)
    bonds: List[tuple] = []
    atom_level_rows: List[np.ndarray] = []
    prev_link = {}             # segment -> (tail bead global index, chain position)
    n_segments = max(segment_of) + 1 if segment_of else 0
    next_segment = n_segments
    molecule_of_chain = {}
    next_molecule = 0
    chain_index_of = {c: k for k, c in enumerate(chain_ids)}
    skipped = 0
    skip_reasons: List[str] = []
    for res in residues:
        kind = res.info.kind
        is_poly = kind in _POLYMER_KINDS
        if is_poly:
            chain, segment, position = poly_info[id(res)]
            family = "protein" if kind in ("protein", "cap") else "nucleic"
            scheme = schemes[family]
            if chain not in molecule_of_chain:
                molecule_of_chain[chain] = next_molecule
                next_molecule += 1
            molecule = molecule_of_chain[chain]
        else:
            if res.chain not in chain_index_of:
                chain_index_of[res.chain] = len(chain_index_of)
                chain_ids.append(res.chain)
            chain, segment, position = chain_index_of[res.chain], next_segment, 0
            next_segment += 1
            molecule = next_molecule
            next_molecule += 1
            scheme = schemes["other"]
        try:
            if martini and (scheme in ("heavy", "all-atom") or not is_poly):
                rb = (map_water(res) if kind == "water" and scheme != "all-atom"
                      else map_martini_residue(res, kind, table.names))
            elif scheme in ("heavy", "all-atom"):
                if kind == "water" and schemes["other"] != "all-atom" and scheme != "all-atom":
                    rb = map_water(res)
                else:
                    rb = map_atoms(res, scheme, table.elements, table.names)
                    atom_level_rows.append(res.rows)
            elif kind == "cap":
                rb = map_cap(res, scheme)
            elif kind == "protein":
                rb = map_protein_residue(res, scheme)
            elif kind == "nucleic":
                rb = map_nucleic_residue(res, scheme)
            else:  # pragma: no cover - resolve_mapping only gives the schemes above
                raise MappingError(f"no mapping for residue {res.label}")
        except MappingError as exc:
            where = _where(label, source, res)
            hint = (f"drop the residue with --select \"not resid {res.resid}\"" +
                    (f" or choose another mapping than {scheme}" if scheme != "ca" else ""))
            if strict:
                raise MappingError(f"{where}: {exc}. {hint[0].upper() + hint[1:]}, or run without "
                                   "--strict to skip it with a warning.") from None
            notes.add(f"{where}: {exc}; residue skipped ({scheme} map)")
            if len(skip_reasons) < 3:
                skip_reasons.append(str(exc))
            skipped += 1
            continue
        if rb is not None:
            for n in rb.notes:
                notes.add(f"{label}: {n}")
        if rb is None or not rb.beads:
            continue
        offset = len(beads)
        for bead in rb.beads:
            beads.append((bead, res, chain, segment, position, is_poly, molecule))
        for a, b, t in rb.bonds:
            bonds.append((offset + a, offset + b, t))
        if is_poly and rb.head is not None:
            link = prev_link.get(segment)
            if link is not None and position - link[1] == 1:
                bonds.append((link[0], offset + rb.head, BOND_TYPES["backbone"]))
            elif link is not None:
                notes.add(f"{label}: no sequence bond to {res.label}: the residue before it was skipped")
            prev_link[segment] = (offset + rb.tail, position)
    if not beads:
        why = "; ".join(skip_reasons) + ("; ..." if skipped > len(skip_reasons) else "")
        raise MappingError(f"{label}: no bead could be built with mapping {mapping!r}: {skipped} "
                           f"residue(s) skipped ({why or 'no residue gave a bead'}); try another "
                           "--mapping (heavy, all-atom) or another --select")

    unk = [b for b in beads if b[0].type == special_type("UNK")]
    if unk:
        names = sorted({str(b[0].name) for b in unk})
        notes.add(f"{label}: {len(unk)} atom(s) of unknown element (names {', '.join(names[:5])}"
                  f"{', ...' if len(names) > 5 else ''}) typed CG:UNK")
    n_beads = len(beads)
    n_rows = len(table)
    a2b = np.full(n_rows, -1, dtype=np.int64)
    pw = np.zeros(n_rows)
    fw = np.zeros(n_rows)
    hyd = table.elements == 1
    for k, (bead, *_rest) in enumerate(beads):
        m, p, f = weights_for(bead, table.masses, hyd)
        clash = m[a2b[m] >= 0]
        if len(clash):  # pragma: no cover - guarded by construction
            raise MappingError(f"atom {table.names[clash[0]]} of {residue_label(table, clash[0])} "
                               "is in two beads")
        a2b[m], pw[m], fw[m] = k, p, f
    rules = [b[0].rule for b in beads]
    op_rows = MappingOperator(a2b, pw, fw, rules, "rows", n_beads=n_beads)
    bead_pos = op_rows.map_positions(positions)
    bead_forces = op_rows.map_forces(forces) if forces is not None else None

    # chemical bonds between atom-level beads
    if atom_level_rows:
        rows = np.concatenate(atom_level_rows)
        pairs, types, chem_notes = chemical_bonds(universe, table.index[rows], table.elements[rows], pos0[rows])
        for n in chem_notes:
            notes.add(f"{label}: {n}")
        if len(pairs):
            ba, bb = a2b[rows[pairs[:, 0]]], a2b[rows[pairs[:, 1]]]
            ok = (ba >= 0) & (bb >= 0) & (ba != bb)
            bonds.extend(zip(ba[ok].tolist(), bb[ok].tolist(), types[ok].tolist()))

    n_univ = universe.atoms.n_atoms
    full = np.full(n_univ, -1, dtype=np.int64)
    full_pw, full_fw = np.zeros(n_univ), np.zeros(n_univ)
    full[table.index], full_pw[table.index], full_fw[table.index] = a2b, op_rows.position_weights, fw
    mapping_name = mapping if isinstance(mapping, str) else "custom"
    operator = MappingOperator(full, full_pw, full_fw, rules, mapping_name, n_beads=n_beads, normalise=False)

    masses = np.bincount(a2b[a2b >= 0], weights=table.masses[a2b >= 0], minlength=n_beads)
    bond_arr = np.array([(a, b) for a, b, _ in bonds], dtype=np.int64).reshape(-1, 2)
    btypes = np.array([t for _, _, t in bonds], dtype=np.int64)
    if len(bond_arr):  # one type per pair: the first (CG bonds come before chemical ones)
        canon = np.sort(bond_arr, axis=1)
        _, first = np.unique(canon, axis=0, return_index=True)
        first = np.sort(first)
        bond_arr, btypes = canon[first], btypes[first]

    for n in notes.items:
        warnings.warn(n, TopologyWarning, stacklevel=2)
    provenance = {
        "source": str(source) if isinstance(source, (str, Path)) else label,
        "trajectory": ([str(t) for t in trajectory] if isinstance(trajectory, (list, tuple))
                       else (str(trajectory) if trajectory is not None else None)),
        "mapping": mapping_name,
        "mapping_schemes": schemes,
        "selection": selection,
        "strict": bool(strict),
        "input_resolution": "martini" if martini else "atoms",
        "dropped_additives": dict(dropped_additives),
        "unwrapped": bool(unwrap and box is not None),
        "n_source_atoms": int(n_univ),
        "n_mapped_atoms": int((a2b >= 0).sum()),
        "warnings": list(notes.items),
    }
    return CGGraph(
        np.array([b[0].type for b in beads], dtype=np.int32), bead_pos,
        names=np.array([b[0].name for b in beads], dtype=str),
        residue_names=np.array([b[1].resname for b in beads], dtype=str),
        residue_ids=np.array([b[1].resid for b in beads], dtype=np.int64),
        insertion_codes=np.array([b[1].icode for b in beads], dtype=str),
        chain_ids=np.array([b[1].chain for b in beads], dtype=str),
        masses=masses.astype(np.float32),
        bonds=bond_arr, bond_types=btypes,
        chain_index=np.array([b[2] for b in beads], dtype=np.int64),
        segment_index=np.array([b[3] for b in beads], dtype=np.int64),
        chain_position=np.array([b[4] for b in beads], dtype=np.int64),
        polymer=np.array([b[5] for b in beads], dtype=bool),
        molecule_index=np.array([b[6] for b in beads], dtype=np.int64),
        forces=bead_forces, box=box, mapping=operator, provenance=provenance)
