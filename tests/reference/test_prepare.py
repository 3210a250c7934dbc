"""Preparing crystal structures for OpenMM: hydrogens and OXT added, gaps and missing atoms refused."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("openmm")

from cgmolct.contacts.sources import dssp_files  # noqa: E402
from cgmolct.errors import InputError  # noqa: E402
from cgmolct.reference import SystemSpec  # noqa: E402
from cgmolct.reference.prepare import prepare_protein  # noqa: E402
from cgmolct.reference.system import build_system  # noqa: E402


def _dssp(name):
    return next(f for f in dssp_files() if f.name.startswith(name))


def test_a_crystal_structure_becomes_a_system(tmp_path):
    import MDAnalysis as mda

    out = tmp_path / "prep.pdb"
    info = prepare_protein(_dssp("2cviA"), out)
    assert info["n_residues"] == 83 and info["n_chains"] == 1 and info["added_hydrogens"] > 600
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        crystal = mda.Universe(str(_dssp("2cviA"))).select_atoms("protein and name CA")
        prepared = mda.Universe(str(out)).select_atoms("name CA")
    # heavy atoms are where the crystal has them (nothing minimised here)
    np.testing.assert_allclose(prepared.positions, crystal.positions, atol=1e-3)
    pdb, system = build_system(SystemSpec(str(out), implicit_cutoff=10.0, hydrogen_mass=4.0,
                                          constraints="hbonds"))
    assert system.getNumParticles() == info["n_atoms"]
    masses = [system.getParticleMass(i)._value for i in range(system.getNumParticles())]
    h = [a.index for a in pdb.topology.atoms() if a.element.symbol == "H"]
    assert np.allclose([masses[i] for i in h], 4.0)  # hydrogen mass repartitioning


def test_missing_oxt_is_added(tmp_path):
    info = prepare_protein(_dssp("1ahsA"), tmp_path / "prep.pdb")
    assert info["added_oxt"] == 1
    text = (tmp_path / "prep.pdb").read_text()
    assert sum(1 for ln in text.splitlines() if ln.startswith("ATOM") and ln[12:16].strip() == "OXT") == 1


def test_missing_heavy_atoms_are_named(tmp_path):
    with pytest.raises(InputError, match=r"missing heavy atoms in .*ARG 275 \(CB CG CD\)"):
        prepare_protein(_dssp("2xr6A"), tmp_path / "prep.pdb")
    assert not (tmp_path / "prep.pdb").exists()


def test_a_gap_is_refused_with_both_residues(tmp_path):
    import MDAnalysis as mda

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u = mda.Universe(str(_dssp("2cviA")))
        cut = tmp_path / "gap.pdb"
        u.select_atoms(f"protein and not resid {u.residues.resids[20]}:{u.residues.resids[22]}").write(str(cut))
    with pytest.raises(InputError, match="gap in chain .* residues are missing"):
        prepare_protein(cut, tmp_path / "prep.pdb")


def test_bad_inputs(tmp_path):
    with pytest.raises(InputError, match="no such structure file"):
        prepare_protein(tmp_path / "nothing.pdb", tmp_path / "out.pdb")
    with pytest.raises(InputError, match="matches no atom"):
        prepare_protein(_dssp("2cviA"), tmp_path / "out.pdb", selection="resname XYZ")
    with pytest.raises(InputError, match="implicit_cutoff"):
        build_system(SystemSpec("x.pdb", implicit_cutoff=-1.0))
