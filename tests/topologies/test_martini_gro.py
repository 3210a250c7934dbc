"""Martini GRO files are read as coarse-grained beads; GRO copies without chain ids stay put."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from MDAnalysisTests import datafiles as D

import topologies as T
from topologies.errors import MappingError
from topologies.martini import is_martini
from topologies.relations import BOND_TYPES
from topologies.vocabulary import residue_type, sidechain_type, special_type

MARTINI = Path(__file__).parent / "data" / "martini_peptides.gro"   # 2 × AKFGLW, DPPC, 3 W, Na+


def _build(*args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", T.TopologyWarning)
        g = T.build_graph(*args, **kwargs)
    return g, [str(w.message) for w in caught if issubclass(w.category, T.TopologyWarning)]


def _file_positions(path=MARTINI) -> dict:
    """(resid, resname, bead, copy) -> position in Å read straight from the GRO columns."""
    lines = Path(path).read_text().splitlines()[2:-1]
    out, copy, last = {}, 0, 0
    for line in lines:
        resid = int(line[:5])
        if line[5:10].strip() in ("ALA",) and resid <= last:
            copy += 1
        last = resid
        out[(resid, line[5:10].strip(), line[10:15].strip(), copy)] = \
            10 * np.array([float(line[20:28]), float(line[28:36]), float(line[36:44])])
    return out


def test_martini_recognised():
    import MDAnalysis as mda
    u = mda.Universe(str(MARTINI))
    assert is_martini(u.atoms.resnames, u.atoms.names)
    lipids = mda.Universe(D.Martini_membrane_gro)
    assert is_martini(lipids.atoms.resnames, lipids.atoms.names)
    for path in (D.GRO, D.PDB_small, D.PDB_full):
        aa = mda.Universe(path)
        assert not is_martini(aa.atoms.resnames, aa.atoms.names), path


def test_martini_auto_keeps_every_bead_typed_by_role():
    g, messages = _build(MARTINI)
    assert g.provenance["input_resolution"] == "martini"
    assert any("coarse-grained input (Martini" in m for m in messages)
    assert g.n_beads == 2 * 16 + 12          # peptides (BB + SC beads) and the lipid; W and ion dropped
    bb = g.names == "BB"
    assert bb.sum() == 12 and np.all(g.polymer[bb])
    assert g.types[bb].tolist() == [residue_type(r) for r in ["ALA", "LYS", "PHE", "GLY", "LEU", "TRP"] * 2]
    sc = np.char.startswith(g.names, "SC")
    assert np.all(g.types[sc] == [sidechain_type(r) for r in g.residue_names[sc]])
    assert np.all(g.types[g.residue_names == "DPPC"] == special_type("LIGAND"))
    assert not np.isin(g.types, np.arange(1, 119)).any()  # no bead typed as a chemical element
    assert np.all(g.masses == 72.0)
    counts = {t: int((g.bond_types == BOND_TYPES[t]).sum()) for t in ("backbone", "intra")}
    assert counts == {"backbone": 10, "intra": 20}
    assert g.summary()["n_chains"] == 2


def test_martini_ca_and_cacb_use_bb():
    g, messages = _build(MARTINI, mapping="ca")
    assert g.n_beads == 12 + 12 and g.polymer.sum() == 12
    ref = _file_positions()
    np.testing.assert_allclose(g.positions[0, :6], [ref[(k + 1, r, "BB", 0)] for k, r in
                                                    enumerate(["ALA", "LYS", "PHE", "GLY", "LEU", "TRP"])], atol=1e-3)
    assert not any("no side-chain atoms" in m for m in messages)
    g2, _ = _build(MARTINI, mapping="cacb")
    assert (g2.names == "SC").sum() == 8  # K, F, L, W side chains in both copies


def test_martini_backbone_map_refused():
    with pytest.raises(MappingError, match=r"martini_peptides\.gro: coarse-grained \(Martini\) input: the "
                                           r"backbone map needs N, CA and C atoms"):
        _build(MARTINI, mapping="backbone")


def test_martini_membrane_of_mdanalysis():
    g, _ = _build(D.Martini_membrane_gro)
    assert g.n_beads == 5040 and np.all(g.types == special_type("LIGAND"))
    assert g.provenance["input_resolution"] == "martini"


def test_martini_waters_and_ions_kept_as_cg_tokens():
    g, _ = _build(MARTINI, keep_water=True, keep_ions=True)
    assert (g.types == special_type("WATER")).sum() == 3
    assert (g.types == special_type("ION")).sum() == 1


def test_gro_copy_without_chain_ids_is_not_moved_by_a_box_vector():
    # copy 2 starts 7 Å from the end of copy 1 across the 50 Å box; numbering restarts: a new
    # molecule, not a continuation to be unwrapped next to copy 1
    g, _ = _build(MARTINI, mapping="ca")
    ref = _file_positions()
    names = ["ALA", "LYS", "PHE", "GLY", "LEU", "TRP"]
    np.testing.assert_allclose(g.positions[0, 6:12], [ref[(k + 1, r, "BB", 1)] for k, r in enumerate(names)],
                               atol=1e-3)
    assert g.provenance["unwrapped"] is True


def test_gro_copy_with_continued_numbering_is_not_moved(tmp_path):
    # same copies, numbered 1-12 and the second 2 nm lower in y: the link between them is no
    # sequence bond under any image, so neither is moved
    lines = MARTINI.read_text().splitlines()
    out, copy, last = lines[:2], 0, 0
    for line in lines[2:-1]:
        resid = int(line[:5])
        if line[5:10].strip() == "ALA" and resid <= last:
            copy += 1
        last = resid
        if copy == 1 and resid <= 6:
            line = f"{resid + 6:5d}" + line[5:28] + f"{float(line[28:36]) - 1.0:8.3f}" + line[36:]
        out.append(line)
    out.append(lines[-1])
    (tmp_path / "cont.gro").write_text("\n".join(out) + "\n")
    g, _ = _build(tmp_path / "cont.gro", mapping="ca")
    ys = g.positions[0, :12, 1]
    np.testing.assert_allclose(ys[:6], 25.0, atol=1e-3)
    np.testing.assert_allclose(ys[6:], 5.0, atol=1e-3)
    np.testing.assert_allclose(g.positions[0, 6, 0], 46.0, atol=1e-3)   # x of copy 2's first BB: unchanged
