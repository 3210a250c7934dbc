"""FES, Jensen–Shannon divergence, noise floor and basin populations on hand-made angles."""
from __future__ import annotations

import numpy as np
import pytest

from cgmolct.analysis import (BASINS, FreeEnergy, angle_histogram, assign_basins, basin_populations,
                              free_energy_surface, half_split_js, js_divergence)
from cgmolct.errors import InputError


def test_js_identical_is_zero_and_disjoint_is_ln2():
    rng = np.random.default_rng(0)
    h = rng.integers(0, 10, size=(60, 60))
    assert js_divergence(h, h) == 0.0
    assert js_divergence(h, 3 * h) == pytest.approx(0.0, abs=1e-15)  # counts are normalised
    p, q = np.zeros((60, 60)), np.zeros((60, 60))
    p[:30] = 1.0
    q[30:] = 2.0
    assert js_divergence(p, q) == pytest.approx(np.log(2), rel=1e-12)
    a, b = rng.random((60, 60)), rng.random((60, 60))
    assert js_divergence(a, b) == pytest.approx(js_divergence(b, a))
    assert 0 < js_divergence(a, b) < np.log(2)
    # natural log, no pseudocounts: P = (1, 0), Q = (½, ½) → ½ ln(4/3) + ½ (½ ln(2/3) + ½ ln 2)
    expected = 0.5 * np.log(1 / 0.75) + 0.5 * (0.5 * np.log(0.5 / 0.75) + 0.5 * np.log(0.5 / 0.25))
    assert js_divergence([1, 0], [1, 1]) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(InputError, match="shapes"):
        js_divergence(np.ones(3), np.ones(4))
    with pytest.raises(InputError, match="empty"):
        js_divergence(np.zeros(3), np.ones(3))


def test_histogram_is_periodic_and_half_open():
    h = angle_histogram([-180.0, 180.0, 179.99, 0.0, 540.0], [0.0, 0.0, 0.0, -180.0, 0.0])
    assert h.shape == (60, 60) and h.sum() == 5
    assert h[0, 30] == 3          # −180°, +180° and 540° share the first bin
    assert h[59, 30] == 1 and h[30, 0] == 1
    with pytest.raises(InputError, match="NaN"):
        angle_histogram([np.nan], [0.0])


def test_free_energy_surface_values():
    x = np.array([-90.0] * 30 + [90.0] * 10)
    y = np.zeros(40)
    fes = free_energy_surface(x, y, temperature=300.0)
    f = fes["free_energy"]
    kt = 0.0019872041 * 300.0
    i, j, k = 15, 45, 30
    assert f[i, k] == 0.0 and f[j, k] == pytest.approx(kt * np.log(3.0))
    assert np.isinf(f).sum() == 60 * 60 - 2
    assert fes["probability"].sum() == pytest.approx(1.0) and len(fes["edges"]) == 61


def test_basin_assignment_on_hand_made_angles():
    phi = [-60, -60, -60, -60, -60, -60, 0, 60, 179, -180, -0.001]
    psi = [150, 101, 100, -151, -150, -40, 0, -40, 150, 180, 0]
    assert [BASINS[c] for c in assign_basins(phi, psi)] == [
        "beta_C7eq", "beta_C7eq", "alphaR", "beta_C7eq", "alphaR", "alphaR", "alphaL", "alphaL",
        "alphaL", "beta_C7eq", "alphaR"]
    pops = basin_populations([-60, -60, -60, 60], [150, -40, -40, 0], n_blocks=2)
    assert pops["populations"] == {"beta_C7eq": 0.25, "alphaR": 0.5, "alphaL": 0.25}
    assert "block bootstrap" in pops["method"]


def test_block_bootstrap_error_sees_time_correlation():
    rng = np.random.default_rng(1)
    n = 20_000
    iid = np.where(rng.random(n) < 0.3, -60.0, 60.0)
    sticky = np.repeat(np.where(rng.random(n // 500) < 0.3, -60.0, 60.0), 500)  # runs of 500 frames
    e_iid = basin_populations(iid, np.zeros(n), n_blocks=20, seed=2)["errors"]["alphaL"]
    e_sticky = basin_populations(sticky, np.zeros(n), n_blocks=20, seed=2)["errors"]["alphaL"]
    assert e_iid == pytest.approx(np.sqrt(0.3 * 0.7 / n), rel=0.3)
    assert e_sticky > 5 * e_iid


def test_half_split_noise_floor():
    rng = np.random.default_rng(2)
    small = half_split_js(rng.uniform(-180, 180, 2_000), rng.uniform(-180, 180, 2_000))
    large = half_split_js(rng.uniform(-180, 180, 200_000), rng.uniform(-180, 180, 200_000))
    assert 0 < large < small                 # the floor shrinks with more sampling
    x = np.concatenate([rng.normal(-90, 10, 1000), rng.normal(90, 10, 1000)])
    assert half_split_js(x, np.zeros(2000)) > 0.6   # two halves in different basins: ≈ ln 2
    h = angle_histogram(x[:1000], np.zeros(1000)), angle_histogram(x[1000:], np.zeros(1000))
    assert half_split_js(x, np.zeros(2000)) == js_divergence(*h)


def test_free_energy_comparison_and_png(tmp_path):
    rng = np.random.default_rng(3)
    ref = (rng.normal(-70, 20, 4000), rng.normal(140, 20, 4000))
    same = (rng.normal(-70, 20, 4000), rng.normal(140, 20, 4000))
    mirror = (-ref[0], -ref[1])
    close = FreeEnergy(ref, same, n_resamples=50).run()
    far = FreeEnergy(ref, mirror, n_resamples=50).run()
    assert close.results.js < far.results.js and far.results.js > 0.6
    assert far.results.max_population_difference > 0.99
    summary = far.summary()
    assert summary["reference"]["populations_percent"]["beta_C7eq"] > 90
    assert summary["cg"]["populations_percent"]["alphaL"] > 99
    assert summary["js_noise_floor"] == close.results.js_noise_floor
    png = close.plot(tmp_path / "fes.png")
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    alone = FreeEnergy(ref).run()
    assert alone.results.js is None and alone.results.cg is None
    alone.plot(tmp_path / "ref.png")
    with pytest.raises(InputError, match="same number"):
        FreeEnergy((np.zeros(3), np.zeros(4)))
