"""Contact labels and Q on real structures against brute-force MDAnalysis computations."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from cgmolct.contacts.labels import (contact_frequency, contact_maps, read_structure,
                                     residue_distances, separation_class_mask, separation_matrix)
from cgmolct.contacts.native import native_contacts_q
from cgmolct.contacts.sources import mdanalysis_data
from cgmolct.errors import InputError

mda = pytest.importorskip("MDAnalysis")
DATA = mdanalysis_data()


def _brute(universe, frame: int = 0):
    """CA, CB (CA for Gly) and closest-heavy residue distances with plain numpy."""
    universe.trajectory[frame]
    prot = universe.select_atoms("protein")
    res = prot.residues
    n = len(res)
    ca = np.array([r.atoms.select_atoms("name CA").positions[0] for r in res], float)
    cb = np.array([(r.atoms.select_atoms("name CB") or r.atoms.select_atoms("name CA")).positions[0]
                   for r in res], float)
    heavy = [r.atoms.select_atoms("not name H* and not type H").positions.astype(float) for r in res]
    closest = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            d = np.sqrt(((heavy[i][:, None] - heavy[j][None]) ** 2).sum(-1)).min()
            closest[i, j] = closest[j, i] = d
    dist = lambda x: np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))  # noqa: E731
    return dist(ca), dist(cb), closest


@pytest.fixture(scope="module")
def cobrotoxin():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u = mda.Universe(str(DATA / "cobrotoxin.pdb"))
        s = read_structure(DATA / "cobrotoxin.pdb")
    return u, s


def test_definitions_match_brute_force(cobrotoxin):
    u, s = cobrotoxin
    ca, cb, closest = _brute(u)
    assert s.n_residues == len(ca) == 62
    np.testing.assert_allclose(residue_distances(s, "ca")[0], ca, atol=1e-3)
    np.testing.assert_allclose(residue_distances(s, "cb")[0], cb, atol=1e-3)
    got = residue_distances(s, "closest-heavy")[0]
    near = closest < 20.0
    np.testing.assert_allclose(got[near], closest[near], atol=1e-3)
    off = ~np.eye(len(ca), dtype=bool)
    for name, ref, cut in (("ca", ca, 8.0), ("cb", cb, 8.0), ("closest-heavy", closest, 4.5)):
        maps = contact_maps(s, name)
        assert maps.shape == (1, 62, 62)
        np.testing.assert_array_equal(maps[0][off], (ref < cut)[off])
        assert not maps[0].diagonal().any()
        np.testing.assert_array_equal(maps[0], maps[0].T)


def test_trajectory_frequencies_are_frame_means():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = read_structure(DATA / "adk.psf", DATA / "adk_dims.dcd", frames=slice(0, 60, 20))
        u = mda.Universe(str(DATA / "adk.psf"), str(DATA / "adk_dims.dcd"))
    assert s.n_frames == 3
    maps = contact_maps(s, "ca")
    for k, frame in enumerate((0, 20, 40)):
        u.trajectory[frame]
        x = u.select_atoms("protein and name CA").positions.astype(float)
        ref = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1)) < 8.0
        np.fill_diagonal(ref, False)
        np.testing.assert_array_equal(maps[k], ref)
    freq = contact_frequency(maps)
    np.testing.assert_allclose(freq, maps.mean(0), atol=1e-6)
    assert 0 < freq[(freq > 0) & (freq < 1)].size  # AdK moves: some contacts change


def test_native_q_is_one_and_drops_when_perturbed(cobrotoxin):
    _, s = cobrotoxin
    q = native_contacts_q(s)
    assert q.shape == (1,) and q[0] == pytest.approx(1.0, abs=1e-4)
    assert native_contacts_q(s, level="ca")[0] == pytest.approx(1.0, abs=1e-4)
    # 30 % expansion stays within the tolerance λ = 1.8; doubling all distances does not
    import copy

    far = copy.copy(s)
    far.atom_positions = s.atom_positions * 1.3
    assert native_contacts_q(s, far)[0] > 0.95
    far.atom_positions = s.atom_positions * 2.0
    assert native_contacts_q(s, far)[0] < 0.1


def test_separation_classes(cobrotoxin):
    _, s = cobrotoxin
    sep = separation_matrix(s.graph)
    assert sep[0, 7] == 7 and sep[5, 5] == 0
    short = separation_class_mask(sep, "short")
    assert short[0, 6] and short[0, 11] and not short[0, 12] and not short[6, 0]
    assert separation_class_mask(sep, "medium")[0, 23] and separation_class_mask(sep, "long")[0, 24]
    with pytest.raises(InputError):
        separation_class_mask(sep, "very-long")


def test_ca_only_input_has_no_heavy_atom_labels(tmp_path, cobrotoxin):
    _, s = cobrotoxin
    path = tmp_path / "ca.npz"
    s.graph.save(path)
    ca_only = read_structure(path)
    assert not ca_only.has_atoms
    assert contact_maps(ca_only, "ca").shape == (1, 62, 62)
    with pytest.raises(InputError, match="heavy atoms"):
        contact_maps(ca_only, "closest-heavy")
    with pytest.raises(InputError, match="unknown contact definition"):
        contact_maps(s, "cα")
