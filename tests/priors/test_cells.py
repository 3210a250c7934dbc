"""Prior cells: energies against numpy, mirror images, forces against finite differences, delta forces."""
from __future__ import annotations

import numpy as np
import pytest

ms = pytest.importorskip("mindspore")

from cgmolct.analysis.geometry import bond_angles, bond_lengths, dihedral_angles  # noqa: E402
from cgmolct.errors import DataError, InputError  # noqa: E402
from cgmolct.priors import (FourierDihedrals, HarmonicAngles, HarmonicBonds, PriorFitter,  # noqa: E402
                            PriorSet, Repulsion, prior_forces, subtract_prior_forces)

from .helpers import alanine_like, graph_of  # noqa: E402

T = 300.0
BONDS = np.array([[0, 1], [1, 2], [2, 3], [3, 4]])
ANGLES = np.array([[0, 1, 2], [1, 2, 3], [2, 3, 4]])
DIHEDRALS = np.array([[0, 1, 2, 3], [1, 2, 3, 4]])


@pytest.fixture(scope="module")
def data():
    pos, *_ = alanine_like(3000, seed=11)
    return pos


@pytest.fixture(scope="module")
def fitted(data):
    return PriorFitter(temperature=T).fit(graph_of(data)).fetch_model()


def _energy(cell, pos):
    return cell(ms.Tensor(np.asarray(pos, dtype=np.float32))).asnumpy().astype(np.float64)


def test_fitter_builds_the_backbone_terms(fitted):
    assert fitted.term_names == ["bonds", "angles", "dihedrals", "repulsion"]
    assert fitted.term("dihedrals").indices.tolist() == DIHEDRALS.tolist()
    assert fitted.term("repulsion").indices.tolist() == [[0, 4]]
    assert fitted.n_beads == 5 and fitted.temperature == T
    # the synthetic chain was drawn with these force constants (kcal/mol/Å², kcal/mol/rad²)
    assert fitted.term("bonds").params["k"] == pytest.approx([300, 250, 280, 320], rel=0.15)
    assert fitted.term("angles").params["theta0"] == pytest.approx([2.13, 1.94, 2.03], abs=0.02)
    assert "ALA2:CA" in fitted.table()


def test_energies_equal_numpy(data):
    rng = np.random.default_rng(0)
    pos = data[:16]
    kb, r0 = rng.uniform(50, 300, 4), rng.uniform(1.2, 1.6, 4)
    ka, t0 = rng.uniform(20, 80, 3), rng.uniform(1.8, 2.2, 3)
    kc, ks = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    sigma = np.array([3.0])
    cells = [HarmonicBonds(BONDS, kb, r0), HarmonicAngles(ANGLES, ka, t0),
             FourierDihedrals(DIHEDRALS, kc, ks), Repulsion([[0, 4]], sigma, [0.6], exponent=6)]
    r = bond_lengths(pos, BONDS)
    th = bond_angles(pos, ANGLES)
    phi = dihedral_angles(pos, DIHEDRALS)[..., None] * np.arange(1, 4)
    expected = [(0.5 * kb * (r - r0) ** 2).sum(1), (0.5 * ka * (th - t0) ** 2).sum(1),
                (kc * np.cos(phi) + ks * np.sin(phi)).sum((1, 2)),
                (0.6 * (3.0 / bond_lengths(pos, [[0, 4]])) ** 6).sum(1)]
    for cell, e in zip(cells, expected):
        assert np.allclose(_energy(cell, pos), e, rtol=2e-4, atol=2e-3), cell.KIND
    assert np.allclose(_energy(PriorSet(cells, n_beads=5), pos), sum(expected), rtol=2e-4, atol=5e-3)
    assert np.allclose(_energy(PriorSet([]), pos), 0.0)


def test_dihedral_prior_tells_mirror_images_apart(fitted, data):
    """(φ, ψ) vs (−φ, −ψ): same distances, different dihedral prior energy when the data is asymmetric."""
    pos = data[:64]
    mirror = pos * np.array([-1.0, 1.0, 1.0])
    assert np.allclose(dihedral_angles(mirror, DIHEDRALS), -dihedral_angles(pos, DIHEDRALS))
    for name in ("bonds", "angles", "repulsion"):
        assert np.allclose(_energy(fitted.term(name), pos), _energy(fitted.term(name), mirror), rtol=1e-4, atol=1e-4)
    e, e_mirror = _energy(fitted.term("dihedrals"), pos), _energy(fitted.term("dihedrals"), mirror)
    # the data has αR/β but no αL: the mirror (αL-like) frames cost several kT more
    assert np.mean(e_mirror - e) > 5 * 0.0019872041 * T
    assert np.all(e_mirror > e)


def test_prior_forces_equal_finite_differences(fitted, data):
    pos = data[:3].astype(np.float64)
    energy, forces = prior_forces(fitted, pos)
    assert np.allclose(energy, _energy(fitted, pos), rtol=1e-5, atol=1e-4)
    h = 2e-3
    shifted = []
    for f in range(3):
        for i in range(5):
            for a in range(3):
                for s in (h, -h):
                    p = pos[f].copy()
                    p[i, a] += s
                    shifted.append(p)
    e = _energy(fitted, np.array(shifted)).reshape(3, 5, 3, 2)
    fd = -(e[..., 0] - e[..., 1]) / (2 * h)
    scale = np.abs(forces).max()
    assert np.abs(forces - fd).max() < 2e-3 * scale + 0.05, (forces - fd)


def test_prior_forces_chunks_and_validation(fitted, data):
    e1, f1 = prior_forces(fitted, data[:10], chunk_size=4)
    e2, f2 = prior_forces(fitted, data[:10], chunk_size=1024)
    assert np.allclose(e1, e2, rtol=1e-6) and np.allclose(f1, f2, rtol=1e-5, atol=1e-5)
    assert np.allclose(f1.sum(axis=1), 0.0, atol=1e-2)  # internal forces: no net force
    with pytest.raises(InputError, match="5 beads"):
        prior_forces(fitted, np.zeros((2, 6, 3)))
    with pytest.raises(InputError, match="chunk_size"):
        prior_forces(fitted, data[:2], chunk_size=0)


def test_subtract_prior_forces_gives_delta_forces(fitted, data):
    rng = np.random.default_rng(1)
    forces = rng.normal(size=(20, 5, 3)).astype(np.float32)
    graph = graph_of(data[:20], forces=forces)
    delta = subtract_prior_forces(graph, fitted, chunk_size=8)
    _, f_prior = prior_forces(fitted, data[:20])
    assert np.allclose(delta.forces, forces - f_prior, atol=1e-5)
    assert np.array_equal(delta.positions, graph.positions) and np.array_equal(delta.bonds, graph.bonds)
    assert delta.provenance["delta_forces"]["terms"] == fitted.term_names
    assert delta.labels["prior_energy"].shape == (20,)
    assert graph.forces is forces or np.array_equal(graph.forces, forces)  # input untouched
    with pytest.raises(DataError, match="already"):
        subtract_prior_forces(delta, fitted)
    with pytest.raises(DataError, match="no forces"):
        subtract_prior_forces(graph_of(data[:4]), fitted)


def test_constructor_errors():
    with pytest.raises(InputError, match="shape"):
        HarmonicBonds([[0, 1, 2]], [1.0], [1.0])
    with pytest.raises(InputError, match="k and r0"):
        HarmonicBonds([[0, 1]], [-1.0], [1.0])
    with pytest.raises(InputError, match="repeats"):
        HarmonicAngles([[0, 1, 1]], [1.0], [1.0])
    with pytest.raises(InputError, match="unique"):
        PriorSet([HarmonicBonds([[0, 1]], [1.0], [1.0]), HarmonicBonds([[1, 2]], [1.0], [1.0])])
    with pytest.raises(InputError, match="bead 4"):
        PriorSet([HarmonicBonds([[0, 4]], [1.0], [1.0])], n_beads=3)
    with pytest.raises(InputError, match="unknown prior terms"):
        PriorFitter(terms=["bonds", "torsions"])
    with pytest.raises(InputError, match="fit"):
        PriorFitter().fetch_model()


def test_with_priors_adds_the_prior_energy_and_forces(fitted, data):
    from mindspore import nn

    from cgmolct.priors import WithPriors
    from cgmolct.readouts.forces import Forces

    class Spring(nn.Cell):
        """E = Σ_i c |x_i|² (a stand-in network potential with an extra input)."""

        def construct(self, positions, c):
            return c * (positions * positions).sum(-1).sum(-1)

    pos = data[:4].astype(np.float32)
    forces = ms.jit(Forces(WithPriors(Spring(), fitted)).construct)
    e, f = forces(ms.Tensor(pos), ms.Tensor(0.5, ms.float32))
    e_prior, f_prior = prior_forces(fitted, pos)
    assert np.allclose(e.asnumpy(), e_prior + 0.5 * (pos.astype(np.float64) ** 2).sum((1, 2)), rtol=1e-5)
    assert np.allclose(f.asnumpy(), f_prior - pos, rtol=1e-4, atol=1e-4)
    with pytest.raises(InputError, match="PriorSet"):
        WithPriors(Spring(), fitted.term("bonds"))


def test_fit_pools_several_graphs_of_one_system(data):
    a, b = graph_of(data[:1500]), graph_of(data[1500:])
    pooled = PriorFitter(temperature=T).fit([a, b]).fetch_model()
    whole = PriorFitter(temperature=T).fit(graph_of(data)).fetch_model()
    for name in pooled.term_names:
        for key, value in pooled.term(name).params.items():
            assert np.allclose(value, whole.term(name).params[key], rtol=1e-6, atol=1e-6)
    from topologies import CGGraph

    other = CGGraph([6, 7, 6], data[:10, :3], bonds=[[0, 1], [1, 2]])
    with pytest.raises(InputError, match="same system"):
        PriorFitter().fit([a, other])
