"""Issue 12 (structures): absurd coordinates, CR-only and ENDMDL-broken multi-model PDBs,
messages in our words (mismatched coordinate files, empty mol2 blocks), from_arrays edges."""
from __future__ import annotations

import shutil
import warnings

import numpy as np
import pytest
from MDAnalysisTests import datafiles as D

import topologies as T
from topologies.errors import StructureFileError, TopologyError
from topologies.graph import MAX_COORDINATE


def _build(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return T.build_graph(*args, **kwargs)


def _pdb_with_ca_x(tmp_path, text: str):
    """PDB_small with the x field of the first CA replaced by ``text`` (8 columns)."""
    out, done = [], False
    for line in open(D.PDB_small).read().splitlines():
        if not done and line.startswith("ATOM") and line[12:16].strip() == "CA":
            line = line[:30] + f"{text:>8}" + line[38:]
            done = True
        out.append(line)
    path = tmp_path / "absurd.pdb"
    path.write_text("\n".join(out) + "\n")
    return path, next(k for k, l in enumerate(out, start=1) if l.startswith("ATOM") and l[12:16].strip() == "CA")


@pytest.mark.parametrize("value", ["1e+38", "1e8", "-200000", "123456.7"])
def test_absurd_pdb_coordinate_named(tmp_path, value):
    path, line = _pdb_with_ca_x(tmp_path, value)
    with pytest.raises(StructureFileError, match=rf"absurd\.pdb, line {line}: x coordinate .* of atom 'CA' "
                                                 rf"of MET 1 is beyond ±100000 Å"):
        _build(path)


def test_large_but_sane_pdb_coordinate_accepted(tmp_path):
    path, _ = _pdb_with_ca_x(tmp_path, "9999.000")
    g = _build(path)
    assert float(np.abs(g.positions).max()) == pytest.approx(9999.0)


def test_absurd_gro_coordinate_named_in_nm(tmp_path):
    lines = open(D.GRO).read().splitlines()
    lines[2] = lines[2][:20] + f"{'2e4':>8}" + lines[2][28:]   # 2e4 nm = 2e5 Å
    path = tmp_path / "absurd.gro"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(StructureFileError, match=r"absurd\.gro, line 3: x coordinate 2e4 of atom 'N' .* beyond"):
        _build(path)


def test_absurd_xyz_coordinate_named(tmp_path):
    path = tmp_path / "w.xyz"
    path.write_text("3\nwater\nO 0 0 0\nH 0.96 0 0\nH 0 1e9 0\n")
    with pytest.raises(StructureFileError, match=r"w\.xyz, line 5: y coordinate 1e9 of atom H is beyond"):
        _build(path)


def test_absurd_coordinate_in_trajectory_frame_named():
    import MDAnalysis as mda
    from MDAnalysis.coordinates.memory import MemoryReader

    u = mda.Universe(D.PDB_small)
    xyz = np.repeat(u.atoms.positions[None], 3, axis=0)
    xyz[2, 4, 1] = 5e6
    u.load_new(xyz, format=MemoryReader)
    with pytest.raises(StructureFileError, match=r"frame 2, atom 5 \(atom CA of MET 1\): y coordinate 5e\+06 Å"):
        _build(u)


def test_multimodel_pdb_with_cr_line_endings_reads_like_lf(tmp_path):
    text = open(D.PDB_multiframe).read()
    (tmp_path / "lf.pdb").write_text(text)
    (tmp_path / "cr.pdb").write_bytes(text.replace("\n", "\r").encode())
    lf, cr = _build(tmp_path / "lf.pdb"), _build(tmp_path / "cr.pdb")
    assert cr.n_frames == lf.n_frames == 24
    np.testing.assert_array_equal(cr.positions, lf.positions)
    np.testing.assert_array_equal(cr.types, lf.types)
    assert any("carriage returns only" in w for w in cr.provenance["warnings"])


def test_cr_line_endings_in_a_pdb_trajectory(tmp_path):
    text = open(D.PDB_multiframe).read()
    (tmp_path / "traj.pdb").write_bytes(text.replace("\n", "\r").encode())
    g = _build(D.PDB_multiframe, tmp_path / "traj.pdb")
    assert g.n_frames == 24


def test_stray_endmdl_named(tmp_path):
    lines = open(D.PDB_multiframe).read().splitlines()
    at = [k for k, l in enumerate(lines) if l.startswith("ATOM")][50]
    lines.insert(at, "ENDMDL")
    (tmp_path / "stray.pdb").write_text("\n".join(lines) + "\n")
    with pytest.raises(StructureFileError, match=rf"stray\.pdb, line {at + 1}: ENDMDL closes MODEL 1 but more "
                                                 rf"atoms follow \(line {at + 2}\)"):
        _build(tmp_path / "stray.pdb")


def test_doubled_endmdl_is_harmless(tmp_path):
    lines = open(D.PDB_multiframe).read().splitlines()
    at = next(k for k, l in enumerate(lines) if l.startswith("ENDMDL"))
    lines.insert(at, "ENDMDL")
    (tmp_path / "double.pdb").write_text("\n".join(lines) + "\n")
    assert _build(tmp_path / "double.pdb").n_frames == 24


def test_endmdl_without_model_records_named(tmp_path):
    atoms = [l for l in open(D.PDB_small).read().splitlines() if l.startswith("ATOM")][:20]
    (tmp_path / "nomodel.pdb").write_text("\n".join(atoms + ["ENDMDL"] + atoms + ["END"]) + "\n")
    with pytest.raises(StructureFileError, match=r"nomodel\.pdb, line 21: ENDMDL closes the structure"):
        _build(tmp_path / "nomodel.pdb")


def test_coordinates_written_for_other_atoms_in_our_words(tmp_path):
    shutil.copy(D.TRJ, tmp_path / "other.mdcrd")
    with pytest.raises(StructureFileError) as info:
        _build(D.PSF, tmp_path / "other.mdcrd")
    text = str(info.value)
    assert "other.mdcrd: trajectory does not match topology" in text
    assert "3341 atoms needs 10023 coordinates but the file gives 8283 (2761 atoms' worth)" in text
    assert "reshape" not in text and "ValueError" not in text


_EMPTY_MOL2 = "@<TRIPOS>MOLECULE\nEMPTY\n0 0 0 0 0\nSMALL\nNO_CHARGES\n\n@<TRIPOS>ATOM\n@<TRIPOS>BOND\n"


@pytest.mark.parametrize("where", ["first", "last", "only"])
def test_mol2_empty_molecule_block_in_our_words(tmp_path, where):
    mol = open(D.mol2_molecule).read()
    text = {"first": _EMPTY_MOL2 + mol, "last": mol + "\n" + _EMPTY_MOL2, "only": _EMPTY_MOL2}[where]
    (tmp_path / "m.mol2").write_text(text)
    line = 1 if where != "last" else mol.count("\n") + 2
    with pytest.raises(StructureFileError) as info:
        _build(tmp_path / "m.mol2")
    assert str(info.value) == (f"{tmp_path / 'm.mol2'}, line {line}: molecule block "
                               f"{2 if where == 'last' else 1} ('EMPTY') has no atoms (its @<TRIPOS>ATOM "
                               "section is missing or empty); remove that block")


def test_mol2_blocks_with_other_atom_counts_named(tmp_path):
    mol = open(D.mol2_molecule).read()
    lines = mol.splitlines()
    first_atom = lines.index("@<TRIPOS>ATOM") + 1
    shorter = "\n".join(lines[:first_atom] + lines[first_atom + 1:]) + "\n"
    (tmp_path / "two.mol2").write_text(mol + "\n" + shorter)
    with pytest.raises(StructureFileError, match=rf"two\.mol2, line {len(lines) + 2}: molecule block 2 "
                                                 r"\('FXA101_1'\) has 48 atoms but molecule block 1 has 49"):
        _build(tmp_path / "two.mol2")


# ------------------------------------------------------------------ from_arrays / CGGraph
def test_from_arrays_zero_frames_refused():
    with pytest.raises(TopologyError, match=r"positions has shape \(0, 3, 3\): no frames"):
        T.from_arrays([8, 1, 1], np.zeros((0, 3, 3)))


def test_from_arrays_zero_beads_refused():
    with pytest.raises(TopologyError, match="types is empty"):
        T.from_arrays(np.zeros(0, dtype=int), np.zeros((1, 0, 3)))
    with pytest.raises(TopologyError, match="CGGraph: no beads"):
        T.CGGraph(np.zeros(0, dtype=int), np.zeros((1, 0, 3)))


def test_cggraph_zero_frames_refused():
    with pytest.raises(TopologyError, match="no frame"):
        T.CGGraph([6, 6], np.zeros((0, 2, 3)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_from_arrays_copies_the_callers_arrays(dtype):
    pos = np.array([[[0.0, 0.0, 0.0], [0.96, 0.0, 0.0], [-0.24, 0.93, 0.0]]], dtype=dtype)
    forces = np.ones_like(pos, dtype=np.float32)
    energies = np.array([1.5])
    box = np.array([[30.0, 30.0, 30.0, 90.0, 90.0, 90.0]], dtype=np.float32)
    labels = {"dipole": np.array([2.0])}
    keep = [a.copy() for a in (pos, forces, energies, box, labels["dipole"])]
    g = T.from_arrays(["O", "H", "H"], pos, forces=forces, energies=energies, box=box, labels=labels)
    g.positions[...] = 7.0
    g.forces[...] = 7.0
    g.energies[...] = 7.0
    g.box[...] = 7.0
    g.labels["dipole"][...] = 7.0
    for a, b in zip((pos, forces, energies, box, labels["dipole"]), keep):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad, match", [(np.nan, "NaN or infinite"), (np.inf, "NaN or infinite"),
                                        (1e38, "beyond ±100000 Å")])
def test_from_arrays_absurd_positions_refused(bad, match):
    pos = np.zeros((2, 3, 3))
    pos[1, 2, 0] = bad
    with pytest.raises(TopologyError, match=r"positions\[1, 2, 0\] .*" + match):
        T.from_arrays([8, 1, 1], pos, bonds=None)


def test_cggraph_absurd_positions_refused():
    with pytest.raises(TopologyError, match=r"CGGraph: positions hold 2e\+05 Å at index \(0, 1, 2\)"):
        T.CGGraph([6, 6], [[0, 0, 0], [0, 0, 2.0e5]])
    assert MAX_COORDINATE == 1.0e5


# ------------------------------------------------------------------ found by the fuzz test
def test_gro_atom_count_beyond_the_file_refused_before_reading(tmp_path):
    lines = open(D.GRO).read().splitlines()[:8] + ["   5.00000   5.00000   5.00000"]
    lines[1] = "1000000000"   # MDAnalysis would allocate 12 GB for this count
    (tmp_path / "big.gro").write_text("\n".join(lines) + "\n")
    with pytest.raises(StructureFileError, match=r"big\.gro, line 2: declares 1000000000 atoms but the file "
                                                 r"has only 6 atom lines"):
        _build(tmp_path / "big.gro")


def test_xyz_atom_count_beyond_the_file_refused(tmp_path):
    (tmp_path / "w.xyz").write_text("999999999\nwater\nO 0 0 0\nH 0.96 0 0\nH 0 0.96 0\n")
    with pytest.raises(StructureFileError, match=r"w\.xyz, line 1: declares 999999999 atoms"):
        _build(tmp_path / "w.xyz")


@pytest.mark.parametrize("record", ["ENDMDL", "END"])
def test_end_record_before_the_first_atom_named(tmp_path, record):
    lines = open(D.PDB_small).read().splitlines()
    first = next(k for k, l in enumerate(lines) if l.startswith("ATOM"))
    lines.insert(first - 1, record)
    (tmp_path / "e.pdb").write_text("\n".join(lines) + "\n")
    with pytest.raises(StructureFileError, match=rf"e\.pdb, line {first}: {record} record before the first atom"):
        _build(tmp_path / "e.pdb")


def test_model_record_after_atoms_named(tmp_path):
    atoms = [l for l in open(D.PDB_small).read().splitlines() if l.startswith("ATOM")][:30]
    (tmp_path / "m.pdb").write_text("\n".join(atoms[:10] + ["MODEL        1"] + atoms[10:] + ["ENDMDL", "END"]) + "\n")
    with pytest.raises(StructureFileError, match=r"m\.pdb, line 11: MODEL 1 record after atoms that belong to "
                                                 r"no model \(the first at line 1\)"):
        _build(tmp_path / "m.pdb")


def test_garbled_conect_record_named(tmp_path):
    atoms = [l for l in open(D.PDB_small).read().splitlines() if l.startswith("ATOM")][:12]
    (tmp_path / "c.pdb").write_text("\n".join(atoms + ['CONECT   19   16       +Y44 "', "END"]) + "\n")
    with pytest.raises(StructureFileError, match=r"c\.pdb, line 13: CONECT record .* is not a list of atom "
                                                 r"serial numbers"):
        _build(tmp_path / "c.pdb")


def test_garbled_atom_serial_named(tmp_path):
    atoms = [l for l in open(D.PDB_small).read().splitlines() if l.startswith("ATOM")][:12]
    atoms[5] = atoms[5][:6] + "Ab!12" + atoms[5][11:]   # MDAnalysis: KeyError in its hybrid-36 decoder
    (tmp_path / "s.pdb").write_text("\n".join(atoms) + "\n")
    with pytest.raises(StructureFileError, match=r"s\.pdb, line 6: atom serial number .* is not a number"):
        _build(tmp_path / "s.pdb")


@pytest.mark.parametrize("column, field", [(2, "residue number"), (17, "atom number")])
def test_gro_integer_fields_named(tmp_path, column, field):
    lines = open(D.GRO).read().splitlines()[:8] + ["   5.00000   5.00000   5.00000"]
    lines[1] = "    6"
    lines[4] = lines[4][:column] + "x!" + lines[4][column + 2:]
    (tmp_path / "i.gro").write_text("\n".join(lines) + "\n")
    with pytest.raises(StructureFileError, match=rf"i\.gro, line 5: the {field} .* is not an integer"):
        _build(tmp_path / "i.gro")


def test_gro_box_line_named_when_atom_lines_are_extra(tmp_path):
    lines = open(D.GRO).read().splitlines()[:8] + ["   5.00000   5.00000   5.00000"]
    lines[1] = "    5"   # six atom lines follow
    (tmp_path / "x.gro").write_text("\n".join(lines) + "\n")
    with pytest.raises(StructureFileError, match=r"x\.gro, line 8: the box line .* should hold 3 or 9 numbers"):
        _build(tmp_path / "x.gro")


@pytest.mark.parametrize("cryst, why", [
    ("CRYST1   80.000   80.000   80.000   0.00   0.00   0.00 P 1           1", "0 0 0"),
    ("CRYST1   80.000   80.000   80.000 200.00  90.00  90.00 P 1           1", "200 90 90"),
    ("CRYST1   80.000   80.000   80.000  10.00  10.00 170.00 P 1           1", "10 10 170"),
    ("CRYST1 200000.0   80.000   80.000  90.00  90.00  90.00 P 1           1", "200000 80 80 90 90 90"),
])
def test_invalid_box_not_used_with_a_warning(tmp_path, cryst, why):
    atoms = [l for l in open(D.PDB_small).read().splitlines() if l.startswith("ATOM")][:60]
    (tmp_path / "box.pdb").write_text("\n".join([cryst] + atoms) + "\n")
    g = _build(tmp_path / "box.pdb")
    assert g.box is None and g.provenance["unwrapped"] is False
    assert any(f"{why}) is not a valid periodic cell" in w for w in g.provenance["warnings"])


def test_multiline_reader_errors_become_one_line(tmp_path, monkeypatch):
    from topologies import io as topo_io

    def fail(*args, **kwargs):
        raise StructureFileError("x.pdb: first line\nsecond line\r\nthird")
    monkeypatch.setattr(topo_io, "open_universe", fail)
    with pytest.raises(StructureFileError) as info:
        T.build_graph(tmp_path / "x.pdb")
    assert str(info.value) == "x.pdb: first line second line third"


def test_topology_and_trajectory_as_one_tuple():
    g = _build((D.PSF, D.DCD), mapping="ca")
    assert g.n_beads == 214 and g.n_frames == 98
    assert g.provenance["trajectory"] == [D.DCD]
    assert _build(D.PDB_small, []).n_frames == 1  # an empty trajectory list: the structure's frame


@pytest.mark.parametrize("source, trajectory, words", [
    (123, None, "source must be a file path"),
    ((), None, "give a file, or (topology, trajectory"),
    ((D.PSF, D.DCD), D.DCD, "no separate trajectory"),
    (D.PSF, 5, "trajectory must be a file path"),
    (D.PSF, [D.DCD, 3], "trajectory must be a file path"),
])
def test_bad_source_and_trajectory_types(source, trajectory, words):
    with pytest.raises(StructureFileError, match=words.replace("(", r"\(")):
        _build(source, trajectory)


@pytest.mark.parametrize("conect", ["CONECT    3    2  XE9", "CONECT   12   10                Y5cE"])
def test_conect_fields_must_be_serial_numbers(tmp_path, conect):
    atoms = [l for l in open(D.PDB_small).read().splitlines() if l.startswith("ATOM")][:12]
    (tmp_path / "c.pdb").write_text("\n".join(atoms + [conect, "END"]) + "\n")
    with pytest.raises(StructureFileError, match=r"c\.pdb, line 13: CONECT record"):
        _build(tmp_path / "c.pdb")


@pytest.mark.parametrize("header", [b"HEADER   \x80ISSUE936 Test File", "HEADER    PROTÉINE ÉTÉ".encode()])
def test_non_ascii_header_bytes_are_replaced(tmp_path, header):
    atoms = "\n".join([l for l in open(D.PDB_small).read().splitlines() if l.startswith("ATOM")][:12])
    (tmp_path / "h.pdb").write_bytes(header + b"\n" + atoms.encode() + b"\nEND\n")
    (tmp_path / "clean.pdb").write_text(atoms + "\nEND\n")
    g, clean = _build(tmp_path / "h.pdb"), _build(tmp_path / "clean.pdb")
    assert g.n_beads == clean.n_beads and np.array_equal(g.positions, clean.positions)


@pytest.mark.parametrize("record", ["ATOM Z", " ATOM ", "ATOM10"])
def test_malformed_atom_record_name_named(tmp_path, record):
    lines = open(D.PDB_multiframe).read().splitlines()
    at = [k for k, l in enumerate(lines) if l.startswith("ATOM")][500]
    lines[at] = record + lines[at][6:]
    (tmp_path / "r.pdb").write_text("\n".join(lines) + "\n")
    with pytest.raises(StructureFileError, match=rf"r\.pdb, line {at + 1}: record name '{record}' \(columns 1-6\)"):
        _build(tmp_path / "r.pdb")


@pytest.mark.parametrize("serial", ["x    ", "c\t 79", "A\t 12"])
def test_serials_outside_hybrid36_named(tmp_path, serial):
    atoms = [l for l in open(D.PDB_small).read().splitlines() if l.startswith("ATOM")][:12]
    atoms[3] = atoms[3][:6] + serial + atoms[3][11:]
    (tmp_path / "h.pdb").write_text("\n".join(atoms) + "\n")
    with pytest.raises(StructureFileError, match=r"h\.pdb, line 4: atom serial number"):
        _build(tmp_path / "h.pdb")


def test_reader_messages_about_python_internals_are_not_shown():
    from topologies.io import _reader_said

    assert _reader_said("index 392 is out of bounds for axis 0 with size 392", 200) == ""
    assert _reader_said("invalid literal for int() with base 10: ' '", 200) == ""
    assert _reader_said("' '", 200) == ""
    assert _reader_said("GRO unitcell has neither 3 nor 9 entries.", 200) == \
        " (the reader said: GRO unitcell has neither 3 nor 9 entries.)"
