"""Chain breaks, mixed systems (protein + RNA + ligand + water), DNA/RNA typing, odd formats."""
from __future__ import annotations

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysisTests import datafiles as D

import topologies as T
from topologies import relations as R
from topologies import vocabulary as V
from topologies.errors import StructureFileError


def _build(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return T.build_graph(*args, **kwargs)


def test_missing_residues_make_a_chain_break():
    g = _build(D.PSF, D.DCD, mapping="ca", selection="not resid 50:52")
    assert g.n_beads == 211
    seg = g.segment_index
    assert len(np.unique(seg)) == 2
    i = int(np.flatnonzero(g.residue_ids == 49)[0]); j = int(np.flatnonzero(g.residue_ids == 53)[0])
    assert [i, j] not in g.bonds.tolist() and g.n_bonds == 209
    assert g.relation_codes(np.array([[i, j]])).tolist() == [R.CHAIN_BREAK]
    assert any("chain break between" in w and "CA-CA" in w for w in g.provenance["warnings"])


def test_rna_break_from_o3_p_distance():
    full = _build(D.RNA_PSF, D.RNA_PDB, mapping="nucleic-1")
    resids = sorted(set(full.residue_ids.tolist()))
    cut = resids[10]
    g = _build(D.RNA_PSF, D.RNA_PDB, mapping="nucleic-1", selection=f"not resid {cut}")
    assert len(np.unique(g.segment_index)) == 2 and g.n_bonds == full.n_bonds - 2
    assert any("O3'-P" in w or "numbering" in w for w in g.provenance["warnings"])


def test_dna_typed_without_o2prime():
    g = _build(D.RNA_PSF, D.RNA_PDB, mapping="nucleic-3", selection="nucleic and not name O2' HO2'")
    generic = np.isin(g.residue_names, ["ADE", "CYT", "GUA"])  # CHARMM names: typed by O2'
    assert generic.sum() > 10
    assert all(V.type_name(t).startswith("DNA:") for t in g.types[generic])
    assert all(V.type_name(t).startswith("RNA:") for t in g.types[g.residue_names == "URA"])


def test_mixed_protein_rna_ligand_water_is_one_graph():
    prot = mda.Universe(D.PSF, D.DCD).select_atoms("resid 1:20")
    rna = mda.Universe(D.RNA_PSF, D.RNA_PDB).select_atoms("nucleic or resname TIP3 and resid 1:3")
    lig = mda.Universe(D.mol2_molecule).atoms
    merged = mda.Merge(prot, rna, lig)
    g = _build(merged, keep_water=True)
    assert g.provenance["mapping_schemes"] == {"protein": "ca", "nucleic": "nucleic-3", "other": "heavy"}
    types = [V.type_name(t) for t in g.types]
    assert sum(t in V.AMINO_ACIDS or t == "UNK" for t in types) == 20
    assert any(t.startswith("RNA:") for t in types)
    assert "CG:WATER" in types and "C" in types
    p = int(np.flatnonzero(g.polymer & (g.names == "CA"))[0])
    r = int(np.flatnonzero(np.char.startswith(np.array(types), "RNA:"))[0])
    lig_bead = int(np.flatnonzero(g.types == V.element_type("S"))[0]) if (g.types == 16).any() else \
        int(np.flatnonzero(~g.polymer & (g.types <= 118))[0])
    codes = g.relation_codes(np.array([[p, r], [p, lig_bead]]))
    assert codes.tolist() == [R.OTHER_CHAIN, R.POLYMER_LIGAND]
    assert V.check_types(g.types).size == 0


def test_repeated_atom_name_in_polymer_residue(tmp_path):
    lines = [l for l in open(D.PDB_small).read().splitlines() if l.startswith("ATOM")]
    lines = [l for l in lines if int(l[22:26]) <= 3]
    ca = next(k for k, l in enumerate(lines) if l[12:16].strip() == "CA" and int(l[22:26]) == 2)
    moved = lines[ca][:30] + f"{float(lines[ca][30:38]) + 3.0:8.3f}" + lines[ca][38:]
    path = tmp_path / "rep.pdb"
    path.write_text("\n".join(lines[:ca + 1] + [moved] + lines[ca + 1:]) + "\nEND\n")
    g = _build(path, mapping="ca")
    assert g.n_beads == 3
    assert abs(g.positions[0, 1, 0] - float(lines[ca][30:38])) < 1e-3  # the first copy
    assert any("repeated in residue" in w for w in g.provenance["warnings"])
    with pytest.raises(StructureFileError, match=r"rep\.pdb, line \d+: atom name\(s\) CA repeated"):
        _build(path, mapping="ca", strict=True)


def test_xyz_keeps_repeated_element_names():
    g = _build(D.XYZ_five)
    assert g.n_beads == mda.Universe(D.XYZ_five).atoms.n_atoms
    assert not any("duplicate" in w for w in g.provenance["warnings"])


def test_mol2_peptide_with_interleaved_atoms_keeps_residues_whole():
    g = _build(D.mol2_ligand, mapping="all-atom")
    u = mda.Universe(D.mol2_ligand)
    assert g.n_beads == u.atoms.n_atoms
    assert not any("chain break" in w and "numbering" in w for w in g.provenance["warnings"])
    # beads of a residue are contiguous
    rid = g.residue_ids
    assert len(np.flatnonzero(np.diff(rid) != 0)) == u.residues.n_residues - 1


def test_keep_water_cg_bead_and_ions():
    g = _build(D.GRO, mapping="ca", keep_water=True, keep_ions=True, selection="protein or resid 1:2 "
               "or resname NA+ or byres (resname SOL and index 40000:40010)")
    types = [V.type_name(t) for t in g.types]
    assert "CG:WATER" in types and "Na" in types
    w = int(np.flatnonzero(g.types == V.special_type("WATER"))[0])
    assert abs(float(g.masses[w]) - 18.015) < 0.05


def test_gro_without_chain_ids_numbering_restart_is_a_new_chain(tmp_path):
    a = mda.Universe(D.PSF, D.DCD).atoms
    b = mda.Universe(D.PSF, D.DCD).atoms
    b.positions = b.positions + 60.0
    merged = mda.Merge(a, b)
    merged.dimensions = [300.0, 300.0, 300.0, 90.0, 90.0, 90.0]
    merged.atoms.write(str(tmp_path / "two.gro"))
    g = _build(tmp_path / "two.gro", mapping="ca")
    assert g.n_beads == 428 and g.n_bonds == 426
    assert g.chain_index[0] != g.chain_index[214]
    assert g.relation_codes(np.array([[0, 214]])).tolist() == [R.OTHER_CHAIN]
    assert g.chain_position[214] == 0


def test_cacb_residue_without_side_chain_is_reported():
    g = _build(D.PSF, D.DCD, mapping="cacb", selection="not (resid 5 and not name N CA C O HN HA)")
    assert any("LEU 5" in w and "no side-chain atoms" in w for w in g.provenance["warnings"])
    assert ((g.residue_ids == 5) & (g.names == "SC")).sum() == 0


def test_placeholder_box_is_not_used_to_unwrap():
    u = mda.Universe(D.PSF, D.DCD)
    u.transfer_to_memory(stop=1)
    u.dimensions = [1.0, 1.0, 1.0, 90.0, 90.0, 90.0]
    g = _build(u.select_atoms("resid 1:30"), mapping="ca")
    np.testing.assert_allclose(g.positions[0], u.select_atoms("resid 1:30 and name CA").positions, atol=1e-4)
    assert any("too small" in w for w in g.provenance["warnings"]) and not g.provenance["unwrapped"]
