"""Broken and awkward input: every problem is a TopologyError naming the file and place."""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from MDAnalysisTests import datafiles as D

import topologies as T
from topologies.errors import MappingError, SelectionError, StructureFileError, TopologyWarning


def _atom_lines(path=D.PDB_small, n=None):
    lines = [l for l in open(path).read().splitlines() if l.startswith(("ATOM", "HETATM"))]
    return lines if n is None else lines[:n]


def _build(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return T.build_graph(*args, **kwargs)


def test_missing_file(tmp_path):
    with pytest.raises(StructureFileError, match=r"nope\.pdb: structure file not found"):
        _build(tmp_path / "nope.pdb")


def test_empty_file(tmp_path):
    (tmp_path / "empty.pdb").write_text("")
    with pytest.raises(StructureFileError, match=r"empty\.pdb: structure file is empty"):
        _build(tmp_path / "empty.pdb")


def test_binary_garbage(tmp_path):
    (tmp_path / "junk.pdb").write_bytes(os.urandom(2000) + b"\x00")
    with pytest.raises(StructureFileError, match=r"junk\.pdb: .*(binary|not a readable text)"):
        _build(tmp_path / "junk.pdb")


def test_unknown_format(tmp_path):
    (tmp_path / "x.abc").write_text("hello\n")
    with pytest.raises(StructureFileError, match=r"x\.abc: unknown or unsupported file format"):
        _build(tmp_path / "x.abc")


def test_truncated_line_named(tmp_path):
    lines = _atom_lines(n=12)
    lines[10] = lines[10][:40]
    (tmp_path / "t.pdb").write_text("\n".join(lines) + "\n")
    with pytest.raises(StructureFileError, match=r"t\.pdb, line 11: truncated ATOM record"):
        _build(tmp_path / "t.pdb")


def test_non_numeric_coordinate_named(tmp_path):
    lines = _atom_lines(n=12)
    lines[5] = lines[5][:30] + "  abc.de" + lines[5][38:]
    (tmp_path / "n.pdb").write_text("\n".join(lines) + "\n")
    with pytest.raises(StructureFileError, match=r"n\.pdb, line 6: x coordinate 'abc.de' of atom"):
        _build(tmp_path / "n.pdb")


def test_nan_coordinate_named(tmp_path):
    lines = _atom_lines(n=12)
    lines[5] = lines[5][:30] + "     nan" + lines[5][38:]
    (tmp_path / "nan.pdb").write_text("\n".join(lines) + "\n")
    with pytest.raises(StructureFileError, match=r"nan\.pdb.*line 6.*(NaN|not a finite)"):
        _build(tmp_path / "nan.pdb")


def test_truncated_gro(tmp_path):
    lines = open(D.two_water_gro).read().splitlines()
    (tmp_path / "w.gro").write_text("\n".join(lines[:5]) + "\n")
    with pytest.raises(StructureFileError, match=r"w\.gro.*(truncated|declares)"):
        _build(tmp_path / "w.gro", keep_water=True)


def test_models_with_different_atoms(tmp_path):
    a = _atom_lines(n=6)
    text = ["MODEL        1", *a, "ENDMDL", "MODEL        2", *a[:4], "ENDMDL", "END"]
    (tmp_path / "m.pdb").write_text("\n".join(text) + "\n")
    with pytest.raises(StructureFileError, match=r"m\.pdb, line 9: MODEL 2 has 4 atoms but MODEL 1 has 6"):
        _build(tmp_path / "m.pdb")


def test_trajectory_atom_count_mismatch():
    with pytest.raises(StructureFileError, match=r"adk_oplsaa\.xtc: trajectory does not match topology .*adk\.psf"):
        _build(D.PSF, D.XTC)


def test_topology_without_coordinates():
    with pytest.raises(StructureFileError, match="without coordinates"):
        _build(D.PSF)


def test_garbage_trajectory(tmp_path):
    (tmp_path / "x.dcd").write_bytes(os.urandom(3000))
    with pytest.raises(StructureFileError, match=r"x\.dcd"):
        _build(D.PSF, tmp_path / "x.dcd")


def test_selection_errors():
    with pytest.raises(SelectionError, match="selects no atom"):
        _build(D.PSF, D.DCD, selection="resname XYZ")
    with pytest.raises(SelectionError, match="invalid selection"):
        _build(D.PSF, D.DCD, selection="resid ((")
    with pytest.raises(SelectionError, match="only water"):
        _build(D.GRO, selection="resname SOL")


def test_unknown_mapping():
    with pytest.raises(MappingError, match="unknown mapping 'martini'"):
        _build(D.PSF, D.DCD, mapping="martini")


def _pdb_without_ca(tmp_path):
    lines = _atom_lines(n=60)
    resid = lines[30][22:26]
    kept = [l for l in lines if not (l[22:26] == resid and l[12:16].strip() == "CA")]
    path = tmp_path / "noca.pdb"
    path.write_text("\n".join(kept) + "\nEND\n")
    return path, int(resid), kept


def test_residue_without_ca_warns_and_is_skipped(tmp_path):
    path, resid, kept = _pdb_without_ca(tmp_path)
    with pytest.warns(TopologyWarning, match=r"has no CA atom; residue skipped"):
        g = T.build_graph(path, mapping="ca")
    assert resid not in g.residue_ids.tolist()
    assert any(f" {resid} " in w and "no CA" in w for w in g.provenance["warnings"])
    # no sequence bond across the skipped residue
    before, after = resid - 1, resid + 1
    i = int(np.flatnonzero(g.residue_ids == before)[0]); j = int(np.flatnonzero(g.residue_ids == after)[0])
    assert [i, j] not in g.bonds.tolist()


def test_residue_without_ca_strict_names_line(tmp_path):
    path, resid, kept = _pdb_without_ca(tmp_path)
    line = 1 + next(k for k, l in enumerate(kept) if int(l[22:26]) == resid)
    with pytest.raises(MappingError, match=rf"noca\.pdb, line {line}: residue \w+ {resid}.* has no CA atom.*--strict"):
        _build(path, mapping="ca", strict=True)


def test_duplicate_atoms_dropped(tmp_path):  # exact copies of an ATOM record
    lines = _atom_lines(n=20)
    path = tmp_path / "dup.pdb"
    path.write_text("\n".join(lines[:10] + [lines[3]] + lines[10:]) + "\nEND\n")
    g = _build(path, mapping="heavy")
    ref = _build(tmp_path.joinpath("ref.pdb") if (tmp_path / "ref.pdb").write_text("\n".join(lines) + "\nEND\n") else None,
                 mapping="heavy")
    assert g.n_beads == ref.n_beads
    assert any("duplicate atom" in w for w in g.provenance["warnings"])
    with pytest.raises(StructureFileError, match="duplicate atom"):
        _build(path, mapping="heavy", strict=True)


def test_altloc_highest_occupancy_kept(tmp_path):
    lines = [l for l in _atom_lines() if int(l[22:26]) <= 2]
    ca = next(k for k, l in enumerate(lines) if l[12:16].strip() == "CA")
    a = lines[ca][:16] + "A" + lines[ca][17:54] + "  0.30" + lines[ca][60:]
    moved = f"{float(lines[ca][30:38]) + 1.0:8.3f}"
    b = lines[ca][:16] + "B" + lines[ca][17:30] + moved + lines[ca][38:54] + "  0.70" + lines[ca][60:]
    path = tmp_path / "alt.pdb"
    path.write_text("\n".join(lines[:ca] + [a, b] + lines[ca + 1:]) + "\nEND\n")
    g = _build(path, mapping="ca")
    first = g.positions[0, 0]
    assert abs(first[0] - float(moved)) < 1e-3  # altloc B (occupancy 0.70) kept
    assert g.n_beads == len({l[22:26] for l in lines})
    assert any("altloc A" in w and "0.30 < 0.70" in w for w in g.provenance["warnings"])


def test_text_that_is_not_a_pdb(tmp_path):
    (tmp_path / "notes.pdb").write_text("this is a lab notebook, not a structure\n")
    with pytest.raises(StructureFileError, match=r"notes\.pdb: no ATOM or HETATM records"):
        _build(tmp_path / "notes.pdb")


def test_truncated_dcd_is_reported(tmp_path):
    data = open(D.DCD, "rb").read()
    (tmp_path / "cut.dcd").write_bytes(data[: len(data) // 3])
    g = _build(D.PSF, tmp_path / "cut.dcd")
    assert 0 < g.n_frames < 98
    assert any("cut.dcd: the file ends inside a frame" in w for w in g.provenance["warnings"])


def test_xyz_bad_coordinate_line(tmp_path):
    (tmp_path / "m.xyz").write_text("3\ncomment\nO 0 0 0\nH 0.9 zero 0\nH -0.3 0.9 0\n")
    with pytest.raises(StructureFileError, match=r"m\.xyz, line 4: y coordinate 'zero' of atom H"):
        _build(tmp_path / "m.xyz")
