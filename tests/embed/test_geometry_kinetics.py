"""numpy parts: dihedrals, RMSD, state labels, VAMP-2, TICA, implied timescales."""
from __future__ import annotations

import numpy as np
import pytest

from cgmolct.analysis.kinetics import (TICA, held_out_vamp2, implied_timescales, lagged_pairs,
                                       vamp2_score)
from cgmolct.embed.geometry import dihedral_quads, dihedrals, kabsch_rmsd, pairwise_distances
from cgmolct.embed.states import ala2_basins, ala2_phi_psi, closed_open
from cgmolct.errors import InputError


def test_dihedrals_match_mdanalysis_and_flip_sign_in_a_mirror():
    from MDAnalysis.lib.distances import calc_dihedrals

    x = np.random.default_rng(1).normal(size=(20, 4, 3))
    ours = dihedrals(x, np.array([[0, 1, 2, 3]]))[:, 0]
    ref = calc_dihedrals(x[:, 0], x[:, 1], x[:, 2], x[:, 3])
    np.testing.assert_allclose(ours, ref, atol=1e-6)
    mirror = dihedrals(x * np.array([1, 1, -1]), np.array([[0, 1, 2, 3]]))[:, 0]
    np.testing.assert_allclose(mirror, -ours, atol=1e-6)


def test_quads_of_a_branched_chain():
    q = dihedral_quads(np.array([[0, 1], [1, 2], [2, 3], [3, 4], [2, 5]]), 6)
    assert q.tolist() == [[0, 1, 2, 3], [0, 1, 2, 5], [1, 2, 3, 4], [4, 3, 2, 5]]
    assert dihedral_quads(np.array([[0, 1], [1, 2]]), 3).shape == (0, 4)


def test_kabsch_rmsd_rotation_free_and_mirror_sensitive():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(8, 3))
    r, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    r *= np.linalg.det(r)
    assert kabsch_rmsd(a, a @ r.T + 4.0) < 1e-6
    assert kabsch_rmsd(a, a * np.array([1, 1, -1])) > 0.1
    assert pairwise_distances(a[None]).shape == (1, 28)


def test_ala2_labels(ala2):
    pp = ala2_phi_psi(ala2)
    assert pp.shape == (11, 2) and np.all(np.abs(pp) <= 180)
    lab = ala2_basins(ala2)
    phi, psi = pp[:, 0], pp[:, 1]
    expect = np.where(phi >= 0, 2, np.where((psi > 100) | (psi < -150), 0, 1))
    assert np.array_equal(lab, expect)
    with pytest.raises(InputError):
        ala2_phi_psi(ala2.select_frames(0).__class__(np.array([6, 6]), np.zeros((1, 2, 3))))


def test_adk_closed_open_is_one_switch():
    import warnings

    from MDAnalysisTests import datafiles as mdt

    import topologies

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = topologies.build_graph(mdt.PSF, mdt.DCD, mapping="ca")
    lab = closed_open(g.positions)
    assert lab[0] == 0 and lab[-1] == 1
    assert 10 < lab.sum() < g.n_frames - 10


def _two_state_chain(n=20000, p=0.02, seed=0):
    rng = np.random.default_rng(seed)
    s = np.zeros(n, int)
    flips = rng.random(n) < p
    for t in range(1, n):
        s[t] = 1 - s[t - 1] if flips[t] else s[t - 1]
    return s


def test_vamp2_known_values():
    s = _two_state_chain()
    x = np.eye(2)[s]
    # one-hot of a 2-state chain: singular value = 1 - 2p at lag 1
    score = vamp2_score(*lagged_pairs(x[:, :1], 1))
    assert score == pytest.approx(1 + (1 - 2 * 0.02) ** 2, abs=0.01)
    noise = np.random.default_rng(3).normal(size=(5000, 3))
    assert vamp2_score(*lagged_pairs(noise, 1)) < 1.01
    assert vamp2_score(x[:-1], x[:-1]) == pytest.approx(2.0, abs=1e-3)  # identical: 1 + rank


def test_tica_matches_deeptime_and_finds_slow_coordinate():
    rng = np.random.default_rng(4)
    s = _two_state_chain(8000, 0.01)
    slow = s + 0.1 * rng.normal(size=len(s))
    data = np.column_stack([slow + rng.normal(size=len(s)) * 0.3, rng.normal(size=len(s)),
                            slow - rng.normal(size=len(s)) * 0.3])
    tica = TICA(lag=5, dim=1).fit(data)
    proj = tica.transform(data)[:, 0]
    assert abs(np.corrcoef(proj, slow)[0, 1]) > 0.9
    deeptime = pytest.importorskip("deeptime")
    ref = deeptime.decomposition.TICA(lagtime=5, dim=1).fit(data).fetch_model()
    assert tica.eigenvalues_[0] == pytest.approx(ref.singular_values[0], rel=1e-3)
    res = held_out_vamp2(data[:6000], data[6000:], lag=5, dim=1)
    assert res["vamp2_test"] > 1.5 and res["vamp2_train"] > 1.5


def test_implied_timescales_of_a_two_state_chain():
    p = 0.02
    s = _two_state_chain(40000, p)
    ts = implied_timescales(np.eye(2)[s], lags=[1, 5], dt=2.0)
    true = -2.0 / np.log(1 - 2 * p)  # lag-independent for a Markov chain, in dt units
    assert ts.shape == (2, 1)
    np.testing.assert_allclose(ts[:, 0], true, rtol=0.15)


def test_bad_inputs():
    with pytest.raises(InputError):
        lagged_pairs(np.zeros((5, 2)), 10)
    with pytest.raises(InputError):
        lagged_pairs(np.zeros((5, 2)), 0)
    with pytest.raises(InputError):
        vamp2_score(np.zeros((5, 2)), np.zeros((4, 2)))
    with pytest.raises(InputError):
        closed_open(np.zeros((1, 3, 3)))
