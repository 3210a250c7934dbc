"""Acceptance of issue 3 on files the implementation's own tests do not use.

Each test is the regression test of a defect found by running ``cgmolct graph build|info``
on real files from MDAnalysisTests / OpenMM and on hand-broken copies of them: exit 0 with
the right beads, relations and forces, or exit 2 with one line naming the file and what is
wrong (never a traceback).
"""
from __future__ import annotations

import gc
import os
import subprocess
import sys
import warnings
from pathlib import Path

import MDAnalysis as mda
import networkx as nx
import numpy as np
import pytest
from MDAnalysisTests import datafiles as D

import topologies as T
from cgmolct.cli import main
from topologies import relations as R
from topologies.atoms import atom_table
from topologies.residues import classify_residue

DATA = Path(D.__file__).parent / "data"


def _build(*args, **kwargs) -> T.CGGraph:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return T.build_graph(*args, **kwargs)


def _cli_error(capsys, argv) -> str:
    """Run the CLI expecting exit 2; return its single error line (checked)."""
    assert main(argv) == 2
    gc.collect()  # half-built readers must not print "Exception ignored" tracebacks later
    err = [x for x in capsys.readouterr().err.strip().splitlines()
           if not x.startswith("cgmolct: warning: ")]  # warnings of a build that got that far
    assert len(err) == 1, err
    assert err[0].startswith("cgmolct: error: ") and "Traceback" not in err[0]
    return err[0]


# ---------------------------------------------------------------- OpenMM alanine dipeptide

@pytest.fixture(scope="module")
def openmm_dipeptide(tmp_path_factory):
    """ACE-ALA-NME written by OpenMM (PDB, 3 models) + a TRR of OpenMM forces (kJ/mol/Å)."""
    app = pytest.importorskip("openmm.app")
    import openmm as mm
    import openmm.unit as unit

    folder = tmp_path_factory.mktemp("ala2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u = mda.Universe(D.PRMpbc, D.TRJpbc_bz2, format="TRJ")
        u.select_atoms("resname ACE ALA NME").write(str(folder / "in.pdb"))
    pdb = app.PDBFile(str(folder / "in.pdb"))
    ff = app.ForceField("amber14-all.xml")
    system = ff.createSystem(pdb.topology, nonbondedMethod=app.NoCutoff)
    context = mm.Context(system, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName("Reference"))
    rng = np.random.default_rng(0)
    x0 = pdb.getPositions(asNumpy=True).value_in_unit(unit.angstrom)
    forces = []
    with open(folder / "ala2.pdb", "w") as fh:
        app.PDBFile.writeHeader(pdb.topology, fh)
        for k in range(3):
            x = x0 + rng.normal(scale=0.05, size=x0.shape)
            context.setPositions(x * unit.angstrom)
            f = context.getState(getForces=True).getForces(asNumpy=True)
            forces.append(f.value_in_unit(unit.kilojoule_per_mole / unit.angstrom))
            app.PDBFile.writeModel(pdb.topology, x * unit.angstrom, fh, modelIndex=k + 1)
        app.PDBFile.writeFooter(pdb.topology, fh)
    forces = np.array(forces)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = mda.Universe(str(folder / "ala2.pdb"))
        with mda.Writer(str(folder / "ala2.trr"), n_atoms=v.atoms.n_atoms) as w:
            for k, ts in enumerate(v.trajectory):
                ts.forces = forces[k]
                w.write(v.atoms)
    return folder / "ala2.pdb", folder / "ala2.trr", forces / 4.184, list(v.atoms.names)


def test_openmm_dipeptide_backbone_beads_and_forces(openmm_dipeptide, tmp_path, capsys):
    pdb, trr, f_kcal, names = openmm_dipeptide
    out = tmp_path / "bb.npz"
    assert main(["graph", "build", str(pdb), str(trr), "--mapping", "backbone", "-o", str(out)]) == 0
    g = T.CGGraph.load(out)
    assert list(g.names) == ["C", "N", "CA", "C", "N"]
    assert list(g.residue_names) == ["ACE", "ALA", "ALA", "ALA", "NME"]
    assert g.bonds.tolist() == [[0, 1], [1, 2], [2, 3], [3, 4]] and g.n_frames == 3
    # slice map: each bead carries the force of its atom (kJ/mol/Å -> kcal/mol/Å)
    rows = [4, 6, 8, 14, 16]
    assert [names[r] for r in rows] == ["C", "N", "CA", "C", "N"]
    np.testing.assert_allclose(g.forces, f_kcal[:, rows], atol=1e-3)
    # aggregated map: the bead forces sum to the force on all atoms, hydrogens included
    heavy = _build(str(pdb), str(trr), mapping="heavy")
    np.testing.assert_allclose(heavy.forces.sum(axis=1), f_kcal.sum(axis=1), atol=1e-3)


# ---------------------------------------------------------------- reading, translated errors

def test_netcdf_atom_count_mismatch_blames_the_trajectory(capsys):
    line = _cli_error(capsys, ["graph", "build", str(DATA / "Amber/bala.prmtop"),
                               str(DATA / "Amber/posfor.ncdf"), "-o", "x.npz"])
    assert "posfor.ncdf: trajectory does not match topology" in line
    assert "2661 atoms in the topology, 442 in the trajectory" in line


def test_truncated_netcdf_blames_the_trajectory_without_del_noise(tmp_path, capsys):
    bad = tmp_path / "cut.ncdf"
    bad.write_bytes((DATA / "Amber/bala.ncdf").read_bytes()[:5000])
    line = _cli_error(capsys, ["graph", "build", str(DATA / "Amber/bala.prmtop"), str(bad), "-o", "x.npz"])
    assert "cut.ncdf: trajectory cannot be read" in line


def test_header_only_dcd_one_line_in_a_real_process(tmp_path):
    # a separate interpreter: MDAnalysis readers that fail half-way print "Exception ignored
    # in __del__" tracebacks when collected, which pytest would hide
    bad = tmp_path / "head.dcd"
    bad.write_bytes(Path(D.DCD).read_bytes()[:100])
    code = ("import sys; from cgmolct.cli import main; "
            f"sys.exit(main(['graph', 'build', {D.PSF!r}, {str(bad)!r}, '-o', 'x.npz']))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         env={**os.environ, "GLOG_v": "3"})
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("cgmolct: error: ") and "head.dcd: trajectory cannot be read" in lines[0]


def test_parser_failure_message_has_no_python_class_names(tmp_path, capsys):
    bad = tmp_path / "cut.psf"
    bad.write_text("".join(Path(D.PSF).read_text().splitlines(keepends=True)[:50]))
    line = _cli_error(capsys, ["graph", "build", str(bad), D.DCD, "-o", "x.npz"])
    assert "cut.psf: cannot be read as a PSF file" in line
    assert "<class" not in line and "Failed to construct" not in line


def test_unknown_format_option(capsys):
    line = _cli_error(capsys, ["graph", "build", D.PDB_small, "--format", "XYZW", "-o", "x.npz"])
    assert "unknown format 'XYZW'" in line and "PDB" in line


def test_no_bead_error_says_why(capsys):
    line = _cli_error(capsys, ["graph", "build", str(DATA / "mol2/test_crysin.mol2"), "-o", "x.npz"])
    assert "no bead could be built" in line and "has no CA atom" in line


def test_frames_minus_one_is_the_last_frame(tmp_path, capsys):
    out = tmp_path / "last.npz"
    assert main(["graph", "build", D.PSF, D.DCD, "-m", "ca", "--frames", "-1", "-o", str(out)]) == 0
    capsys.readouterr()
    g = T.CGGraph.load(out)
    full = _build(D.PSF, D.DCD, mapping="ca")
    assert g.n_frames == 1
    np.testing.assert_allclose(g.positions[0], full.positions[-1], atol=1e-4)
    line = _cli_error(capsys, ["graph", "build", D.PSF, D.DCD, "--frames", "500:600", "-o", "x.npz"])
    assert "select none of its 98 frame(s)" in line


# ---------------------------------------------------------------- saved graphs

@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "g.npz"
    _build(D.PDB_small, mapping="ca").save(path)
    return path


def _rewrite(saved: Path, out: Path, **changes) -> Path:
    import json
    arrays = dict(np.load(saved, allow_pickle=False))
    meta = json.loads(str(arrays["__graph_json__"]))
    meta.update(changes)
    arrays["__graph_json__"] = np.array(json.dumps(meta))
    with open(out, "wb") as fh:
        np.savez(fh, **arrays)
    return out


@pytest.mark.parametrize("change, expected", [
    ({"labels": ["energy2"]}, "label array(s) energy2 listed in the metadata are missing"),
    ({"provenance": "hello"}, "'provenance' must be a JSON object"),
    ({"arrays": "types"}, "'arrays' must be a list of names"),
    ({"format_version": "99"}, "format version 99 is not supported"),
])
def test_broken_saved_metadata_is_one_line(saved, tmp_path, capsys, change, expected):
    bad = _rewrite(saved, tmp_path / "bad.npz", **change)
    assert expected in _cli_error(capsys, ["graph", "info", str(bad), "--json"])


def test_non_zip_npz_is_named(saved, tmp_path, capsys):
    text = tmp_path / "text.npz"
    text.write_text(Path(D.PDB_small).read_text()[:2000])
    assert "does not start like a zip archive" in _cli_error(capsys, ["graph", "info", str(text)])
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    assert "the file is empty" in _cli_error(capsys, ["graph", "info", str(empty)])
    cut = tmp_path / "cut.npz"
    cut.write_bytes(saved.read_bytes()[:3000])
    assert "cut.npz" in _cli_error(capsys, ["graph", "info", str(cut)])


# ---------------------------------------------------------------- messy real files

def test_residue_copies_in_other_blocks_are_duplicates():
    g = _build(str(DATA / "chainIDrepeat.pdb.gz"))
    assert g.n_beads == 4 and len(set(g.chain_ids.tolist())) == 4
    d = np.linalg.norm(g.positions[0][:, None] - g.positions[0][None], axis=-1)
    assert d[~np.eye(g.n_beads, dtype=bool)].min() > 1.0  # no two beads at one place
    assert any("duplicate atom(s)" in w for w in g.provenance["warnings"])


def test_residue_listed_in_two_blocks_is_joined():
    path = str(DATA / "unordered_res.pdb")  # heavy atoms of all residues, then their hydrogens
    u = mda.Universe(path)
    ca = _build(path, mapping="ca")
    assert ca.n_beads == 35 and len(set(ca.segment_index.tolist())) == 1
    assert not any("has no CA" in w or "chain break" in w for w in ca.provenance["warnings"])
    cacb = _build(path, mapping="cacb")
    assert cacb.provenance["n_mapped_atoms"] == u.atoms.n_atoms  # hydrogens belong to beads


def test_long_polymer_already_whole_stays_whole():
    path = str(DATA / "plength.gro")  # 24 chains of 765 atoms, longer than half the box
    g = _build(path)
    u = mda.Universe(path)
    np.testing.assert_allclose(g.positions[0], u.atoms.positions, atol=1e-3)
    graph = nx.Graph()
    graph.add_nodes_from(range(g.n_beads))
    graph.add_edges_from(g.bonds.tolist())
    assert nx.number_connected_components(graph) == 24


def test_distorted_frames_do_not_break_chains():
    g = _build(str(DATA / "1grm_elNemo_mode7.pdb.bz2"))  # normal-mode extremes: CA-CA up to 5.9 Å
    assert g.n_frames == 11 and g.n_beads == 30
    for chain in np.unique(g.chain_index):
        assert len(np.unique(g.segment_index[g.chain_index == chain])) == 1
    assert g.n_bonds == 28


def test_nucleotide_ligands_are_not_chain_nucleotides():
    atp = ["PG", "O1G", "O2G", "O3G", "PB", "O1B", "O2B", "O3B", "PA", "O1A", "O2A", "O3A", "O5'",
           "C5'", "C4'", "O4'", "C3'", "O3'", "C2'", "O2'", "C1'", "N9", "C8", "N7", "C5", "C6", "N6",
           "N1", "C2", "N3", "C4"]
    assert classify_residue("ATP", atp).kind == "other"
    assert classify_residue("XTP", atp).kind == "other"   # unknown name, polyphosphate atoms
    assert classify_residue("A", ["P", "OP1", "OP2"] + atp[12:]).kind == "nucleic"
    g = _build(str(DATA / "6msm.pdb.bz2"))
    atp_beads = g.residue_names == "ATP"
    assert atp_beads.any() and not g.polymer[atp_beads].any()


def test_elements_from_masses_silicon_and_united_atoms():
    u = mda.Universe.empty(4, trajectory=True)
    u.add_TopologyAttr("names", ["SID", "C2", "N1B", "C3"])
    u.add_TopologyAttr("masses", [28.0855, 14.027, 14.007, 15.035])
    assert atom_table(u.atoms).elements.tolist() == [14, 6, 7, 6]


def test_altloc_tie_is_worded_as_a_tie():
    g = _build(str(DATA / "mmcif/3PWP.pdb.gz"))
    tie = [w for w in g.provenance["warnings"] if "altloc B of GLN 2 (chain B)" in w]
    assert tie and "not above 0.50" in tie[0] and "< 0.50" not in tie[0]


def test_thrombin_pqr_light_chain_insertion_codes_and_relations():
    g = _build(str(DATA / "1A2C.pqr"))  # no chain ids; light chain numbered 1H .. 1A, 1, 14A .. 14M
    light = (g.residue_ids == 14) | (g.residue_ids == 1)
    codes = sorted(set(zip(g.residue_ids[light].tolist(), g.insertion_codes[light].tolist())))
    assert len(codes) == 1 + 8 + 13 + 1  # 1, 1A..1H, 14, 14A..14M
    i, j = np.flatnonzero((g.residue_ids == 247))[0], np.flatnonzero((g.residue_ids == 355))[0]
    assert R.relation_name(int(g.relation_codes(np.array([[i, j]]))[0])) == "chain-break"


def test_lone_cap_is_a_small_molecule(capsys):
    # Amber ACE alone in water: no amino acid beside it, so atoms, not a backbone bead
    g = _build(str(DATA / "Amber/ace_tip3p.parm7"), str(DATA / "Amber/ace_tip3p.nc"))
    assert g.n_beads == 6 and not g.polymer.any() and g.forces is not None
    assert any("cap residue(s) with no amino acid" in w for w in g.provenance["warnings"])
    capped = _build(D.PRMpbc, D.TRJpbc_bz2, mapping="backbone", topology_format="PRMTOP")
    assert list(capped.names) == ["C", "N", "CA", "C", "N"]


def test_unwritable_output_is_one_line(capsys):
    if not os.path.isdir("/proc"):
        pytest.skip("needs /proc (a file system that refuses new files)")
    line = _cli_error(capsys, ["graph", "build", D.PDB_small, "-m", "ca", "-o", "/proc/cgmolct-test.npz"])
    assert "cannot save graph to /proc/cgmolct-test.npz" in line


def test_amber_rst7_restart_is_a_trajectory():
    g = _build(str(DATA / "Amber/parmed_ala2_solv.parm7"), str(DATA / "Amber/parmed_ala2_solv.rst7"),
               mapping="backbone")
    assert list(g.names) == ["N", "CA", "C"] * 2 and g.n_frames == 1


def _adk_lines():
    return Path(D.PDB_small).read_text().splitlines(keepends=True)


def test_latin1_remark_is_read(tmp_path):
    path = tmp_path / "latin1.pdb"
    path.write_bytes("REMARK   1 AUTH   J.M\xfcller, F.Garc\xeda\n".encode("latin-1")
                     + "".join(_adk_lines()).encode())
    g = _build(path, mapping="ca")
    assert g.n_beads == 214
    assert any("not UTF-8" in w for w in g.provenance["warnings"])


def test_corrupt_gzip_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.pdb.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(256)) * 2)
    assert "bad.pdb.gz: structure file is not a readable text PDB file" in \
        _cli_error(capsys, ["graph", "build", str(bad), "-o", "x.npz"])


def test_end_record_in_the_middle_is_named(tmp_path, capsys):
    lines = _adk_lines()
    k = [n for n, x in enumerate(lines) if x.startswith("ATOM")][300]
    bad = tmp_path / "end.pdb"
    bad.write_text("".join(lines[:k]) + "END\n" + "".join(lines[k:]))
    line = _cli_error(capsys, ["graph", "build", str(bad), "-o", "x.npz"])
    assert f"end.pdb, line {k + 1}: END record before more atoms (line {k + 2})" in line


def test_xyz_frames_with_different_atom_counts(tmp_path, capsys):
    bad = tmp_path / "vary.xyz"
    bad.write_text("3\nf0\nC 0 0 0\nO 1.2 0 0\nH -1 0 0\n2\nf1\nC 0 0 0\nO 1.2 0 0\n")
    line = _cli_error(capsys, ["graph", "build", str(bad), "-o", "x.npz"])
    assert "vary.xyz, line 6: frame 1 has 2 atoms but frame 0 has 3" in line


def test_mmtf_models_are_not_extra_chains():
    g = _build(str(DATA / "5KIH.mmtf.gz"), mapping="nucleic-3")  # DNA duplex, 2 models as atoms
    assert g.n_beads == 2 * (9 * 3 - 1)  # no 5' phosphate
    assert sorted(set(g.chain_ids.tolist())) == ["A", "B"] and len(set(g.segment_index.tolist())) == 2
    assert any("2 models" in w for w in g.provenance["warnings"])


def test_virtual_sites_are_not_atoms_of_an_element():
    app_data = pytest.importorskip("openmm.app").__file__
    path = Path(app_data).parent / "data" / "swm4ndp.pdb"  # Drude water: O H H + DOH2, OM (element EP)
    g = _build(str(path), mapping="all-atom", keep_water=True, selection="resid 1:20")
    unk = T.vocabulary.special_type("UNK")
    assert (g.types == 8).sum() == 20 and (g.types == unk).sum() == 40
    assert g.n_bonds == 40  # O-H1, O-H2 per water; none guessed to the massless sites
    assert set(g.names[g.types == unk].tolist()) == {"DOH2", "OM"}


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads files whatever their permissions")
def test_permission_denied_is_one_line(tmp_path, capsys):
    path = tmp_path / "locked.pdb"
    path.write_text("".join(_adk_lines()))
    path.chmod(0)
    line = _cli_error(capsys, ["graph", "build", str(path), "-o", "x.npz"])
    assert "locked.pdb: structure file cannot be read: permission denied" in line


def test_ligand_with_blank_element_column_gets_elements_from_names():
    g = _build(str(DATA / "namd_cgenff.pdb"))  # protein with elements; ligand HAO without
    hao = g.residue_names == "HAO"
    assert hao.sum() == 17 and set(g.types[hao].tolist()) == {6, 7, 8}  # its heavy atoms
    assert not any("unknown element" in w for w in g.provenance["warnings"])


def test_chain_ends_touching_in_one_frame_stay_broken(tmp_path):
    lines = [x for x in _adk_lines() if x.startswith("ATOM") and int(x[22:26]) <= 60
             and int(x[22:26]) not in (50, 51)]  # AdK 1-60 without residues 50-51: a gap
    xyz = np.array([[float(x[30:38]), float(x[38:46]), float(x[46:54])] for x in lines])
    resid = np.array([int(x[22:26]) for x in lines])
    ca = {r: xyz[k] for k, r in enumerate(resid) if lines[k][12:16].strip() == "CA"}
    direction = (ca[52] - ca[49]) / np.linalg.norm(ca[52] - ca[49])
    touch = xyz.copy()
    touch[resid >= 52] -= (np.linalg.norm(ca[52] - ca[49]) - 3.8) * direction  # ends 3.8 Å apart
    out = []
    for m in range(20):  # the ends touch in model 1 only
        coords = touch if m == 0 else xyz
        out.append(f"MODEL     {m + 1:4d}\n")
        out += [x[:30] + "%8.3f%8.3f%8.3f" % tuple(c) + x[54:] for x, c in zip(lines, coords)]
        out.append("ENDMDL\n")
    path = tmp_path / "touch.pdb"
    path.write_text("".join(out) + "END\n")
    g = _build(path, mapping="ca")
    assert g.n_frames == 20 and g.n_beads == 58
    assert len(np.unique(g.segment_index)) == 2
    assert [49, 52] not in g.residue_ids[g.bonds].tolist()
