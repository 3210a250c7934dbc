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
        mask = np.zeros((self.n_heads, self.dim), np.float32)
        for head in range(self.n_heads):
            mask[head, head * self.head_dim:(head + 1) * self.head_dim] = 1.0
        self.head_mask = Tensor(mask)
        self.k = nn.Dense(dim, dim, has_bias=False)
        self.v = nn.Dense(dim, dim, has_bias=False)
        self.o = nn.Dense(dim, dim, has_bias=True)

    def construct(self, query, memory, weights):
        b, n, k, f = memory.shape
        h = self.n_heads
        # block layout: row h of (BN, H, F) keeps only head h's d features of the query
        q = self.q(query.reshape(b * n, f)).reshape(b * n, 1, f)
        q_blocks = ops.broadcast_to(q, (b * n, h, f)) * self.head_mask
        q_mem = ops.matmul(q_blocks.reshape(b * n * h, f), self.k.weight).reshape(b * n, h, f)
        mem = memory.reshape(b * n, k, f)
        scores = self.scores_of(q_mem, mem) * self.scale                # (BN, H, K)
        w = weights.reshape(b * n, 1, k)
        live = ops.broadcast_to(w > 0, scores.shape)
        scores = ops.where(live, scores, ops.ones_like(scores) * -1e4)
        peak = ops.stop_gradient(scores.max(axis=-1, keepdims=True))
        e = ops.exp(scores - peak) * w
        attention = e / (e.sum(-1, keepdims=True) + 1e-12)
        context = self.mix(attention, mem)                               # Σ_j a_ijh m_ij
        values = ops.matmul(context.reshape(b * n * h, f), self.v.weight.T).reshape(b * n, h, f)
        out = (values * self.head_mask).sum(1)                          # head h's block of W^V_h
        return self.o(out).reshape(b, n, f), attention.reshape(b, n, h, k)
