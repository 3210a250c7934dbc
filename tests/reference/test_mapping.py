"""Mapping reference data to CG: topologies' operator, positions by rule, summed bead forces."""
from __future__ import annotations

import numpy as np
import pytest

from cgmolct.errors import InputError
from cgmolct.reference.mapping import map_reference


def _members(cg, bead):
    return np.flatnonzero(cg.mapping.atom_to_bead == bead)


def test_backbone_five_beads_with_summed_forces(small_run):
    _, aa = small_run
    cg = map_reference(aa, "backbone")
    assert cg.n_beads == 5 and cg.n_frames == aa.n_frames
    assert cg.names.tolist() == ["C", "N", "CA", "C", "N"]
    assert cg.residue_names.tolist() == ["ACE", "ALA", "ALA", "ALA", "NME"]
    reps = [int(np.flatnonzero((aa.names == n) & (aa.residue_names == r))[0])
            for n, r in zip(cg.names, cg.residue_names)]
    np.testing.assert_array_equal(cg.positions, aa.positions[:, reps])   # slice: representative atom
    for bead in range(5):                                                  # force: sum over the bead
        expected = aa.forces[:, _members(cg, bead)].astype(np.float64).sum(axis=1)
        np.testing.assert_allclose(cg.forces[:, bead], expected, atol=2e-4)
    assert len(np.concatenate([_members(cg, b) for b in range(5)])) == 22  # every atom in one bead
    np.testing.assert_allclose(cg.labels["allatom_energy"], aa.energies)
    assert cg.energies is None and cg.provenance["force_map"] == "sum"
    assert cg.provenance["reference"]["temperature"] == 300.0
    slice_map = map_reference(aa, "backbone", force_map="slice")
    np.testing.assert_allclose(slice_map.forces, aa.forces[:, reps], atol=1e-5)
    # the net force on the molecule is kept by the summed map (no atom dropped), not by the slice
    np.testing.assert_allclose(cg.forces.sum(1), aa.forces.astype(np.float64).sum(1), atol=1e-3)


def test_heavy_ten_beads_and_round_trip(small_run, tmp_path):
    _, aa = small_run
    cg = map_reference(aa, "heavy", output=tmp_path / "heavy.npz")
    assert cg.n_beads == 10
    heavy = np.flatnonzero(aa.types > 1)
    assert sorted(cg.mapping.atom_to_bead[heavy].tolist()) == list(range(10))
    masses = aa.masses.astype(np.float64)
    for bead in range(10):
        m = _members(cg, bead)
        com = (aa.positions[:, m] * masses[m, None]).sum(1) / masses[m].sum()
        np.testing.assert_allclose(cg.positions[:, bead], com, atol=1e-4)
        np.testing.assert_allclose(cg.forces[:, bead], aa.forces[:, m].sum(1), atol=2e-4)
    import topologies

    assert topologies.CGGraph.load(tmp_path / "heavy.npz") == cg


def test_bad_mapping_inputs(small_run):
    _, aa = small_run
    with pytest.raises(InputError, match="unknown mapping"):
        map_reference(aa, "martini")
    with pytest.raises(InputError, match="force map"):
        map_reference(aa, "backbone", force_map="mean")
    cg = map_reference(aa, "backbone")
    with pytest.raises(InputError, match="all-atom"):
        map_reference(cg, "backbone")
    with pytest.raises(InputError, match="no forces"):
        map_reference(aa._replace(forces=None), "backbone")
