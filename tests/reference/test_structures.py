"""The built-in ACE-ALA-NME structure: complete, L-alanine, parameterised by ff03 + OBC."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("openmm")

from cgmolct.reference.structures import alanine_dipeptide_heavy_atoms, write_alanine_dipeptide_pdb  # noqa: E402
from cgmolct.reference.system import SystemSpec, build_system  # noqa: E402


def _dihedral(p0, p1, p2, p3):
    b0, b1, b2 = p0 - p1, p2 - p1, p3 - p2
    b1 = b1 / np.linalg.norm(b1)
    v, w = b0 - b0.dot(b1) * b1, b2 - b2.dot(b1) * b1
    return np.degrees(np.arctan2(np.cross(b1, v).dot(w), v.dot(w)))


def test_heavy_atom_geometry():
    atoms = {(res, name): xyz for res, name, _, xyz in alanine_dipeptide_heavy_atoms(phi=-70.0, psi=140.0)}
    n, ca, c, cb = atoms[("ALA", "N")], atoms[("ALA", "CA")], atoms[("ALA", "C")], atoms[("ALA", "CB")]
    assert np.dot(np.cross(n - ca, c - ca), cb - ca) > 0  # L-alanine
    assert _dihedral(atoms[("ACE", "C")], n, ca, c) == pytest.approx(-70.0, abs=1e-6)
    assert _dihedral(n, ca, c, atoms[("NME", "N")]) == pytest.approx(140.0, abs=1e-6)
    assert np.linalg.norm(ca - n) == pytest.approx(1.46)


def test_written_pdb_has_hydrogens_and_builds(tmp_path):
    path = write_alanine_dipeptide_pdb(tmp_path / "ala2.pdb")
    pdb, system = build_system(SystemSpec(path))
    assert system.getNumParticles() == 22
    assert [r.name for r in pdb.topology.residues()] == ["ACE", "ALA", "NME"]
    assert sum(a.element.symbol == "H" for a in pdb.topology.atoms()) == 12
