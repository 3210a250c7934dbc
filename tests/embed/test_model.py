"""EmbeddingModel invariances, mirror sensitivity, and the MindSpore VAMP-2 vs numpy."""
from __future__ import annotations

import mindspore as ms
import numpy as np
import pytest
from mindspore import Tensor

from cgmolct.analysis.kinetics import vamp2_score
from cgmolct.embed import EMBED_INPUTS, FrameData, PairData, vamp2
from cgmolct.embed.model import EmbeddingModel
from cgmolct.embed.objectives import MetricLoss
from cgmolct.errors import ModelError
from cgmolct.models.molct import MolCT
from cgmolct.readouts.graph import GraphReadout


def _model(use_dihedrals=True, n_states=0, pooling="mean"):
    ms.set_seed(1)
    rep = MolCT(dim=8, n_heads=2, n_interactions=1, r_cut=10.0)
    return EmbeddingModel(rep, GraphReadout(8, pooling, dim_out=4, hidden=(8,)),
                          n_states=n_states, use_dihedrals=use_dihedrals)


def _embed(model, graph):
    batch = FrameData(graph, cutoff=10.0).batch(np.arange(graph.n_frames))
    out = model(*[batch[k] for k in EMBED_INPUTS])
    return (out[0] if isinstance(out, tuple) else out).asnumpy()


def _moved(graph, positions):
    g = graph.select_frames(np.arange(graph.n_frames))
    g.positions = np.asarray(positions, np.float32)
    return g


def _permuted(graph, perm):
    from topologies.graph import CGGraph

    inv = np.argsort(perm)
    return CGGraph(graph.types[perm], graph.positions[:, perm], names=graph.names[perm],
                   residue_ids=graph.residue_ids[perm], residue_names=graph.residue_names[perm],
                   chain_position=graph.chain_position[perm], polymer=graph.polymer[perm],
                   segment_index=graph.segment_index[perm], bonds=inv[graph.bonds],
                   bond_types=graph.bond_types)


@pytest.mark.parametrize("pooling", ["mean", "attention"])
def test_rotation_translation_permutation_invariance(ala2, pooling):
    model = _model(pooling=pooling)
    e = _embed(model, ala2)
    rng = np.random.default_rng(0)
    r, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    r *= np.linalg.det(r)
    np.testing.assert_allclose(_embed(model, _moved(ala2, ala2.positions @ r.T + 7.0)), e, atol=2e-5)
    perm = np.array([3, 0, 4, 2, 1])
    np.testing.assert_allclose(_embed(model, _permuted(ala2, perm)), e, atol=2e-5)


def test_mirror_images_differ_only_with_dihedrals(ala2):
    mirror = _moved(ala2, ala2.positions * np.array([1, 1, -1]))
    with_d = _model(True)
    assert np.abs(_embed(with_d, mirror) - _embed(with_d, ala2)).max() > 1e-3
    blind = _model(False)
    np.testing.assert_allclose(_embed(blind, mirror), _embed(blind, ala2), atol=2e-5)


def test_padding_does_not_change_embeddings(ala2):
    model = _model()
    data = FrameData(ala2, cutoff=10.0)
    full = data.batch(np.arange(3))
    padded = data.batch(np.arange(3), batch_capacity=8)
    a = model(*[full[k] for k in EMBED_INPUTS]).asnumpy()
    b = model(*[padded[k] for k in EMBED_INPUTS]).asnumpy()[:3]
    np.testing.assert_allclose(a, b, atol=1e-5)


def _vamp_ms(chi0, chit, w, eps):
    return float(vamp2(Tensor(chi0, ms.float32), Tensor(chit, ms.float32), Tensor(w, ms.float32),
                       eps).asnumpy())


def _score(a, b, c):
    return vamp2(a, b, c, 1e-5)


def test_vamp2_matches_numpy_on_random_data():
    rng = np.random.default_rng(5)
    mix = rng.normal(size=(4, 4))
    z = np.cumsum(rng.normal(size=(500, 4)), 0) * 0.05 + rng.normal(size=(500, 4))
    x = (z @ mix).astype(np.float32)
    x0, xt = x[:-3], x[3:]
    ours = _vamp_ms(x0, xt, np.ones(len(x0), np.float32), 1e-6)
    assert ours == pytest.approx(vamp2_score(x0, xt, epsilon=1e-6), rel=2e-3)
    # masked rows are left out exactly
    w = np.ones(len(x0) + 7, np.float32)
    w[-7:] = 0
    pad0 = np.concatenate([x0, rng.normal(size=(7, 4)).astype(np.float32) * 50])
    padt = np.concatenate([xt, rng.normal(size=(7, 4)).astype(np.float32) * 50])
    assert _vamp_ms(pad0, padt, w, 1e-6) == pytest.approx(ours, rel=1e-4)
    # softmax assignments: bounded by the number of states
    p = np.exp(x0[:, :3]) / np.exp(x0[:, :3]).sum(1, keepdims=True)
    q = np.exp(xt[:, :3]) / np.exp(xt[:, :3]).sum(1, keepdims=True)
    val = _vamp_ms(p.astype(np.float32), q.astype(np.float32), np.ones(len(p), np.float32), 1e-5)
    assert val == pytest.approx(vamp2_score(p, q, epsilon=1e-5), rel=5e-3) and val <= 3.0 + 1e-3


def test_vamp2_gradient_is_finite():
    rng = np.random.default_rng(6)
    a = Tensor(rng.normal(size=(64, 3)).astype(np.float32))
    b = Tensor(rng.normal(size=(64, 3)).astype(np.float32))
    w = Tensor(np.ones(64, np.float32))
    g = ms.jit(ms.grad(_score, grad_position=(0, 1)))(a, b, w)
    assert all(np.isfinite(t.asnumpy()).all() for t in g)


def test_metric_loss_value(ala2):
    model = _model()
    frames = FrameData(ala2, cutoff=10.0)
    pairs = PairData.random(frames, 12, "rmsd", seed=1)
    batch = pairs.batch(np.arange(12))
    loss = MetricLoss(model)
    got = float(loss(*[Tensor(batch[k]) for k in loss.INPUTS]).asnumpy())
    ea = _embed(model, ala2.select_frames(frames.frame[pairs.pairs[:, 0]]))
    eb = _embed(model, ala2.select_frames(frames.frame[pairs.pairs[:, 1]]))
    ref = ((np.linalg.norm(ea - eb, axis=1) - pairs.targets) ** 2).mean()
    assert got == pytest.approx(ref, rel=1e-3, abs=1e-6)


def test_model_errors():
    rep = MolCT(dim=8, n_heads=2, n_interactions=1)
    with pytest.raises(ModelError):
        EmbeddingModel(rep, GraphReadout(16))
    with pytest.raises(ModelError):
        EmbeddingModel(rep, n_states=1)
    with pytest.raises(ModelError):
        EmbeddingModel("not a model")


def test_standardise_output_centres_and_scales(ala2):
    from cgmolct.embed.model import standardise_output

    model = _model()
    data = FrameData(ala2, cutoff=10.0)
    standardise_output(model, [data.batch(np.arange(11))])
    e = _embed(model, ala2)
    np.testing.assert_allclose(e.mean(0), 0.0, atol=1e-3)
    np.testing.assert_allclose(e.std(0), 1.0, rtol=1e-2)
    standardise_output(model, [data.batch(np.arange(11))], target_distance=2.0)
    e = _embed(model, ala2)
    d = np.linalg.norm(e[:, None] - e[None], axis=-1)
    assert 1.0 < d[np.triu_indices(11, 1)].mean() < 4.0
