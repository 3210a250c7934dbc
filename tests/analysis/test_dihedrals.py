"""Dihedrals: sign convention against MDAnalysis, backbone φ/ψ of CG and all-atom alanine dipeptide."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from cgmolct.analysis import (BackboneDihedrals, Dihedrals, backbone_quadruplets, dihedral_angles,
                              load_angles)
from cgmolct.errors import InputError

from ..priors.helpers import alanine_like, chain, graph_of


@pytest.fixture(scope="module")
def ala2():
    import topologies
    from MDAnalysisTests import datafiles as mdt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {m: topologies.build_graph(mdt.PRMpbc, mdt.TRJpbc_bz2, mapping=m) for m in ("backbone", "all-atom")}


def test_dihedral_sign_matches_mdanalysis():
    from MDAnalysis.lib.distances import calc_dihedrals

    pos = np.random.default_rng(0).normal(size=(50, 4, 3)) * 2
    ours = dihedral_angles(pos, [[0, 1, 2, 3]])[:, 0]
    theirs = calc_dihedrals(*(pos[:, k].copy() for k in range(4)))
    assert np.allclose(ours, theirs, atol=1e-10)
    # reversing the four beads gives the same angle; a mirror image flips the sign
    assert np.allclose(dihedral_angles(pos, [[3, 2, 1, 0]])[:, 0], ours)
    assert np.allclose(dihedral_angles(pos * [1, 1, -1], [[0, 1, 2, 3]])[:, 0], -ours)


def test_backbone_map_phi_psi_equal_mdanalysis_ramachandran(ala2):
    from MDAnalysis.analysis.dihedrals import Ramachandran

    cg = BackboneDihedrals(ala2["backbone"]).run()
    aa = BackboneDihedrals(ala2["all-atom"]).run()
    assert cg.results.residues == ["ALA2"] and aa.results.residues == ["ALA2"]
    quads = backbone_quadruplets(ala2["backbone"])
    assert quads["phi"].tolist() == [[0, 1, 2, 3]] and quads["psi"].tolist() == [[1, 2, 3, 4]]
    assert np.allclose(cg.results.phi, aa.results.phi, atol=1e-3)
    assert np.allclose(cg.results.psi, aa.results.psi, atol=1e-3)
    import MDAnalysis as mda
    from MDAnalysisTests import datafiles as mdt

    u = mda.Universe(mdt.PRMpbc, mdt.TRJpbc_bz2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rama = Ramachandran(u.select_atoms("resname ALA")).run().results.angles[:, 0]
    assert np.allclose(cg.results.phi[:, 0], rama[:, 0], atol=1e-3)
    assert np.allclose(cg.results.psi[:, 0], rama[:, 1], atol=1e-3)
    # the same numbers straight from the files (MDAnalysis path)
    from_files = load_angles(mdt.PRMpbc, [mdt.TRJpbc_bz2])
    assert np.allclose(from_files["x"], cg.results.phi[:, 0], atol=1e-3)


def test_user_collective_variables_and_frame_slices():
    pos, _, _, dih = alanine_like(100, seed=3)
    d = Dihedrals(pos, [[0, 1, 2, 3], [1, 2, 3, 4]], names=["phi", "psi"]).run(step=2)
    expected = np.mod(np.degrees(dih[::2]) + 180, 360) - 180
    assert d.results.angles.shape == (50, 2) and np.allclose(d.results.angles, expected, atol=1e-8)
    assert d.results.names == ["phi", "psi"]
    with pytest.raises(InputError, match="quadruplets"):
        Dihedrals(pos, [[0, 1, 2, 9]])
    with pytest.raises(InputError, match="repeats"):
        Dihedrals(pos, [[0, 1, 1, 3]])
    with pytest.raises(AttributeError, match="no result"):
        d.results.nothing  # noqa: B018


def test_chain_break_and_unnamed_beads_give_no_backbone():
    pos = chain(np.full((2, 4), 1.4), np.full((2, 3), 2.0), np.zeros((2, 2)))
    g = graph_of(pos)
    from topologies import CGGraph

    broken = CGGraph(g.types, g.positions, names=g.names, residue_names=g.residue_names,
                     residue_ids=g.residue_ids, bonds=[[1, 2], [2, 3], [3, 4]])
    assert backbone_quadruplets(broken)["residues"] == []
    with pytest.raises(InputError, match="no backbone"):
        BackboneDihedrals(broken)
    unnamed = CGGraph(g.types, g.positions, bonds=g.bonds)
    with pytest.raises(InputError, match="quadruplets instead"):
        BackboneDihedrals(unnamed)
