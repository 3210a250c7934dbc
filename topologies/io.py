"""Reading structure and trajectory files with MDAnalysis, translating every failure.

:func:`open_universe` returns an ``MDAnalysis.Universe`` for a topology (+ trajectory) and
the list of meaningful warnings MDAnalysis raised, or raises
:class:`~topologies.errors.StructureFileError` naming the file and, where it can be found,
the line that is wrong.  PDBx/mmCIF files (which MDAnalysis reads only with gemmi) are read
with Biopython's permissive parser.  :func:`read_frames` reads positions, forces
(converted from MDAnalysis' kJ/mol/Å to kcal/mol/Å) and boxes of an atom subset.

Coordinates that are not finite or beyond ±:data:`topologies.graph.MAX_COORDINATE` (10⁵ Å)
are refused, naming the file, line (PDB, GRO, XYZ, mol2) or frame, and the atom.  Files whose
lines end in a bare CR are read with universal newlines; boxes that are not a valid periodic
cell are not used (with a warning).
"""
from __future__ import annotations

import gzip
import os
import re
import warnings
import zlib
from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np

from .errors import StructureFileError
from .graph import MAX_COORDINATE

__all__ = ["open_universe", "read_frames", "pdb_line_of", "psf_insertion_codes", "KJ_TO_KCAL", "TEXT_FORMATS", "MMCIF_SUFFIXES"]

#: kJ → kcal.
KJ_TO_KCAL = 1.0 / 4.184
TEXT_FORMATS = {".pdb", ".ent", ".gro", ".mol2", ".xyz", ".psf", ".crd", ".pqr", ".pdbqt",
                ".cif", ".pdbx", ".mmcif", ".top", ".prmtop", ".parm7", ".itp"}
MMCIF_SUFFIXES = {".cif", ".pdbx", ".mmcif"}
#: Coordinate-file suffixes MDAnalysis does not recognise by name -> its format name.
TRAJECTORY_ALIASES = {".rst7": "INPCRD", ".ncrst": "NCDF", ".netcdf": "NCDF"}
_NOISE = ("Element information is missing", "Unknown element", "Failed to guess the mass",
          "Unknown masses are set to 0.0", "No coordinate reader found", "Guessed all Masses",
          "Found no information for attr", "Found missing chainIDs", "Supplied AtomGroup was missing",
          "Reader has no dt information", "DCDReader currently makes independent timesteps",
          "formal charge field", "deprecated", "attribute will not be populated", "Constructed a Universe with",
          "Constructed NamedStream from a NamedStream")


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2"):
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def _open_text(path: Path, errors: str = "replace"):
    """Text handle (gzip/bz2 aware); undecodable bytes (latin-1 author names) replaced."""
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", errors=errors)
    if path.name.lower().endswith(".bz2"):
        import bz2
        return bz2.open(path, "rt", errors=errors)
    return open(path, "r", errors=errors)


def _open_bytes(path: Path):
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")
    if path.name.lower().endswith(".bz2"):
        import bz2
        return bz2.open(path, "rb")
    return open(path, "rb")


#: Bytes that never occur in a text structure file (controls other than tab, newlines, form feed).
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"


def _check_file(path: Path, role: str) -> None:
    if not path.exists():
        raise StructureFileError(f"{path}: {role} file not found")
    if path.is_dir():
        raise StructureFileError(f"{path}: {role} is a folder, not a file")
    try:
        with open(path, "rb"):
            pass
    except PermissionError:
        raise StructureFileError(f"{path}: {role} file cannot be read: permission denied "
                                 "(check the file's permissions)") from None
    except OSError as exc:
        raise StructureFileError(f"{path}: {role} file cannot be opened ({exc.strerror or exc})") from None
    if path.stat().st_size == 0:
        raise StructureFileError(f"{path}: {role} file is empty")
    if _suffix(path) in TEXT_FORMATS:
        try:
            with _open_bytes(path) as fh:
                raw = fh.read(65536)
        except (OSError, EOFError, zlib.error) as exc:
            raise StructureFileError(f"{path}: {role} file is not a readable text "
                                     f"{_suffix(path)[1:].upper()} file (corrupt or not compressed as its "
                                     f"name says: {exc})") from None
        n_control = len(raw) - len(raw.translate(None, _CONTROL))
        if b"\x00" in raw or n_control > 0.005 * len(raw):
            raise StructureFileError(f"{path}: {role} file is not a readable text "
                                     f"{_suffix(path)[1:].upper()} file (binary data)")
        head = raw.decode("utf-8", errors="replace")
        if not head.strip():
            raise StructureFileError(f"{path}: {role} file contains only blank lines")


def _pdb_models(path: Path) -> None:
    """Check that a PDB has atoms and that every MODEL has the same number of them."""
    counts: List[Tuple[int, int, int]] = []  # (model number, n_atoms, line of MODEL)
    current = None
    n_records = 0
    closed_at = None  # line of the ENDMDL that closed the last model (None once a MODEL opens)
    first_free = None  # line of the first atom outside any MODEL
    first_end = None   # (line, record) of the first END/ENDMDL: the reader's atoms stop there
    with _open_text(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            rec = line[:6]
            if first_end is None and line.strip().startswith("END"):
                first_end = (lineno, line.strip()[:6])
            if rec.startswith("MODEL"):
                try:
                    number = int(line[10:14].strip() or line[6:].split()[0])
                except (ValueError, IndexError):
                    number = len(counts) + 1
                current = [number, 0, lineno]
                counts.append(current)
                closed_at = None
            elif rec.startswith("ENDMDL"):
                if closed_at is None:
                    closed_at = lineno
            elif line.lstrip().startswith(("ATOM", "HETATM")):
                if rec not in ("ATOM  ", "HETATM"):
                    # the topology parser takes it for an atom, the coordinate reader does not
                    raise StructureFileError(
                        f"{path}, line {lineno}: record name {rec!r} (columns 1-6) must be 'ATOM  ' or "
                        "'HETATM' (left-aligned, padded with spaces)")
                if n_records == 0 and first_end is not None:
                    raise StructureFileError(
                        f"{path}, line {first_end[0]}: {first_end[1]} record before the first atom (line "
                        f"{lineno}); a reader stops at it and finds no atoms: remove that line")
                if closed_at is not None:
                    which = f"MODEL {current[0]}" if current is not None else "the structure (no MODEL record)"
                    raise StructureFileError(
                        f"{path}, line {closed_at}: ENDMDL closes {which} but more atoms follow (line "
                        f"{lineno}) before the next MODEL record; remove that ENDMDL line, or add a "
                        "MODEL record before the atoms of each model")
                n_records += 1
                if current is not None:
                    current[1] += 1
                elif first_free is None:
                    first_free = lineno
    if n_records == 0:
        raise StructureFileError(f"{path}: no ATOM or HETATM records; this is not a PDB structure "
                                 "(wrong file or wrong extension?)")
    if counts and first_free is not None:
        number, _, lineno = counts[0]
        raise StructureFileError(
            f"{path}, line {lineno}: MODEL {number} record after atoms that belong to no model (the "
            f"first at line {first_free}); put every atom in a MODEL, or remove the MODEL records")
    if len(counts) > 1:
        first = counts[0]
        for number, n, lineno in counts[1:]:
            if n != first[1]:
                raise StructureFileError(
                    f"{path}, line {lineno}: MODEL {number} has {n} atoms but MODEL {first[0]} has "
                    f"{first[1]}; models can be read as frames only when their atoms agree "
                    "(split the file, or keep one model)")


def _bad_value(text: str, col: str, where: str, who: str, to_angstrom: float = 1.0) -> Optional[str]:
    """Message when one coordinate field is not a number, not finite or absurdly large."""
    try:
        value = float(text)
    except ValueError:
        return f"{where}: {col} coordinate {text.strip()!r} of {who} is not a number"
    if not np.isfinite(value):
        return f"{where}: {col} coordinate of {who} is {text.strip()} (not a finite number)"
    if abs(value * to_angstrom) > MAX_COORDINATE:
        return (f"{where}: {col} coordinate {text.strip()} of {who} is beyond ±{MAX_COORDINATE:g} Å "
                "(corrupt file or wrong units)")
    return None


def _declared_atoms(path: Path) -> None:
    """Refuse a GRO/XYZ file whose atom count is larger than its lines can hold (before
    MDAnalysis allocates arrays for that many atoms: a count of 10⁹ would take 12 GB)."""
    head = 1 if _suffix(path) == ".gro" else 0
    extra = 3 if head else 2   # GRO: title, count, box; XYZ: count, comment
    n, count = None, 0
    with _open_text(path) as fh:
        for count, line in enumerate(fh, start=1):
            if count == head + 1:
                try:
                    n = int(line.split()[0])
                except (ValueError, IndexError):
                    return  # reported with its line when MDAnalysis fails
            elif n is not None and count >= n + extra:
                return     # enough lines (stop reading: the file may be a long trajectory)
    if n is not None and n > count - extra:
        raise StructureFileError(f"{path}, line {head + 1}: declares {n} atoms but the file has only "
                                 f"{max(count - extra, 0)} atom lines (truncated, or a wrong count)")


def _bad_coordinates(line: str, edges: tuple, where: str, who: str, to_angstrom: float = 1.0) -> Optional[str]:
    """Message for the first non-numeric, non-finite or absurd x/y/z field of a fixed-column line.

    ``edges`` are the 4 column boundaries of the x, y and z fields (0-based, end-exclusive);
    ``to_angstrom`` converts the file's length unit to Å (10 for GRO nm).
    """
    for col, a, b in zip("xyz", edges[:-1], edges[1:]):
        problem = _bad_value(line[a:b], col, where, who, to_angstrom)
        if problem:
            return problem
    return None


def _bad_serial(text: str) -> bool:
    """True for a PDB serial field that MDAnalysis cannot read (neither decimal nor hybrid-36)."""
    try:
        int(text)
        return False
    except ValueError:
        pass
    from MDAnalysis.topology.PDBParser import hy36decode
    try:
        hy36decode(5, text)
    except ValueError:
        return False   # MDAnalysis numbers such atoms itself
    except Exception:  # KeyError on characters outside the hybrid-36 alphabet
        return True
    return False


def _bad_pdb_line(path: Path) -> Optional[str]:
    end_line = None
    with _open_text(path) as fh:
        for lineno, line in enumerate(fh, start=1):
            if line[:6].rstrip() == "END":
                end_line = lineno
            if line.startswith(("ATOM", "HETATM")):  # as MDAnalysis reads them
                where = f"{path}, line {lineno}"
                if end_line is not None:
                    return (f"{path}, line {end_line}: END record before more atoms (line {lineno}); "
                            "remove that END line, or split the file")
                who = f"atom {line[12:16].strip()!r} of {line[17:20].strip()} {line[22:27].strip()}"
                if len(line.rstrip("\n")) < 54:
                    return f"{where}: truncated ATOM record ({who}): coordinates need columns 31-54"
                if _bad_serial(line[6:11]):
                    return (f"{where}: atom serial number {line[6:11].strip()!r} (columns 7-11) of {who} is "
                            "not a number")
                problem = _bad_coordinates(line, (30, 38, 46, 54), where, who)
                if problem:
                    return problem
            elif line[:6] == "CONECT":
                fields = [line[a:a + 5] for a in range(6, len(line.rstrip()), 5)]
                if not fields or any(not f.strip().isdigit() for f in fields):
                    return (f"{path}, line {lineno}: CONECT record {line.rstrip()!r} is not a list of atom "
                            "serial numbers in 5-column fields; fix or remove it")
    return None


def _bad_gro_line(path: Path) -> Optional[str]:
    with _open_text(path) as fh:
        lines = fh.read().splitlines()
    if len(lines) < 3:
        return f"{path}: a GRO file needs a title, an atom count and a box line; it has {len(lines)} lines"
    try:
        n = int(lines[1].strip())
    except ValueError:
        return f"{path}, line 2: the atom count {lines[1].strip()!r} is not an integer"
    if n <= 0:
        return f"{path}, line 2: the atom count is {n}; a GRO file needs at least one atom"
    if len(lines) < n + 3:
        return f"{path}: declares {n} atoms but has only {max(len(lines) - 3, 0)} atom lines (truncated)"
    # the coordinate fields are as wide as the first atom line says (GROMACS precision)
    width = lines[2][25:].find(".") + 1
    if width < 4:
        return f"{path}, line 3: no coordinates with a decimal point in columns 21-44"
    edges = tuple(20 + width * i for i in range(4))
    for k in range(n):
        line = lines[2 + k]
        who = f"atom {line[10:15].strip()!r} of residue {line[5:10].strip()} {line[0:5].strip()}"
        if len(line) < edges[-1]:
            return f"{path}, line {k + 3}: truncated atom line ({who})"
        for field, (a, b) in (("residue number", (0, 5)), ("atom number", (15, 20))):
            try:
                int(line[a:b])
            except ValueError:
                return (f"{path}, line {k + 3}: the {field} {line[a:b].strip()!r} (columns {a + 1}-{b}) of "
                        f"{who} is not an integer")
        problem = _bad_coordinates(line, edges, f"{path}, line {k + 3}", who, 10.0)
        if problem:
            return problem
    box = lines[n + 2]
    try:
        values = [float(v) for v in box.split()]
    except ValueError:
        values = []
    if len(values) not in (3, 9) or not np.all(np.isfinite(values)):
        return (f"{path}, line {n + 3}: the box line {box.strip()[:40]!r} should hold 3 or 9 numbers (nm); "
                f"line 2 declares {n} atoms: are atom lines missing or extra?")
    return None


def _bad_xyz_line(path: Path) -> Optional[str]:
    with _open_text(path) as fh:
        lines = fh.read().splitlines()
    start, frame, first_n = 0, 0, None
    while start < len(lines) and lines[start].strip():
        try:
            n = int(lines[start].split()[0])
        except (ValueError, IndexError):
            return f"{path}, line {start + 1}: expected the number of atoms, got {lines[start].strip()!r}"
        if first_n is None:
            first_n = n
        elif n != first_n:
            return (f"{path}, line {start + 1}: frame {frame} has {n} atoms but frame 0 has {first_n}; "
                    "frames must hold the same atoms")
        if len(lines) < start + 2 + n:
            return (f"{path}: frame {frame} declares {n} atoms but only "
                    f"{max(len(lines) - start - 2, 0)} atom lines follow (truncated)")
        for k in range(start + 2, start + 2 + n):
            parts = lines[k].split()
            if len(parts) < 4:
                return f"{path}, line {k + 1}: expected 'element x y z', got {lines[k].strip()!r}"
            for col, text in zip("xyz", parts[1:4]):
                problem = _bad_value(text, col, f"{path}, line {k + 1}", f"atom {parts[0]}")
                if problem:
                    return problem
        start += 2 + n
        frame += 1
    return None


def _bad_mol2_block(path: Path) -> Optional[str]:
    """Message for the first mol2 molecule block without atoms, with another atom count than
    the first block, or with a coordinate that is not a sane number."""
    with _open_text(path) as fh:
        lines = fh.read().splitlines()
    starts = [k for k, line in enumerate(lines) if line.strip().upper() == "@<TRIPOS>MOLECULE"]
    if not starts:
        return f"{path}: no @<TRIPOS>MOLECULE record; this is not a mol2 file (wrong file or extension?)"
    first_n = None
    for number, (a, b) in enumerate(zip(starts, starts[1:] + [len(lines)]), start=1):
        name = lines[a + 1].strip() if a + 1 < b else ""
        block = f"molecule block {number}" + (f" ({name!r})" if name else "")
        section, n_atoms = None, 0
        for k in range(a + 1, b):
            text = lines[k].strip()
            if text.startswith("@<TRIPOS>"):
                section = text[9:].strip().upper()
                continue
            if section != "ATOM" or not text or text.startswith("#"):
                continue
            n_atoms += 1
            parts = text.split()
            who = f"atom {parts[1] if len(parts) > 1 else '?'} of {block}"
            if len(parts) < 6:
                return (f"{path}, line {k + 1}: atom record of {block} has {len(parts)} fields; expected "
                        "'id name x y z type ...'")
            for col, field in zip("xyz", parts[2:5]):
                problem = _bad_value(field, col, f"{path}, line {k + 1}", who)
                if problem:
                    return problem
        if n_atoms == 0:
            return (f"{path}, line {a + 1}: {block} has no atoms (its @<TRIPOS>ATOM section is missing "
                    "or empty); remove that block")
        if first_n is None:
            first_n = n_atoms
        elif n_atoms != first_n:
            return (f"{path}, line {a + 1}: {block} has {n_atoms} atoms but molecule block 1 has {first_n}; "
                    "the blocks of a mol2 file are read as frames of one molecule only when their atoms "
                    "agree (split the file)")
    return None


def _locate(path: Path) -> Optional[str]:
    try:
        if _suffix(path) in (".pdb", ".ent"):
            return _bad_pdb_line(path)
        if _suffix(path) == ".gro":
            return _bad_gro_line(path)
        if _suffix(path) == ".xyz":
            return _bad_xyz_line(path)
        if _suffix(path) == ".mol2":
            return _bad_mol2_block(path)
    except (OSError, UnicodeDecodeError, EOFError, zlib.error):
        return None
    return None


def _read_mmcif(path: Path):
    """Universe from a PDBx/mmCIF file via Biopython (highest-occupancy altlocs kept)."""
    import MDAnalysis as mda
    from Bio.PDB.MMCIFParser import MMCIFParser
    from Bio.PDB.PDBExceptions import PDBConstructionWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PDBConstructionWarning)
        try:
            with _open_text(path) as fh:
                structure = MMCIFParser(QUIET=True).get_structure(path.stem, fh)
        except Exception as exc:  # Biopython raises many types on bad input
            raise StructureFileError(f"{path}: cannot be read as PDBx/mmCIF: {exc}") from None
    models = list(structure)
    if not models:
        raise StructureFileError(f"{path}: PDBx/mmCIF file has no atoms")
    records = []
    disordered = []
    for chain in models[0]:
        for res in chain:
            het, resid, icode = res.id
            for atom in res:
                if atom.is_disordered() and len(disordered) < 1000:
                    disordered.append(f"{res.get_resname()} {resid}{icode.strip()} (chain {chain.id})")
                records.append((atom.get_name(), res.get_resname(), resid, icode.strip(), chain.id,
                                (atom.element or "").strip().capitalize(), atom.get_occupancy() or 1.0,
                                atom.get_full_id()))
    if not records:
        raise StructureFileError(f"{path}: PDBx/mmCIF file has no atoms")
    coords = []
    keys = [r[7][2:] for r in records]
    for number, model in enumerate(models):
        index = {}
        for chain in model:
            for res in chain:
                for atom in res:
                    index[atom.get_full_id()[2:]] = atom.coord
        missing = [k for k in keys if k not in index]
        if missing or len(index) != len(keys):
            raise StructureFileError(f"{path}: model {model.serial_num} has {len(index)} atoms but model "
                                     f"{models[0].serial_num} has {len(keys)}; models can be frames only "
                                     "when their atoms agree")
        coords.append(np.array([index[k] for k in keys], dtype=np.float32))
    res_keys, res_of_atom = [], []
    for r in records:
        key = (r[4], r[2], r[3], r[1])
        if not res_keys or res_keys[-1] != key:
            res_keys.append(key)
        res_of_atom.append(len(res_keys) - 1)
    seg_ids = list(dict.fromkeys(k[0] for k in res_keys))
    seg_of_res = [seg_ids.index(k[0]) for k in res_keys]
    u = mda.Universe.empty(len(records), n_residues=len(res_keys), n_segments=len(seg_ids),
                           atom_resindex=res_of_atom, residue_segindex=seg_of_res, trajectory=True)
    u.add_TopologyAttr("names", [r[0] for r in records])
    u.add_TopologyAttr("elements", [r[5] for r in records])
    u.add_TopologyAttr("occupancies", [r[6] for r in records])
    u.add_TopologyAttr("chainIDs", [r[4] for r in records])
    u.add_TopologyAttr("resnames", [k[3] for k in res_keys])
    u.add_TopologyAttr("resids", [k[1] for k in res_keys])
    u.add_TopologyAttr("icodes", [k[2] for k in res_keys])
    u.add_TopologyAttr("segids", seg_ids)
    from MDAnalysis.coordinates.memory import MemoryReader
    u.load_new(np.stack(coords), format=MemoryReader)
    notes = []
    if disordered:
        where = list(dict.fromkeys(disordered))
        notes.append(f"{path.name}: alternate locations in {len(where)} residue(s) "
                     f"({', '.join(where[:3])}{', ...' if len(where) > 3 else ''}): the highest-occupancy "
                     "altloc of each atom kept")
    return u, notes


def _lone_carriage_returns(path: Path) -> bool:
    """True when the file ends lines with a bare CR (not CR LF), which MDAnalysis misreads."""
    try:
        with _open_bytes(path) as fh:
            tail = b""
            while True:
                chunk = fh.read(1 << 20)
                if not chunk:
                    return tail == b"\r"  # a CR as the very last byte
                block = tail + chunk
                # a CR at the end of the block may be followed by LF in the next one
                tail = b"\r" if block.endswith(b"\r") else b""
                if re.search(rb"\r(?!\n)", block[:-1] if tail else block):
                    return True
    except (OSError, EOFError, zlib.error):
        return False


def _utf8_stream(path: Path):
    """The file as an in-memory text stream that MDAnalysis can parse: universal newlines, and
    every non-ASCII character (undecodable bytes included) written ``?`` (MDAnalysis slices
    some records as bytes, which must not cut a multi-byte character)."""
    import io
    from MDAnalysis.lib.util import NamedStream

    with _open_text(path) as fh:
        text = fh.read().encode("ascii", errors="replace").decode("ascii")
    name = path.name
    for ext in (".gz", ".bz2"):
        if name.lower().endswith(ext):
            name = name[: -len(ext)]
    return NamedStream(io.StringIO(text), name)


def _describe(path) -> str:
    return str(path)


def open_universe(source, trajectory: Union[None, str, Path, Sequence] = None, *,
                  topology_format: Optional[str] = None):
    """Open ``source`` (+ ``trajectory``) as an MDAnalysis Universe.

    Parameters
    ----------
    source : path, Universe or AtomGroup
        Topology/structure file (PDB, PDBx/mmCIF, PSF, GRO, PRMTOP, TPR, mol2, XYZ, ...).
    trajectory : path or list of paths, optional
        DCD, XTC, TRR, NetCDF, multi-model PDB ... (several files are read in sequence).
    topology_format : str, optional
        MDAnalysis format name when the extension is not telling.

    Returns
    -------
    (universe, warnings): ``warnings`` is a list of str, the meaningful MDAnalysis warnings
    prefixed with the file name.

    Raises
    ------
    StructureFileError
        Missing/empty/binary/truncated file, unknown format, non-numeric coordinates,
        inconsistent models, trajectory with another atom count, no coordinates at all.
    """
    import MDAnalysis as mda

    if isinstance(source, mda.Universe):
        return source, []
    if isinstance(source, mda.core.groups.AtomGroup):
        return source.universe, []
    path = Path(source)
    _check_file(path, "structure")
    trajs: List[Path] = []
    if trajectory is not None:
        items = [trajectory] if isinstance(trajectory, (str, os.PathLike)) else list(trajectory)
        trajs = [Path(t) for t in items]
        for t in trajs:
            _check_file(t, "trajectory")
    if _suffix(path) in (".pdb", ".ent"):
        _pdb_models(path)
    for p in [path] + trajs:
        if _suffix(p) in (".gro", ".xyz"):
            _declared_atoms(p)
    for t in trajs:
        if _suffix(t) in (".pdb", ".ent"):
            _pdb_models(t)

    if topology_format is not None:
        _check_format(path, topology_format)
    caught: List[warnings.WarningMessage] = []
    import gc
    import sys
    hook = sys.unraisablehook
    # MDAnalysis readers that fail half-way print "Exception ignored in __del__" tracebacks
    # when collected; silence those while opening (the failure itself is raised below)
    sys.unraisablehook = lambda *_: None
    try:
        return _open(path, trajs, topology_format, caught)
    except BaseException:
        gc.collect(1)
        raise
    finally:
        sys.unraisablehook = hook


def _open(path: Path, trajs: List[Path], topology_format: Optional[str], caught):
    import MDAnalysis as mda

    extra: List[str] = []
    error: Optional[StructureFileError] = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if _suffix(path) in MMCIF_SUFFIXES and topology_format is None:
                u, extra = _read_mmcif(path)
                if trajs:
                    u.load_new([str(t) for t in trajs] if len(trajs) > 1 else str(trajs[0]))
            else:
                args = [str(path)] + [str(t) for t in trajs]
                for k, p in enumerate([path] + trajs):
                    if _suffix(p) in TEXT_FORMATS and _lone_carriage_returns(p):
                        args[k] = _utf8_stream(p)  # read with universal newlines
                        extra.append(f"{p.name}: lines end in carriage returns only (classic Mac "
                                     "line endings); read as ordinary lines")
                kwargs = {"topology_format": topology_format} if topology_format else {}
                aliases = {TRAJECTORY_ALIASES.get(_suffix(t)) for t in trajs}
                if trajs and len(aliases) == 1 and None not in aliases:
                    kwargs["format"] = aliases.pop()  # e.g. Amber .rst7 restarts
                try:
                    u = mda.Universe(*args, **kwargs)
                except (ValueError, UnicodeDecodeError) as exc:
                    if "codec can't decode" not in str(exc) or _suffix(path) not in TEXT_FORMATS:
                        raise
                    u = mda.Universe(_utf8_stream(path), *args[1:], **kwargs)
                    extra.append(f"{path.name}: bytes that are not UTF-8 text (e.g. accented names "
                                 "in REMARK lines) were replaced by '?' while reading")
        except StructureFileError as exc:
            error = exc
        except FileNotFoundError as exc:
            error = StructureFileError(f"{exc.filename or path}: file not found")
        except Exception as exc:  # MDAnalysis raises ValueError/OSError/IndexError/... on bad input
            error = _translate(exc, path, trajs, topology_format)
    if error is not None:
        # raised outside the except clause, so that the half-built readers referenced by the
        # original traceback are collected now (while their __del__ noise is silenced)
        import gc
        gc.collect(1)
        raise error
    try:
        u.trajectory
    except AttributeError:
        raise StructureFileError(f"{path}: the file holds a topology without coordinates; give a "
                                 "coordinate or trajectory file too (e.g. a PDB, DCD or XTC)") from None
    return u, extra + _meaningful(caught, path) + _incomplete_dcd(trajs)


def _incomplete_dcd(trajs: List[Path]) -> List[str]:
    """Notes for DCD files that end inside a frame (MDAnalysis drops that frame silently)."""
    notes = []
    for t in trajs:
        if _suffix(t) != ".dcd":
            continue
        try:
            from MDAnalysis.lib.formats.libdcd import DCDFile
            with DCDFile(str(t)) as dcd:
                body = t.stat().st_size - dcd._header_size - dcd._firstframesize
                if body > 0 and body % dcd._framesize:
                    notes.append(f"{t.name}: the file ends inside a frame (truncated?); "
                                 f"{dcd.n_frames} complete frames read")
        except Exception:
            continue
    return notes


def _check_format(path: Path, fmt: str) -> None:
    """Refuse a ``topology_format`` that MDAnalysis does not know (naming the known ones)."""
    import MDAnalysis as mda

    known = sorted(set(mda._PARSERS) | {"MMCIF"})
    if str(fmt).upper() not in known:
        raise StructureFileError(f"{path}: unknown format {fmt!r} (--format); use one of "
                                 f"{', '.join(known)}")


def _topology_opens(path: Path, topology_format: Optional[str]) -> bool:
    """True when the topology alone can be read (used to tell whose fault a failure is)."""
    import MDAnalysis as mda

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if _suffix(path) in MMCIF_SUFFIXES and topology_format is None:
                _read_mmcif(path)
            else:
                kwargs = {"topology_format": topology_format} if topology_format else {}
                mda.Universe(str(path), **kwargs)
        except Exception:
            return False
    return True


#: MDAnalysis wraps parser failures in this sentence; the part after "Error:" is the reason.
_WRAPPER = re.compile(r"Failed to construct topology from file \S+ with parser <class '[^']*'>\.?\s*"
                      r"(Error:\s*)?")


def _translate(exc: Exception, path: Path, trajs: List[Path],
               topology_format: Optional[str] = None) -> StructureFileError:
    msg = _WRAPPER.sub("", " ".join(str(exc).split()))
    counts = (re.search(r"Topology number of atoms:?\s*(\d+).*number of atoms:?\s*(\d+)", str(exc), re.S | re.I)
              or re.search(r"n_atoms \((\d+)\) != natom[^(]*\((\d+)\)", str(exc)))
    if trajs and ("same number of atoms" in msg or "number of atoms" in msg.lower() or counts):
        m = counts
        detail = f" ({m.group(1)} atoms in the topology, {m.group(2)} in the trajectory)" if m else ""
        return StructureFileError(f"{', '.join(map(str, trajs))}: trajectory does not match topology "
                                  f"{path}{detail}; both must hold the same atoms in the same order")
    if "isn't a valid topology format" in msg or "Cannot find an appropriate" in msg or "Unknown format" in msg:
        bad = next((t for t in trajs if str(t) in msg), path)
        return StructureFileError(f"{bad}: unknown or unsupported file format "
                                  f"{_suffix(bad) or '(no extension)'}; use PDB, PDBx/mmCIF, PSF, GRO, "
                                  "PRMTOP, TPR, mol2 or XYZ for structures and DCD, XTC, TRR, NetCDF "
                                  "or PDB for trajectories")
    for t in trajs:
        if str(t) in msg or isinstance(exc, (OSError, EOFError)) and _suffix(t) not in TEXT_FORMATS:
            return StructureFileError(f"{t}: trajectory cannot be read ({msg}); is it truncated or "
                                      "of another format?")
    frame = re.search(r"number of atoms \((\d+)\) in trajectory frame (\d+) differs from the number of "
                      r"atoms \((\d+)\)", msg)
    if frame and not trajs:
        located = _locate(path)
        return StructureFileError(located or (
            f"{path}: frame {frame.group(2)} holds {frame.group(1)} atoms but the structure has "
            f"{frame.group(3)}; MODEL/ENDMDL/END records are out of place or atom records were lost"))
    shape = re.search(r"cannot reshape array of size (\d+) into shape \((\d+), ?3\)", msg)
    if trajs and shape:
        size, n = int(shape.group(1)), int(shape.group(2))
        return StructureFileError(
            f"{', '.join(map(str, trajs))}: trajectory does not match topology {path}: a frame of its "
            f"{n} atoms needs {3 * n} coordinates but the file gives {size} ({size // 3} atoms' worth) "
            "before it ends; it was written for other atoms (or is truncated)")
    if trajs and _topology_opens(path, topology_format):
        return StructureFileError(f"{', '.join(map(str, trajs))}: trajectory cannot be read with "
                                  f"topology {path.name}{_reader_said(msg, 200)}; is it "
                                  "truncated, of another format, or written for other atoms?")
    located = _locate(path)
    if located:
        return StructureFileError(located)
    fmt = _suffix(path)[1:].upper() or "structure"
    return StructureFileError(f"{path}: cannot be read as a {fmt} file; it looks truncated or malformed"
                              f"{_reader_said(msg, 300)}")


#: Reader messages that describe Python internals rather than the file (not shown to users).
_INTERNAL = re.compile(r"index -?\d+ is out of bounds|cannot reshape|invalid literal for|has no attribute|"
                       r"not subscriptable|unsupported operand|NoneType|object is not|list index|"
                       r"string index|tuple index|^\W*\w?\W*$")


def _reader_said(msg: str, limit: int) -> str:
    """`` (the reader said: ...)`` for a reader message that describes the file, else ``""``."""
    msg = " ".join(str(msg).split())
    if len(msg) < 8 or _INTERNAL.search(msg):
        return ""
    return f" (the reader said: {msg[:limit]})"


def _meaningful(caught, path: Path) -> List[str]:
    out: List[str] = []
    for w in caught:
        if issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning)):
            continue
        text = " ".join(str(w.message).split())
        if any(noise.lower() in text.lower() for noise in _NOISE):
            continue
        line = f"{path.name}: {text}"
        if line not in out:
            out.append(line)
    return out


def read_frames(universe, atom_indices: np.ndarray, *, path_label: str = "trajectory",
                frames: Optional[slice] = None, source_path=None):
    """Positions, forces and boxes of ``atom_indices`` over the trajectory.

    Returns
    -------
    positions : (n_frames, n, 3) float32, Å
    forces : (n_frames, n, 3) float32 kcal/mol/Å, or None (when any frame has none)
    box : (n_frames, 6) float32 or None (when any frame has no box)
    notes : list of str (warnings)

    Raises
    ------
    StructureFileError
        A frame cannot be read or holds NaN/inf coordinates (frame and atom named).
    """
    traj = universe.trajectory
    idx = np.asarray(atom_indices, dtype=np.int64)
    selected = range(len(traj))[frames] if frames is not None else range(len(traj))
    n_frames = len(selected)
    pos = np.empty((n_frames, len(idx), 3), dtype=np.float32)
    forces = np.empty((n_frames, len(idx), 3), dtype=np.float32)
    box = np.zeros((n_frames, 6), dtype=np.float32)
    has_forces, has_box = True, True
    notes: List[str] = []
    try:
        for k, frame in enumerate(selected):
            ts = traj[frame]
            pos[k] = ts.positions[idx]
            if has_forces:
                if ts.has_forces:
                    forces[k] = ts.forces[idx] * KJ_TO_KCAL
                else:
                    if k > 0:
                        notes.append(f"{path_label}: frame {frame} has no forces; forces dropped")
                    has_forces = False
            dims = ts.dimensions
            if dims is None or not np.all(np.asarray(dims)[:3] > 0):
                has_box = False
            elif has_box:
                box[k] = dims
    except StructureFileError:
        raise
    except Exception as exc:
        located = _locate(Path(source_path)) if source_path is not None else None
        if located:
            raise StructureFileError(located) from None
        raise StructureFileError(f"{path_label}: frame {k} cannot be read{_reader_said(str(exc), 200)}; "
                                 "the file may be truncated") from None
    finite = np.isfinite(pos)
    if not finite.all():
        f, a, _ = np.argwhere(~finite)[0]
        located = _locate(Path(source_path)) if source_path is not None else None
        if located:
            raise StructureFileError(located)
        atom = universe.atoms[int(idx[a])]
        who = f"atom {atom.name} of {getattr(atom, 'resname', '?')} {getattr(atom, 'resid', '?')}"
        raise StructureFileError(f"{path_label}: frame {int(selected[f])}, atom {int(idx[a]) + 1} ({who}): "
                                 "coordinate is NaN or infinite")
    big = np.abs(pos) > MAX_COORDINATE
    if big.any():
        f, a, c = np.argwhere(big)[0]
        located = _locate(Path(source_path)) if source_path is not None else None
        if located:
            raise StructureFileError(located)
        atom = universe.atoms[int(idx[a])]
        who = f"atom {atom.name} of {getattr(atom, 'resname', '?')} {getattr(atom, 'resid', '?')}"
        raise StructureFileError(f"{path_label}: frame {int(selected[f])}, atom {int(idx[a]) + 1} ({who}): "
                                 f"{'xyz'[int(c)]} coordinate {float(pos[f, a, c]):.4g} Å is beyond "
                                 f"±{MAX_COORDINATE:g} Å (corrupt file or wrong units)")
    if has_forces and not np.all(np.isfinite(forces)):
        f, a, _ = np.argwhere(~np.isfinite(forces))[0]
        raise StructureFileError(f"{path_label}: frame {int(selected[f])}, atom {int(idx[a]) + 1}: "
                                 "force is NaN or infinite")
    if has_box:
        problem = _bad_box(box)
        if problem:
            notes.append(f"{path_label}: {problem}; the box is not used (no periodic unwrapping, no box "
                         "in the graph)")
            has_box = False
    return pos, (forces if has_forces else None), (box if has_box else None), notes


def _bad_box(box: np.ndarray) -> Optional[str]:
    """Why the first invalid box of ``(n_frames, 6)`` boxes is not a periodic cell, or None.

    Valid: finite, edges in (0, :data:`MAX_COORDINATE`] Å, angles in (0°, 180°) forming a cell of
    positive volume.
    """
    b = np.asarray(box, dtype=np.float64)
    edges, angles = b[:, :3], np.radians(b[:, 3:])
    cos = np.cos(angles)
    volume2 = 1 - (cos ** 2).sum(1) + 2 * cos.prod(1)
    bad = (~np.isfinite(b).all(1) | (edges > MAX_COORDINATE).any(1) | (b[:, 3:] <= 0).any(1)
           | (b[:, 3:] >= 180).any(1) | ~(volume2 > 1e-6))
    if not bad.any():
        return None
    f = int(np.flatnonzero(bad)[0])
    shown = " ".join(f"{v:g}" for v in b[f])
    return f"frame {f}: box ({shown}) is not a valid periodic cell (edges up to {MAX_COORDINATE:g} Å, angles " \
           "between 0 and 180 degrees forming a cell)"


def pdb_line_of(path, chain: str, resid: int, icode: str = "") -> Optional[int]:
    """Line number (1-based) of the first ATOM/HETATM record of a residue in a PDB file."""
    path = Path(path)
    if _suffix(path) not in (".pdb", ".ent"):
        return None
    try:
        with _open_text(path) as fh:
            for lineno, line in enumerate(fh, start=1):
                if line[:6] in ("ATOM  ", "HETATM"):
                    try:
                        rid = int(line[22:26])
                    except ValueError:
                        continue
                    if rid == int(resid) and line[26:27].strip() == icode.strip() and \
                            (len(chain.strip()) != 1 or line[21:22].strip() == chain.strip()):
                        return lineno
    except (OSError, UnicodeDecodeError, EOFError, zlib.error):
        return None
    return None


def psf_insertion_codes(path, n_atoms: int) -> Optional[np.ndarray]:
    """Insertion codes of a PSF's atoms (``1A`` in the resid column), or None when none.

    MDAnalysis reads the resid ``27A`` as 27 and drops the code; this recovers it so that
    residues 27 and 27A stay distinct and are named correctly.
    """
    path = Path(path)
    if _suffix(path) != ".psf":
        return None
    codes = np.full(n_atoms, "", dtype=object)
    try:
        with _open_text(path) as fh:
            for line in fh:
                if "!NATOM" in line:
                    break
            else:
                return None
            for k in range(n_atoms):
                parts = fh.readline().split()
                if len(parts) < 3:
                    return None
                m = re.match(r"^-?\d+([A-Za-z]*)$", parts[2])
                codes[k] = m.group(1) if m else ""
    except (OSError, UnicodeDecodeError, EOFError, zlib.error):
        return None
    if not any(codes):
        return None
    return codes.astype(str)
