"""BAOAB physics on harmonic systems: NVE energy conservation, equipartition, units."""
from __future__ import annotations

import math

import numpy as np
import pytest

from cgmolct.errors import InputError
from cgmolct.simulate import ACCELERATION, Simulation, baoab_coefficients
from cgmolct.units import KB_KCAL_PER_MOL_K

from .cells import HarmonicWells
from .helpers import base_positions, chain_graph


def test_coefficients_units():
    c = baoab_coefficients(0.002, 1.0, 300.0, np.array([12.0, 100.0]))
    assert c["c1"] == pytest.approx(math.exp(-0.002))
    # sqrt(kT/m) in Å/ps: kT = 0.596 kcal/mol, × 418.4 amu Å²/ps² per kcal/mol
    assert c["thermal"][0] == pytest.approx(math.sqrt(KB_KCAL_PER_MOL_K * 300 * 418.4 / 12.0))
    assert c["half_kick"][1] == pytest.approx(0.001 * ACCELERATION / 100.0)
    assert baoab_coefficients(0.002, 0.0, 300.0, [1.0])["sigma"][0] == 0.0
    for bad in (dict(dt=0.0), dict(friction=-1.0), dict(temperature=0.0), dict(masses=[1.0, 0.0])):
        kw = {**dict(dt=0.002, friction=1.0, temperature=300.0, masses=[1.0, 2.0]), **bad}
        with pytest.raises(InputError):
            baoab_coefficients(**kw)


def _total_energy(sim: Simulation) -> np.ndarray:
    st = sim.get_state()
    kinetic, _ = sim.kinetic(st.velocities)
    return st.potential.astype(np.float64) + kinetic


def test_friction_zero_conserves_energy():
    """γ = 0 is velocity Verlet: total energy fluctuates by O((ωΔt)²) and does not drift."""
    g = chain_graph(5)
    wells = HarmonicWells(base_positions(g), k=2.0, bonds=g.bonds, k_bond=5.0)
    sim = Simulation(None, g, priors=wells, n_replicas=4, dt=0.002, friction=0.0,
                     temperature=300.0, seed=3, steps_per_call=50)
    totals = [_total_energy(sim)]
    for _ in range(20):                       # 1,000 steps = 2 ps ≈ 3 well periods
        sim.advance(50)
        totals.append(_total_energy(sim))
    totals = np.array(totals)
    scale = np.abs(totals[0]).mean()
    assert scale > 1.0                        # a few kcal/mol of thermal energy per replica
    spread = (totals.max(0) - totals.min(0)) / np.abs(totals[0])
    assert spread.max() < 5e-3, spread
    drift = np.abs(totals[-5:].mean(0) - totals[:5].mean(0)) / np.abs(totals[0])
    assert drift.max() < 2e-3, drift


def test_equipartition_with_friction():
    """Harmonic wells at 300 K: <T_kin> and <E_pot> = 3N/2 kT within a few %."""
    g = chain_graph(5)
    wells = HarmonicWells(base_positions(g), k=2.0)
    sim = Simulation(None, g, priors=wells, n_replicas=64, dt=0.002, friction=10.0,
                     temperature=300.0, seed=11, steps_per_call=50)
    sim.advance(500)                          # 1 ps equilibration (relaxation ~0.15 ps)
    temps, pots = [], []
    for _ in range(30):                       # 30 samples 0.1 ps apart
        sim.advance(50)
        st = sim.get_state()
        temps.append(sim.kinetic(st.velocities)[1].mean())
        pots.append(st.potential.mean())
    kt = KB_KCAL_PER_MOL_K * 300.0
    assert np.mean(temps) == pytest.approx(300.0, rel=0.03)
    assert np.mean(pots) == pytest.approx(1.5 * 5 * kt, rel=0.05)


def test_parallel_tempering_samples_each_temperature():
    """Harmonic wells on a 250–400 K ladder: swaps happen; <E_pot> at each bath = 3N/2 kT."""
    g = chain_graph(5)
    wells = HarmonicWells(base_positions(g), k=2.0)
    ladder = [250.0, 300.0, 350.0, 400.0]
    sim = Simulation(None, g, priors=wells, n_replicas=4, dt=0.002, friction=10.0,
                     temperature=ladder, exchange_every=10, seed=2, steps_per_call=10)
    sim.advance(400)
    pots = {t: [] for t in ladder}
    for _ in range(300):
        sim.advance(10)
        st = sim.get_state()
        for r, t in enumerate(sim.temperatures):
            pots[float(t)].append(st.potential[r])
    assert sorted(sim.temperatures) == ladder                 # still a permutation of the ladder
    acc = sim.exchange_acceptance
    assert len(acc) == 3 and min(acc) > 0.05, acc
    for t in ladder:
        assert np.mean(pots[t]) == pytest.approx(1.5 * 5 * KB_KCAL_PER_MOL_K * t, rel=0.12), t
    with pytest.raises(InputError, match="distinct temperature"):
        Simulation(None, g, priors=wells, n_replicas=2, temperature=300.0, exchange_every=10)
