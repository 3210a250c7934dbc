"""Invariance, equivariance, padding and cutoff behaviour of every representation."""
from __future__ import annotations

import numpy as np
import pytest

ms = pytest.importorskip("mindspore")

from cgmolct.data import keys  # noqa: E402
from cgmolct.readouts import EnergyForceModel, GraphReadout, NodeReadout  # noqa: E402

from .conftest import REPRESENTATIONS, small  # noqa: E402
from .helpers import ethanol_like, inputs, make_batch, molecule_arrays, random_rotation  # noqa: E402


def energy_model(name, shift=-0.5, **kw):
    rep = small(name, **kw)
    ms.set_seed(3)
    return EnergyForceModel(rep, NodeReadout(rep.dim, scale=2.0, shift=shift))


def run(model, batch):
    e, f = model(*inputs(batch))
    return e.asnumpy().astype(np.float64), f.asnumpy().astype(np.float64)


@pytest.mark.parametrize("name", REPRESENTATIONS)
def test_rotation_translation(name):
    model = energy_model(name)
    batch = make_batch([ethanol_like(0)])
    e0, f0 = run(model, batch)
    h0 = model.representation(*inputs(batch)).asnumpy()
    rot = random_rotation(7)
    moved = dict(batch)
    moved[keys.POSITIONS] = (batch[keys.POSITIONS] @ rot.T + np.array([3.0, -1.0, 2.5])).astype(np.float32)
    e1, f1 = run(model, moved)
    h1 = model.representation(*inputs(moved)).asnumpy()
    assert np.abs(f0).max() > 1e-4, "forces vanish: the equivariance check would be empty"
    np.testing.assert_allclose(e1, e0, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(f1, f0 @ rot.T, rtol=1e-3, atol=2e-4 * np.abs(f0).max() + 1e-6)
    np.testing.assert_allclose(h1, h0, rtol=1e-3, atol=1e-4)
    pool = GraphReadout(h0.shape[-1], pooling="attention")
    g0 = pool(ms.Tensor(h0), ms.Tensor(batch[keys.ATOM_MASK])).asnumpy()
    g1 = pool(ms.Tensor(h1), ms.Tensor(batch[keys.ATOM_MASK])).asnumpy()
    np.testing.assert_allclose(g1, g0, rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("name", REPRESENTATIONS)
def test_permutation(name):
    model = energy_model(name)
    mol = ethanol_like(1)
    perm = np.random.default_rng(3).permutation(9)
    inv = np.argsort(perm)
    # bonds of the permuted molecule: old (a, b) → new (inv[a], inv[b])
    bonds = [(int(inv[a]), int(inv[a + 1])) for a in range(8)]
    moved = molecule_arrays(mol["types"][perm], mol["positions"][perm], bonds)
    b0, b1 = make_batch([mol]), make_batch([moved])
    e0, f0 = run(model, b0)
    e1, f1 = run(model, b1)
    h0 = model.representation(*inputs(b0)).asnumpy()
    h1 = model.representation(*inputs(b1)).asnumpy()
    np.testing.assert_allclose(e1, e0, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(f1[0], f0[0][perm], rtol=1e-3, atol=1e-5)
    np.testing.assert_allclose(h1[0], h0[0][perm], rtol=1e-3, atol=1e-4)
    assert not np.allclose(h0[0], h0[0][perm], atol=1e-3), "features identical for all beads"


@pytest.mark.parametrize("name", REPRESENTATIONS)
def test_forces_are_finite_differences(name):
    model = energy_model(name, shift=0.0)
    mol = ethanol_like(2)
    h = 1e-2
    probes = ((0, 0), (4, 2), (8, 1))
    # one batch: the molecule, then each probe displaced by +h and -h
    moved = [mol]
    for atom, axis in probes:
        for sign in (1, -1):
            pos = mol["positions"].copy()
            pos[atom, axis] += sign * h
            moved.append(dict(mol, positions=pos))
    e, f = run(model, make_batch(moved))
    noise = 4 * 6e-8 * max(abs(e[0]), 1.0) / h   # float32 rounding of E, amplified by 1/h
    for k, (atom, axis) in enumerate(probes):
        fd = -(e[1 + 2 * k] - e[2 + 2 * k]) / (2 * h)
        assert fd == pytest.approx(f[0, atom, axis], rel=3e-2, abs=3e-3 * np.abs(f[0]).max() + noise)


@pytest.mark.parametrize("name", REPRESENTATIONS)
def test_alone_equals_padded_in_bigger_batch(name):
    model = energy_model(name)
    small_mol = ethanol_like(4, n=6)
    alone = make_batch([small_mol])
    mixed = make_batch([ethanol_like(5, n=11), small_mol], n_cap=14, k_cap=16, r_cap=6)
    e0, f0 = run(model, alone)
    e1, f1 = run(model, mixed)
    np.testing.assert_allclose(e1[1], e0[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(f1[1, :6], f0[0], rtol=1e-4, atol=1e-5)
    assert np.all(f1[1, 6:] == 0)
    h0 = model.representation(*inputs(alone)).asnumpy()
    h1 = model.representation(*inputs(mixed)).asnumpy()
    np.testing.assert_allclose(h1[1, :6], h0[0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", REPRESENTATIONS)
def test_finite_gradients_on_padded_batch(name):
    from cgmolct.readouts import ForceMatchingLoss

    model = energy_model(name)
    batch = make_batch([ethanol_like(6), ethanol_like(7, n=3)], n_cap=12, k_cap=12)
    loss = ForceMatchingLoss(model, force_weight=1.0, energy_weight=0.1)
    grad_fn = ms.jit(ms.value_and_grad(loss, None, model.trainable_params()))
    from cgmolct.models import as_model_inputs
    value, grads = grad_fn(*as_model_inputs(batch), ms.Tensor(np.ones(2, np.float32)),
                           ms.Tensor(np.ones((2, 12, 3), np.float32)))
    assert np.isfinite(float(value.asnumpy()))
    norms = [np.abs(g.asnumpy()).max() for g in grads]
    assert all(np.isfinite(norms))
    assert max(norms) > 0


@pytest.mark.parametrize("name", ["molct", "niu", "schnet", "physnet"])
def test_energy_continuous_across_cutoff(name):
    """A bead crossing r_cut leaves the neighbour list: the energy must not jump."""
    model = energy_model(name)
    r_cut = model.representation.r_cut
    base = np.array([[0, 0, 0], [1.1, 0, 0], [-0.4, 1.0, 0]], float)

    def energy(distance, listed):
        pos = np.vstack([base, [[0.0, 0.0, distance]]])
        mol = molecule_arrays([6, 8, 1, 7], pos, [(0, 1), (0, 2)])
        batch = make_batch([mol])
        if not listed:  # what a cutoff neighbour list gives beyond r_cut
            for i in range(4):
                for k, j in enumerate(batch[keys.NEIGHBOURS][0, i]):
                    if {i, int(j)} & {3} and i != j and np.linalg.norm(pos[i] - pos[j]) > r_cut:
                        batch[keys.NEIGHBOUR_MASK][0, i, k] = False
        return run(model, batch)[0][0]

    inside = energy(r_cut - 1e-3, True)
    outside = energy(r_cut + 1e-3, False)
    far = energy(r_cut - 2.0, True)
    assert abs(inside - far) > 10 * abs(inside - outside), "the bead has no effect to compare with"
    assert inside == pytest.approx(outside, abs=1e-4)
