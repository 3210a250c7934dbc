"""Boltzmann inversion (numpy): known harmonic and Fourier parameters are recovered from samples."""
from __future__ import annotations

import numpy as np
import pytest

from cgmolct.errors import DataError, InputError
from cgmolct.priors import statistics as st
from cgmolct.priors import terms

from .helpers import KB, alanine_like, sample_angles, sample_harmonic

T = 300.0


def test_bond_inversion_with_r2_jacobian_recovers_k_and_r0():
    rng = np.random.default_rng(1)
    r = sample_harmonic(rng, 200_000, 40.0, 1.5, T, jacobian=lambda x: x * x)
    k, r0 = st.fit_harmonic(r, T, jacobian="r2")
    assert k[0] == pytest.approx(40.0, rel=0.03)
    assert r0[0] == pytest.approx(1.5, abs=0.003)
    # without the Jacobian the rest length is biased outwards: the r² factor matters
    _, r0_plain = st.fit_harmonic(r, T, jacobian="none")
    assert r0_plain[0] - 1.5 > 5 * abs(r0[0] - 1.5)


def test_angle_inversion_with_sin_jacobian_recovers_k_and_theta0():
    rng = np.random.default_rng(2)
    theta = sample_harmonic(rng, 200_000, 8.0, 2.6, T, jacobian=np.sin, lo=0.0, hi=np.pi)
    k, t0 = st.fit_harmonic(theta, T, jacobian="sin")
    assert k[0] == pytest.approx(8.0, rel=0.05)
    assert t0[0] == pytest.approx(2.6, abs=0.01)
    _, t0_plain = st.fit_harmonic(theta, T, jacobian="none")
    assert abs(t0_plain[0] - 2.6) > 3 * abs(t0[0] - 2.6)


def test_fourier_inversion_recovers_an_asymmetric_potential():
    def u(phi):
        return 1.0 * np.cos(phi) + 0.8 * np.sin(phi) + 0.5 * np.cos(2 * phi) - 0.3 * np.sin(2 * phi)

    rng = np.random.default_rng(3)
    phi = sample_angles(rng, 300_000, u, T)
    k_cos, k_sin = st.fit_fourier(phi, T, n_terms=3)
    assert k_cos[0] == pytest.approx([1.0, 0.5, 0.0], abs=0.05)
    assert k_sin[0] == pytest.approx([0.8, -0.3, 0.0], abs=0.05)


def test_fourier_fit_keeps_unsampled_regions_high():
    rng = np.random.default_rng(4)
    phi = np.radians(rng.normal(-70, 15, 20_000))   # only φ < 0 sampled
    k_cos, k_sin = st.fit_fourier(phi, T, n_terms=6)
    grid = np.radians(np.arange(-180, 180, 5.0))[:, None] * np.arange(1, 7)
    e = (k_cos[0] * np.cos(grid) + k_sin[0] * np.sin(grid)).sum(-1)
    deg = np.arange(-180, 180, 5.0)
    assert e[(deg > 30) & (deg < 150)].min() - e.min() > 5 * KB * T


def test_fit_errors_are_ours():
    with pytest.raises(DataError, match="frame"):
        st.fit_harmonic(np.ones((1, 2)), T)
    with pytest.raises(DataError, match="equal"):
        st.fit_harmonic(np.ones((10, 1)), T)
    with pytest.raises(InputError, match="temperature"):
        st.fit_harmonic(np.random.rand(10, 1), -5.0)
    with pytest.raises(InputError, match="jacobian"):
        st.fit_harmonic(np.random.rand(10, 1), T, jacobian="r3")
    with pytest.raises(DataError, match="NaN"):
        st.fit_fourier(np.array([[0.1], [np.nan]]), T)


def test_terms_of_the_backbone_chain():
    bonds = [[0, 1], [1, 2], [2, 3], [3, 4]]
    assert terms.angle_triplets(bonds, 5).tolist() == [[0, 1, 2], [1, 2, 3], [2, 3, 4]]
    assert terms.dihedral_quadruplets(bonds, 5).tolist() == [[0, 1, 2, 3], [1, 2, 3, 4]]
    assert terms.improper_quadruplets(bonds, 5).shape == (0, 4)
    assert terms.nonbonded_pairs(bonds, 5, exclusion=3).tolist() == [[0, 4]]
    assert terms.nonbonded_pairs(bonds, 5, exclusion=2).tolist() == [[0, 3], [0, 4], [1, 4]]
    # a branch point (CA with N, C, CB) has one improper; two molecules are all non-bonded
    branched = [[0, 1], [1, 2], [1, 3]]
    assert terms.improper_quadruplets(branched, 4).tolist() == [[0, 2, 1, 3]]
    assert terms.nonbonded_pairs([[0, 1]], 4, exclusion=3).tolist() == [[0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]
    with pytest.raises(InputError, match="bond"):
        terms.angle_triplets([[0, 7]], 5)


def test_synthetic_chain_has_the_internal_coordinates_it_was_built_from():
    from cgmolct.analysis.geometry import bond_angles, bond_lengths, dihedral_angles

    pos, b, a, d = alanine_like(200, seed=5)
    assert np.allclose(bond_lengths(pos, [[0, 1], [1, 2], [2, 3], [3, 4]]), b)
    assert np.allclose(bond_angles(pos, [[0, 1, 2], [1, 2, 3], [2, 3, 4]]), a)
    diff = dihedral_angles(pos, [[0, 1, 2, 3], [1, 2, 3, 4]]) - d
    assert np.allclose(np.mod(diff + np.pi, 2 * np.pi) - np.pi, 0.0, atol=1e-9)


def test_repulsion_sigma_is_the_closest_approach_capped():
    from cgmolct.priors import Repulsion

    pos = np.zeros((3, 3, 3))
    pos[:, 1, 0] = [5.0, 3.0, 4.0]     # pair (0, 1): closest 3 Å
    pos[:, 2, 1] = [20.0, 30.0, 25.0]  # pair (0, 2): closest 20 Å
    pytest.importorskip("mindspore")
    rep = Repulsion.from_statistics(pos, [[0, 1], [0, 2]], T)
    assert rep.params["sigma"] == pytest.approx([3.0, 4.0])
    assert rep.params["epsilon"] == pytest.approx([KB * T] * 2)
    assert Repulsion.from_statistics(pos, [[0, 1], [0, 2]], T, max_sigma=None).params["sigma"] == pytest.approx([3.0, 20.0])
    with pytest.raises(InputError, match="max_sigma"):
        Repulsion.from_statistics(pos, [[0, 1]], T, max_sigma=-1.0)
