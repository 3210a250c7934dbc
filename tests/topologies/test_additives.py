"""Crystallisation additives and buffer molecules: dropped by default with a warning, kept on request."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from MDAnalysisTests import datafiles as D

import topologies as T
from cgmolct.cli import main
from topologies.residues import ADDITIVES, AMINO_ACID_VARIANTS, CAPS, ION_NAMES, NUCLEOTIDES, WATER_NAMES, \
    is_additive
from topologies.vocabulary import AMINO_ACIDS


def _build(*args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", T.TopologyWarning)
        g = T.build_graph(*args, **kwargs)
    return g, [str(w.message) for w in caught if issubclass(w.category, T.TopologyWarning)]


def test_additives_of_a_crystal_structure_dropped_with_a_warning():
    # 4E43: 204 residues in two chains with glycerol, DMSO, acetate and beta-mercaptoethanol
    g, messages = _build(D.PDB_full, mapping="ca")
    assert g.n_beads == 204 and np.all(g.polymer)
    assert g.provenance["dropped_additives"] == {"DMS": 4, "ACT": 1, "GOL": 10, "BME": 1}
    line = next(m for m in messages if "additive" in m)
    assert line.startswith("4E43.pdb: dropped 16 crystallisation additive / buffer molecules: ")
    for words in ("GOL (glycerol) ×10", "DMS (DMSO) ×4", "ACT (acetate) ×1", "BME (beta-mercaptoethanol) ×1",
                  "--keep-additives"):
        assert words in line
    assert line in g.provenance["warnings"]
    assert not set(g.residue_names) & set(ADDITIVES)


def test_additives_kept_on_request():
    g, messages = _build(D.PDB_full, mapping="ca", keep_additives=True)
    assert g.n_beads == 204 + 84
    assert g.provenance["dropped_additives"] == {}
    assert not any("additive" in m for m in messages)
    assert {"GOL", "DMS", "ACT", "BME"} <= set(g.residue_names[~g.polymer])


def test_file_of_only_additives_keeps_them(tmp_path):
    lines = [l for l in open(D.PDB_full).read().splitlines() if l.startswith("HETATM") and l[17:20] == "GOL"]
    (tmp_path / "gol.pdb").write_text("\n".join(lines[:12]) + "\nEND\n")  # two glycerols
    g, messages = _build(tmp_path / "gol.pdb")
    assert g.n_beads == 12 and set(g.residue_names) == {"GOL"}
    assert any("the additives are kept" in m for m in messages)


def test_a_large_residue_named_like_an_additive_is_kept():
    assert is_additive("GOL", 14) and is_additive("gol", 6)
    assert not is_additive("GOL", 500) and not is_additive("HEM", 10)


def test_additive_table_does_not_shadow_other_tables():
    others = set(AMINO_ACIDS) | set(AMINO_ACID_VARIANTS) | set(CAPS) | set(NUCLEOTIDES) | ION_NAMES | WATER_NAMES
    assert not set(ADDITIVES) & others
    for must in ("GOL", "DMS", "ACT", "ACY", "BME", "EDO", "PEG", "SO4", "PO4", "MPD", "TRS", "EPE", "MES",
                 "FMT", "IMD", "CIT"):
        assert must in ADDITIVES


def test_cli_keep_additives(tmp_path, capsys):
    out = tmp_path / "a.npz"
    assert main(["graph", "build", D.PDB_full, "-m", "ca", "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "dropped 16 crystallisation additive" in err
    assert T.CGGraph.load(out).n_beads == 204
    assert main(["graph", "build", D.PDB_full, "-m", "ca", "--keep-additives", "-o", str(out)]) == 0
    assert T.CGGraph.load(out).n_beads == 288


@pytest.mark.parametrize("name", ["SO4", "GOL"])
def test_selection_of_protein_and_an_additive(name):
    g, _ = _build(D.PDB_full, mapping="ca", selection=f"protein or resname {name}")
    assert g.n_beads == 204
