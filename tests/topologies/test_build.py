"""build_graph on real MDAnalysisTests files: beads, relations, forces, PBC, provenance."""
from __future__ import annotations

import subprocess
import sys
import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysisTests import datafiles as D

import topologies as T
from topologies import relations as R
from topologies import vocabulary as V
from topologies.errors import TopologyWarning

warnings.filterwarnings("ignore", category=TopologyWarning)


def _build(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return T.build_graph(*args, **kwargs)


@pytest.fixture(scope="module")
def adk_ca():
    return _build(D.PSF, D.DCD, mapping="ca")


def test_adk_ca_positions_are_the_ca_atoms(adk_ca):
    u = mda.Universe(D.PSF, D.DCD)
    ca = u.select_atoms("name CA")
    assert adk_ca.n_beads == 214 == ca.n_atoms and adk_ca.n_frames == len(u.trajectory) == 98
    for frame in (0, 41, 97):
        u.trajectory[frame]
        np.testing.assert_allclose(adk_ca.positions[frame], ca.positions, atol=1e-4)
    expected = [V.residue_type("HIS" if r in ("HSD", "HSE", "HSP") else r) for r in ca.resnames]
    assert adk_ca.types.tolist() == expected
    assert adk_ca.bonds.tolist() == [[i, i + 1] for i in range(213)]
    assert set(adk_ca.bond_types.tolist()) == {R.BOND_TYPES["backbone"]}
    assert adk_ca.chain_position.tolist() == list(range(214))
    assert adk_ca.polymer.all() and len(set(adk_ca.segment_index.tolist())) == 1
    assert abs(float(adk_ca.masses.sum()) - float(u.atoms.masses.sum())) < 0.05  # residues' mass
    assert adk_ca.provenance["mapping"] == "ca"
    hsd = [f"HSD {r} (chain 4AKE)" for r in u.residues.resids[u.residues.resnames == "HSD"]]
    assert adk_ca.provenance["warnings"] == [
        "adk.psf: residue name HSD (protonation/force-field variant) mapped to its parent HIS "
        f"({len(hsd)} residues: {', '.join(hsd[:3])}{', ...' if len(hsd) > 3 else ''})"]


def test_adk_mapping_operator_reproduces_positions(adk_ca):
    u = mda.Universe(D.PSF, D.DCD)
    frames = np.stack([u.atoms.positions.copy() for _ in u.trajectory[:5]])
    np.testing.assert_allclose(adk_ca.mapping.map_positions(frames), adk_ca.positions[:5], atol=1e-4)
    assert adk_ca.mapping.position_matrix.shape == (214, 3341)


def test_relation_codes_of_the_chain(adk_ca):
    pairs = np.array([[0, 1], [0, 5], [5, 0], [0, 100], [3, 3]])
    codes = adk_ca.relation_codes(pairs)
    assert codes.tolist() == [R.BOND_CODE_OFFSET + R.BOND_TYPES["backbone"], R.SEQUENCE_CODE_ZERO + 5,
                              R.SEQUENCE_CODE_ZERO - 5, R.SEQUENCE_CODE_ZERO + 32, R.SELF]


def test_rotated_structure_has_the_same_relations(tmp_path, adk_ca):
    u = mda.Universe(D.PSF, D.DCD)
    rot = np.linalg.qr(np.random.default_rng(3).normal(size=(3, 3)))[0]
    u.atoms.positions = u.atoms.positions @ rot.T + 17.0
    g = _build(u, mapping="ca")
    np.testing.assert_array_equal(g.bonds, adk_ca.bonds)
    pairs = adk_ca.relational_pairs(3)
    np.testing.assert_array_equal(g.relational_pairs(3), pairs)
    np.testing.assert_array_equal(g.relation_codes(pairs), adk_ca.relation_codes(pairs))


def test_gro_xtc_is_made_whole_no_false_breaks():
    raw = mda.Universe(D.GRO, D.XTC)
    ca = raw.select_atoms("protein and name CA")
    raw_max = max(np.linalg.norm(np.diff(ca.positions, axis=0), axis=1).max() for _ in raw.trajectory)
    assert raw_max > 20.0  # the file really is split across the box
    g = _build(D.GRO, D.XTC, mapping="ca")
    assert g.n_beads == 214 and g.n_frames == 10 and g.box is not None
    steps = np.linalg.norm(np.diff(g.positions, axis=1), axis=2)
    assert steps.max() < 4.3
    assert g.n_bonds == 213 and len(set(g.segment_index.tolist())) == 1
    assert any("dropped" in w and "water" in w for w in g.provenance["warnings"])


def test_cobrotoxin_forces_are_mapped_and_converted():
    u = mda.Universe(D.TPR_xvf, D.TRR_xvf)
    g = _build(D.TPR_xvf, D.TRR_xvf, mapping="ca")
    ca = u.select_atoms("protein and name CA")
    assert g.forces is not None and g.forces.shape == (3, ca.n_atoms, 3)
    for k, _ in enumerate(u.trajectory):
        np.testing.assert_allclose(g.forces[k], ca.forces / 4.184, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("mapping", ["cacb", "heavy", "backbone"])
def test_sum_of_bead_forces_equals_sum_of_mapped_atom_forces(mapping):
    u = mda.Universe(D.TPR_xvf, D.TRR_xvf)
    g = _build(D.TPR_xvf, D.TRR_xvf, mapping=mapping)
    w = g.mapping.force_weights
    for k, _ in enumerate(u.trajectory):
        atom_sum = (u.atoms.forces * w[:, None]).sum(axis=0) / 4.184
        np.testing.assert_allclose(g.forces[k].sum(axis=0), atom_sum, rtol=1e-4, atol=1e-2)
    if mapping == "heavy":  # every protein atom (hydrogens included) goes into its heavy atom
        protein = u.select_atoms("protein").indices
        assert (g.mapping.atom_to_bead[protein] >= 0).all()
        assert set(np.unique(w[protein]).tolist()) == {1.0}


def test_cacb_side_chains():
    g = _build(D.PSF, D.DCD, mapping="cacb")
    u = mda.Universe(D.PSF)
    n_gly = int((u.residues.resnames == "GLY").sum())
    assert g.n_beads == 2 * 214 - n_gly
    sc = g.names == "SC"
    assert np.all((g.types[sc] >= 150) & (g.types[sc] <= 170))
    assert (g.bond_types == R.BOND_TYPES["intra"]).sum() == 214 - n_gly
    # each bead's chain position is its residue's
    assert np.all(np.diff(g.chain_position) >= 0)


def test_alanine_dipeptide_backbone_with_caps_and_pbc():
    g = _build(D.PRMpbc, D.TRJpbc_bz2, mapping="backbone")
    assert g.names.tolist() == ["C", "N", "CA", "C", "N"]
    assert g.residue_names.tolist() == ["ACE", "ALA", "ALA", "ALA", "NME"]
    assert g.types.tolist() == [V.backbone_type("C"), V.backbone_type("N"), V.residue_type("ALA"),
                                V.backbone_type("C"), V.backbone_type("N")]
    assert g.bonds.tolist() == [[0, 1], [1, 2], [2, 3], [3, 4]]
    d = np.linalg.norm(np.diff(g.positions, axis=1), axis=2)
    assert d.max() < 1.7 and d.min() > 1.2  # bonded backbone atoms in every frame
    assert g.n_frames == 11


def test_rna_nucleic_maps():
    g3 = _build(D.RNA_PSF, D.RNA_PDB, mapping="nucleic-3")
    g1 = _build(D.RNA_PSF, D.RNA_PDB, mapping="nucleic-1")
    u = mda.Universe(D.RNA_PSF, D.RNA_PDB)
    nt = u.select_atoms("nucleic").residues
    n_p = int(sum(("P" in r.atoms.names) for r in nt))
    assert g1.n_beads == nt.n_residues == 23
    assert g3.n_beads == 2 * nt.n_residues + n_p
    assert set(g3.names.tolist()) == {"P", "S", "B"}
    assert all(V.type_name(t).startswith("RNA:") for t in g3.types)
    assert all(V.type_name(t).startswith("RNA:nt-") for t in g1.types)
    s = g3.names == "S"
    c4 = u.select_atoms("nucleic and name C4'")
    np.testing.assert_allclose(g3.positions[0][s], c4.positions, atol=1e-4)
    assert (g3.bond_types == R.BOND_TYPES["intra"]).sum() == nt.n_residues


def test_mol2_small_molecule_bond_orders():
    g = _build(D.mol2_molecule)
    u = mda.Universe(D.mol2_molecule)
    assert g.n_beads == u.atoms.n_atoms and g.provenance["mapping_schemes"]["other"] == "all-atom"
    assert g.n_bonds == len(u.bonds)
    names = {R.BOND_TYPE_NAMES[t] for t in g.bond_types.tolist()}
    assert {"single", "double", "aromatic"} <= names
    assert not g.polymer.any()
    assert g.types.tolist() == [V.element_type(e) for e in u.atoms.elements]


def test_altlocs_kept_once_and_ligands_in_mixed_system():
    g = _build(D.PDB_full, keep_additives=True)  # its ligands are crystallisation additives
    u = mda.Universe(D.PDB_full)
    prot = u.select_atoms("protein and name CA and not altloc B")
    ca = g.polymer & (g.names == "CA")
    assert ca.sum() == len({(a.chainID, a.resid) for a in prot})
    assert any("altloc B" in w for w in g.provenance["warnings"])
    lig = ~g.polymer
    assert lig.any() and (g.types[lig] <= 118).all()
    i = int(np.flatnonzero(ca)[0]); j = int(np.flatnonzero(lig)[0])
    assert g.relation_codes(np.array([[i, j]])).tolist() == [R.POLYMER_LIGAND]
    chains = {c["chain_id"]: c for c in g.summary()["chains"]}
    assert chains["A"]["n_polymer_beads"] > 0


def test_insertion_codes_are_distinct_residues():
    g = _build(D.PDB_icodes)
    u = mda.Universe(D.PDB_icodes)
    assert g.n_beads == u.select_atoms("name CA").n_atoms
    with_code = g.insertion_codes != ""
    assert with_code.sum() >= 10
    keys = set(zip(g.residue_ids.tolist(), g.insertion_codes.tolist()))
    assert len(keys) == g.n_beads


def test_multimodel_pdb_gives_frames():
    g = _build(D.PDB_multiframe)
    assert g.n_frames == 24 and g.n_beads == 28
    assert not np.allclose(g.positions[0], g.positions[5])
    assert any("SME" in w for w in g.provenance["warnings"])


def test_mmcif_via_biopython():
    g = _build(D.PDBX)
    assert g.n_beads == 7 and g.n_bonds >= 1


def test_save_load_built_graph_exactly(tmp_path):
    g = _build(D.TPR_xvf, D.TRR_xvf, mapping="cacb")
    g.save(tmp_path / "c.npz")
    back = T.CGGraph.load(tmp_path / "c.npz")
    assert back == g and back.mapping == g.mapping
    np.testing.assert_array_equal(back.mapping.force_matrix.toarray(), g.mapping.force_matrix.toarray())


def test_build_graph_does_not_import_mindspore():
    code = ("import sys, warnings; warnings.simplefilter('ignore'); import topologies as T; "
            "from MDAnalysisTests.datafiles import PSF, DCD; T.build_graph(PSF, DCD); "
            "print('mindspore' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_cacb_side_chain_bead_is_the_heavy_atom_centroid():
    g = _build(D.PSF, D.DCD, mapping="cacb", frames=slice(0, 2))
    u = mda.Universe(D.PSF, D.DCD)
    k = int(np.flatnonzero((g.residue_ids == 5) & (g.names == "SC"))[0])
    sc = u.select_atoms("resid 5 and not name N CA C O HN HA and not type H*")
    sc = sc[[not n.startswith("H") for n in sc.names]]
    np.testing.assert_allclose(g.positions[0, k], sc.positions.mean(axis=0), atol=1e-3)
    members = np.flatnonzero(g.mapping.atom_to_bead == k)
    assert set(u.atoms[members].names) >= set(sc.names) and any(n.startswith("H") for n in u.atoms[members].names)
    assert g.mapping.rule[k] == "centroid" and g.mapping.weights[members].sum() == pytest.approx(1.0)


def test_villin_gro_modified_residues_and_solvent():
    g = _build(D.contacts_villin_folded, mapping="ca")
    u = mda.Universe(D.contacts_villin_folded)
    assert g.n_beads == u.select_atoms("name CA and not resname SOL NA CL").n_atoms == 35
    nle = g.residue_names == "NLE"
    assert nle.sum() == 2 and set(g.types[nle].tolist()) == {V.residue_type("LEU")}
    assert any("modified residue NLE mapped to its parent LEU" in w for w in g.provenance["warnings"])
    assert any("dropped" in w and "water" in w for w in g.provenance["warnings"])


def test_insertion_codes_from_psf_are_kept():
    from MDAnalysis.coordinates.memory import MemoryReader
    u = mda.Universe(D.PSF_inscode)
    rng = np.random.default_rng(0)
    codes = T.io.psf_insertion_codes(D.PSF_inscode, u.atoms.n_atoms)
    assert codes is not None and "A" in set(codes.tolist())
    res = u.atoms.resindices
    split = np.cumsum(np.r_[True, (res[1:] != res[:-1]) | (codes[1:] != codes[:-1])]) - 1
    x = np.zeros((u.atoms.n_atoms, 3), dtype=np.float32)
    x[:, 0] = 3.8 * split                       # one residue every 3.8 Å along x
    x += rng.normal(0, 0.05, x.shape).astype(np.float32)
    u.load_new(x[None], format=MemoryReader)
    g = _build(u, mapping="ca")
    assert g.n_beads == u.select_atoms("name CA").n_atoms
    codes = [c for rid, c in zip(g.residue_ids.tolist(), g.insertion_codes.tolist()) if rid == 1]
    assert "A" in codes and "H" in codes and len(codes) == len(set(codes))
    assert len(set(zip(g.residue_ids.tolist(), g.insertion_codes.tolist()))) == g.n_beads
    assert len(np.unique(g.segment_index)) == 1 and g.n_bonds == g.n_beads - 1
