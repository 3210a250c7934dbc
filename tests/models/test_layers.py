"""Unit tests of the layers: radial bases, cutoffs, attention, ACT bookkeeping."""
from __future__ import annotations

import math

import numpy as np
import pytest

ms = pytest.importorskip("mindspore")
from mindspore import Tensor  # noqa: E402

from cgmolct.errors import ModelError  # noqa: E402
from cgmolct.nn import (ExponentialRBF, GaussianRBF, LogGaussianRBF,  # noqa: E402
                        MaskedMultiHeadAttention, SmoothCutoff, CosineCutoff, act_step,
                        gather_neighbours, neighbour_vectors, sinusoidal_table)


def test_log_gaussian_defaults_and_peaks():
    rbf = LogGaussianRBF()
    assert rbf.n_basis == 64
    centres = rbf.centres.asnumpy()
    assert centres[0] == pytest.approx(math.log(0.4), abs=1e-6)
    assert centres[-1] >= math.log(10.0) - 1e-6
    r = np.exp(centres[[0, 10, 40]]).astype(np.float32)
    e = rbf(Tensor(r)).asnumpy()
    assert e.shape == (3, 64)
    # each distance peaks (value 1) at its own centre
    assert np.argmax(e, 1).tolist() == [0, 10, 40]
    np.testing.assert_allclose(e[[0, 1, 2], [0, 10, 40]], 1.0, atol=1e-5)


def test_gaussian_and_exponential_rbf_shapes():
    d = Tensor(np.array([[0.5, 3.0]], np.float32))
    assert GaussianRBF(n_basis=20)(d).shape == (1, 2, 20)
    e = ExponentialRBF(r_cut=5.0, n_basis=16)(d).asnumpy()
    assert e.shape == (1, 2, 16) and np.all((e > 0) & (e <= 1))
    with pytest.raises(ModelError):
        GaussianRBF(r_min=5.0, r_cut=1.0)


def test_cutoffs_values():
    d = Tensor(np.array([0.0, 2.5, 5.0, 7.0], np.float32))
    for cut in (SmoothCutoff(5.0), CosineCutoff(5.0)):
        v = cut(d).asnumpy()
        np.testing.assert_allclose(v, [1.0, 0.5, 0.0, 0.0], atol=1e-6)
    # the smooth cutoff has zero slope at r_cut: f(r_c - h) = O(h^3)
    near = SmoothCutoff(5.0)(Tensor(np.array([4.99], np.float32))).asnumpy()[0]
    assert 0 < near < 1e-5


def test_gather_and_safe_distances():
    pos = np.zeros((1, 3, 3), np.float32)
    pos[0, 1, 0] = 2.0
    nb = np.array([[[1, 2], [0, 0], [0, 0]]], np.int32)
    mask = np.array([[[True, False], [True, False], [False, False]]])
    feat = gather_neighbours(Tensor(pos), Tensor(nb)).asnumpy()
    assert feat[0, 0, 0, 0] == 2.0
    _, d = neighbour_vectors(Tensor(pos), Tensor(nb), Tensor(mask))
    d = d.asnumpy()
    assert d[0, 0, 0] == pytest.approx(2.0)
    # masked entries (including a zero-length pair) hold the safe value, never 0
    assert np.all(d[~mask] > 0)


def test_attention_masks_and_fades():
    ms.set_seed(1)
    att = MaskedMultiHeadAttention(8, 2)
    rng = np.random.default_rng(0)
    q = Tensor(rng.normal(size=(1, 2, 8)).astype(np.float32))
    k = Tensor(rng.normal(size=(1, 2, 3, 8)).astype(np.float32))
    w = Tensor(np.array([[[1.0, 0.5, 0.0], [1.0, 1e-7, 1.0]]], np.float32))
    out, a = att(q, k, w)
    a = a.asnumpy()
    assert out.shape == (1, 2, 8) and a.shape == (1, 2, 2, 3)
    np.testing.assert_allclose(a.sum(-1), 1.0, atol=1e-5)
    assert np.all(a[0, 0, :, 2] == 0)          # weight 0: ignored
    assert np.all(a[0, 1, :, 1] < 1e-5)        # weight → 0: attention → 0


def _reference_attention(att, q, m, w):
    """Multi-head attention written head by head in numpy (keys = values = memory rows)."""
    wq, wk, wv = (getattr(att, name).weight.asnumpy() for name in ("q", "k", "v"))
    bq = att.q.bias.asnumpy() if att.q.has_bias else 0.0
    wo, bo = att.o.weight.asnumpy(), att.o.bias.asnumpy()
    h, d = att.n_heads, att.head_dim
    query = q @ wq.T + bq                                   # (B, N, F)
    keys, values = m @ wk.T, m @ wv.T                       # (B, N, K, F)
    heads = []
    for head in range(h):
        sl = slice(head * d, (head + 1) * d)
        s = np.einsum("bnf,bnkf->bnk", query[..., sl], keys[..., sl]) / np.sqrt(d)
        s = np.where(w > 0, s, -1e4)
        e = np.exp(s - s.max(-1, keepdims=True)) * w
        a = e / (e.sum(-1, keepdims=True) + 1e-12)
        heads.append(np.einsum("bnk,bnkf->bnf", a, values[..., sl]))
    return np.concatenate(heads, -1) @ wo.T + bo


def test_attention_equals_a_head_by_head_reference():
    ms.set_seed(3)
    att = MaskedMultiHeadAttention(16, 4, query_bias=True)
    rng = np.random.default_rng(2)
    q = rng.normal(size=(2, 3, 16)).astype(np.float32)
    m = (rng.normal(size=(2, 3, 5, 16)) * 2.0 + 0.7).astype(np.float32)
    w = rng.uniform(0.1, 1.0, size=(2, 3, 5)).astype(np.float32)
    w[0, 1, 3:] = 0.0
    out, _ = att(Tensor(q), Tensor(m), Tensor(w))
    np.testing.assert_allclose(out.asnumpy(), _reference_attention(att, q, m, w), rtol=1e-4, atol=1e-5)
    # over layer-normalised rows without forming them
    ln = (m - m.mean(-1, keepdims=True)) / np.sqrt(m.var(-1, keepdims=True) + 1e-5)
    out, _ = att.attend_normalised(Tensor(q), Tensor(m), Tensor(w))
    np.testing.assert_allclose(out.asnumpy(), _reference_attention(att, q, ln, w), rtol=1e-4, atol=1e-4)


def test_act_step_bookkeeping():
    z = Tensor(np.zeros((1, 3), np.float32))
    running = Tensor(np.ones((1, 3), np.float32))
    # node 0 halts at once (p > 0.9); node 1 accumulates 0.5 then halts with remainder 0.5
    p1 = Tensor(np.array([[0.95, 0.5, 0.1]], np.float32))
    w, running, h, r, n = act_step(p1, running, z, z, z, 0.9, False)
    np.testing.assert_allclose(w.asnumpy(), [[1.0, 0.5, 0.1]], atol=1e-6)
    np.testing.assert_allclose(n.asnumpy(), [[1, 1, 1]])
    np.testing.assert_allclose(running.asnumpy(), [[0, 1, 1]])
    p2 = Tensor(np.array([[0.99, 0.5, 0.1]], np.float32))
    w, running, h, r, n = act_step(p2, running, h, r, n, 0.9, False)
    np.testing.assert_allclose(w.asnumpy(), [[0.0, 0.5, 0.1]], atol=1e-6)
    np.testing.assert_allclose(r.asnumpy(), [[1.0, 0.5, 0.0]], atol=1e-6)
    np.testing.assert_allclose(n.asnumpy(), [[1, 2, 2]])
    # last cycle: every running node halts with its remainder; weights of a node sum to 1
    w3, running, h, r, n = act_step(p2, running, h, r, n, 0.9, True)
    np.testing.assert_allclose(w3.asnumpy(), [[0.0, 0.0, 0.8]], atol=1e-6)
    np.testing.assert_allclose(h.asnumpy(), [[1.0, 1.0, 1.0]], atol=1e-6)
    assert float(running.asnumpy().sum()) == 0.0


def test_sinusoidal_table():
    t = sinusoidal_table(4, 6)
    assert t.shape == (4, 6)
    np.testing.assert_allclose(t[0, 0], math.sin(1.0), atol=1e-6)
    np.testing.assert_allclose(t[1, 1], math.cos(2.0), atol=1e-6)
    assert len({tuple(row) for row in t.round(5)}) == 4


def test_ponder_cost_counts_real_beads_only():
    from cgmolct.nn import ponder_cost

    n = Tensor(np.array([[2.0, 3.0, 0.0]], np.float32))
    r = Tensor(np.array([[0.5, 0.25, 0.0]], np.float32))
    mask = Tensor(np.array([[True, True, False]]))
    assert float(ponder_cost(n, r, mask).asnumpy()) == pytest.approx((2.5 + 3.25) / 2)
