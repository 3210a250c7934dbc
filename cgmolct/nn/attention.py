r"""Masked multi-head attention of each node over its own list of keys.

Every node i has its own memory rows ``(K, F)`` (keys = values); the weights are a *soft-masked* softmax

.. math:: a_{ij} = \frac{w_{ij}\, e^{s_{ij}}}{\sum_k w_{ik}\, e^{s_{ik}}},\qquad
          s_{ij} = \frac{q_i \cdot k_{ij}}{\sqrt{d}},

with ``w_ij`` in [0, 1] (0 for padding, the cutoff function f(r_ij) for geometric
neighbours).  A neighbour whose weight goes to zero at the cutoff disappears from numerator
and denominator continuously, so outputs are continuous when it crosses the cutoff.
"""
from __future__ import annotations

import math

import numpy as np
from mindspore import Tensor, nn, ops

from ..errors import ModelError

__all__ = ["MaskedMultiHeadAttention"]


class MaskedMultiHeadAttention(nn.Cell):
    r"""Multi-head attention of one query per node over that node's memory (keys = values).

    Head h uses :math:`q_h = W^Q_h x_i`, keys :math:`W^K_h m_{ij}` and values
    :math:`W^V_h m_{ij}` of the memory rows :math:`m_{ij}` (RME and EA attend with keys
    equal to values).  Because the projections are linear, the scores are computed as
    :math:`s_{ijh} = ((W^K_h)^\top q_h) \cdot m_{ij} / \sqrt{d}` and the output as
    :math:`W^V_h \sum_j a_{ijh} m_{ij}`: no (B, N, K, F) projection of the memory is ever
    formed, which saves memory and H/F of the work.

    Parameters
    ----------
    dim : int
        Feature size F (divisible by ``n_heads``).
    n_heads : int
        Number of heads H.
    query_bias : bool
        Give the query projection a bias (default False).  With a memory normalised
        without affine parameters, W^K, W^V and this bias absorb γ and β exactly
        (a key bias cancels in the softmax, a value bias joins the output bias).

    Inputs
    ------
    query : (B, N, F); memory : (B, N, K, F); weights : (B, N, K) float in [0, 1],
    0 = ignore (at least one entry per real node should have weight > 0).

    Returns
    -------
    out : (B, N, F) attended values after the output projection.
    attention : (B, N, H, K) attention weights (rows sum to 1 for nodes with keys).
    """

    def __init__(self, dim: int, n_heads: int, query_bias: bool = False):
        super().__init__()
        if dim % n_heads:
            raise ModelError(f"dim {dim} is not divisible by n_heads {n_heads}")
        self.dim, self.n_heads = int(dim), int(n_heads)
        self.head_dim = self.dim // self.n_heads
        self.scale = 1.0 / math.sqrt(self.head_dim)
        self.q = nn.Dense(dim, dim, has_bias=bool(query_bias))
        self.scores_of = ops.BatchMatMul(transpose_b=True)
        self.mix = ops.BatchMatMul()
        self.per_head = ops.BatchMatMul()
        self.per_head_t = ops.BatchMatMul(transpose_b=True)
        self.mean_of = Tensor(np.full((self.dim, 1), 1.0 / self.dim, np.float32))
        self.k = nn.Dense(dim, dim, has_bias=False)
        self.v = nn.Dense(dim, dim, has_bias=False)
        self.o = nn.Dense(dim, dim, has_bias=True)

    def construct(self, query, memory, weights):
        b, n, k, f = memory.shape
        mem = memory.reshape(b * n, k, f)
        q, q_mem = self._query_keys(query, b * n, f)
        scores = self.scores_of(q_mem, mem) * self.scale                # (BN, H, K)
        attention = self._softmax(scores, weights.reshape(b * n, 1, k))
        context = self.mix(attention, mem)                               # Σ_j a_ijh m_ij
        return self._output(context, None, b, n, f), attention.reshape(b, n, self.n_heads, k)

    def attend_normalised(self, query, memory, weights, eps: float = 1e-5):
        r"""Attention over layer-normalised memory rows, without forming them.

        Equal to ``construct(query, LN(memory), weights)`` with ``LN`` the layer norm
        without γ, β (:class:`~cgmolct.nn.norm.LayerNorm` with ``affine=False``), but the
        normalised (B, N, K, F) tensor is never built: with μ, ρ = 1/√(σ² + ε) of each row,
        :math:`q \cdot LN(m) = ρ (q \cdot m − μ Σ_f q_f)` and
        :math:`Σ_j a_j LN(m_j) = Σ_j (a_j ρ_j) m_j − Σ_j a_j ρ_j μ_j`.  Only per-row scalars
        join the raw memory, which saves three (B, N, K, F) tensors of the forward (and their
        copies in the force's backward and in the parameter gradient through it).

        The sums over F stay off the large tensors: μ and the mean square are products with
        a constant (F, 1) vector (MindSpore's CPU reductions over the last axis, and the
        divisions of a mean's gradient, cost several times a matrix product there), and the
        μ terms meet the row sums of W^K_h and W^V_h (``Σ_f q_f = q_h · W^K_h 1`` and
        ``W^V_h (c − s 1) = W^V_h c − s W^V_h 1``), so they live on (rows, H, d) tensors.
        """
        b, n, k, f = memory.shape
        rows = b * n
        mem = memory.reshape(rows, k, f)
        flat = memory.reshape(rows * k, f)
        mean = ops.matmul(flat, self.mean_of).reshape(rows, 1, k)          # μ of each row
        mean_sq = ops.matmul(flat * flat, self.mean_of).reshape(rows, 1, k)
        rho = ops.rsqrt(ops.relu(mean_sq - mean * mean) + eps)
        q, q_mem = self._query_keys(query, rows, f)
        h, d = self.n_heads, self.head_dim
        key_sums = self.k.weight.reshape(h, d, f).sum(-1, keepdims=True)  # W^K_h 1: (H, d, 1)
        q_sum = self.per_head(q, key_sums).transpose(1, 0, 2)              # (BN, H, 1)
        scores = (self.scores_of(q_mem, mem) - q_sum * mean) * rho * self.scale
        attention = self._softmax(scores, weights.reshape(rows, 1, k))
        scaled = attention * rho
        context = self.mix(scaled, mem)                                    # (BN, H, F), raw rows
        shift = (scaled * mean).sum(-1, keepdims=True)                     # (BN, H, 1)
        return self._output(context, shift, b, n, f), attention.reshape(b, n, h, k)

    def _query_keys(self, query, rows: int, f: int):
        """Queries (H, rows, d) and (W^K_h)^T q_h of every head (rows, H, F) (row h keeps head h).

        One batched product over the heads, (H, rows, d) × (H, d, F): the d = F/H query
        entries of head h meet only the d rows of W^K that belong to it.
        """
        h, d = self.n_heads, self.head_dim
        q = self.q(query.reshape(rows, f)).reshape(rows, h, d).transpose(1, 0, 2)
        return q, self.per_head(q, self.k.weight.reshape(h, d, f)).transpose(1, 0, 2)

    def _softmax(self, scores, w):
        """Soft-masked softmax over the last axis of (rows, H, K) scores, weights (rows, 1, K)."""
        live = ops.broadcast_to(w > 0, scores.shape)
        scores = ops.where(live, scores, ops.ones_like(scores) * -1e4)
        peak = ops.stop_gradient(scores.max(axis=-1, keepdims=True))
        e = ops.exp(scores - peak) * w
        return e / (e.sum(-1, keepdims=True) + 1e-12)

    def _output(self, context, shift, b: int, n: int, f: int):
        """W^V_h (c_h − s_h 1) of each head's context c (rows, H, F) and shift s (rows, H, 1) or
        None, heads joined, output projection: (B, N, F).

        Head h's context meets only the d rows of W^V that belong to it:
        (H, rows, F) × (H, F, d), then the heads are joined to (rows, F).
        """
        h, d = self.n_heads, self.head_dim
        w_v = self.v.weight.reshape(h, d, f)
        values = self.per_head_t(context.transpose(1, 0, 2), w_v)          # (H, rows, d)
        if shift is not None:
            values = values - shift.transpose(1, 0, 2) * w_v.sum(-1).reshape(h, 1, d)
        out = values.transpose(1, 0, 2).reshape(b * n, f)
        return self.o(out).reshape(b, n, f)
