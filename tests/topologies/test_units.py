"""Unit tests of the small pieces: residue tables, PBC unwrapping, the mapping operator, bonds."""
from __future__ import annotations

import warnings

import MDAnalysis as mda
import numpy as np
import pytest
from MDAnalysis.lib.distances import transform_RtoS, transform_StoR
from MDAnalysis.lib.mdamath import triclinic_vectors
from MDAnalysisTests import datafiles as D

import topologies as T
from topologies.bonds import guess_bonds
from topologies.errors import MappingError
from topologies.operator import MappingOperator
from topologies.pbc import make_whole
from topologies.residues import classify_residue


@pytest.mark.parametrize("name, atoms, kind, parent, polymer, warns", [
    ("ALA", ["N", "CA", "C"], "protein", "ALA", None, False),
    ("HSD", ["N", "CA", "C"], "protein", "HIS", None, True),
    ("MSE", ["N", "CA", "C", "SE"], "protein", "MET", None, True),
    ("CYX", ["N", "CA", "C"], "protein", "CYS", None, True),
    ("XYZ", ["N", "CA", "C", "CB"], "protein", "UNK", None, True),
    ("ALA402", ["N", "CA", "C"], "protein", "ALA", None, False),
    ("ACE", ["C", "O", "CH3"], "cap", "ACE", None, False),
    ("NME", ["N", "C"], "cap", "NME", None, False),
    ("DA5", ["C4'", "C1'"], "nucleic", "A", "DNA", False),
    ("RU3", ["P", "C4'", "O2'"], "nucleic", "U", "RNA", False),
    ("ADE", ["P", "C4'", "O2'"], "nucleic", "A", "RNA", False),
    ("ADE", ["P", "C4'"], "nucleic", "A", "DNA", False),
    ("G", ["P", "C4*", "O2*"], "nucleic", "G", "RNA", False),
    ("HOH", ["O"], "water", "HOH", None, False),
    ("TIP3", ["OH2", "H1", "H2"], "water", "TIP3", None, False),
    ("NA", ["NA"], "ion", "NA", None, False),
    ("I", ["I"], "ion", "I", None, False),
    ("GOL", ["C1", "O1", "C2"], "other", "GOL", None, False),
])
def test_classify_residue(name, atoms, kind, parent, polymer, warns):
    info = classify_residue(name, atoms)
    assert (info.kind, info.parent, info.polymer, info.note is not None) == (kind, parent, polymer, warns)


def test_all_nucleic_names_of_mdanalysis_selection_file_are_nucleic():
    u = mda.Universe(D.NUCLsel)
    known = [r for r in u.residues if r.resname not in ("TAF", "ERU", "SEN", "T__", "S__")]
    kinds = {r.resname: classify_residue(r.resname, ["P", "C4'"]).kind for r in known}
    assert set(kinds.values()) == {"nucleic"}, kinds


def _wrap(x, box):
    s = transform_RtoS(x.astype(np.float32), box.astype(np.float32))
    return transform_StoR((s - np.floor(s)).astype(np.float32), box.astype(np.float32))


@pytest.mark.parametrize("box", [np.array([30.0, 30.0, 30.0, 90.0, 90.0, 90.0]),
                                 np.array([32.0, 35.0, 30.0, 70.0, 80.0, 100.0])])
def test_make_whole_undoes_wrapping(box):
    rng = np.random.default_rng(0)
    steps = rng.normal(size=(120, 3))
    steps = 3.8 * steps / np.linalg.norm(steps, axis=1, keepdims=True)
    chain = np.cumsum(steps, axis=0)                       # a 120-bead chain, ~40 Å across
    x = np.repeat(chain, 2, axis=0) + np.tile([[0, 0, 0], [1.0, 0.3, 0.2]], (120, 1))
    res = np.repeat(np.arange(120), 2)
    wrapped = _wrap(x, box)[None]
    assert np.linalg.norm(np.diff(wrapped[0], axis=0), axis=1).max() > 10  # really split
    whole = make_whole(wrapped, box[None], res, np.zeros(240, dtype=int))[0]
    shift = whole[0] - x[0]
    np.testing.assert_allclose(whole - shift, x, atol=2e-3)
    lattice = np.linalg.solve(triclinic_vectors(box.astype(np.float32)).T.astype(float), shift)
    np.testing.assert_allclose(lattice, np.round(lattice), atol=1e-3)  # moved by a lattice vector only


def test_mapping_operator_checks_and_identity():
    op = MappingOperator([0, 0, 1, -1], [1.0, 3.0, 2.0, 0.0], [1, 1, 1, 1], ["com", "slice"], "t")
    np.testing.assert_allclose(op.position_weights, [0.25, 0.75, 1.0, 0.0])
    x = np.arange(12, dtype=float).reshape(4, 3)
    np.testing.assert_allclose(op.map_positions(x), [0.25 * x[0] + 0.75 * x[1], x[2]], atol=1e-5)
    np.testing.assert_allclose(op.map_forces(x), [x[0] + x[1], x[2]], atol=1e-5)
    with pytest.raises(MappingError, match="expected \\(n_frames, 4, 3\\)"):
        op.map_positions(np.zeros((2, 5, 3)))
    with pytest.raises(MappingError, match="no atom with a positive position weight"):
        MappingOperator([0, 1], [1.0, 0.0], [1, 1], ["com", "com"], "t")
    with pytest.raises(MappingError, match="unknown mapping rule"):
        MappingOperator([0], [1.0], [1.0], ["blob"], "t")
    ident = MappingOperator.identity(3)
    np.testing.assert_array_equal(ident.map_positions(x[:3]), x[:3].astype(np.float32))


def test_guess_bonds_water_and_distance_cut():
    water = np.array([[0, 0, 0], [0.96, 0, 0], [-0.24, 0.93, 0], [5, 5, 5]])
    assert guess_bonds([8, 1, 1, 8], water).tolist() == [[0, 1], [0, 2]]


def test_from_arrays_molecule_rotation_keeps_bonds():
    rng = np.random.default_rng(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = T.build_graph(D.mol2_molecule)
    q = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    a = T.from_arrays(g.types, g.positions[0])
    b = T.from_arrays(g.types, g.positions[0] @ q.T + 5.0)
    np.testing.assert_array_equal(a.bonds, b.bonds)
    assert a.n_bonds == g.n_bonds  # distance guess agrees with the mol2 bond table
