"""A tiny pair-distance energy model obeying the model-input contract (for trainer tests)."""
from __future__ import annotations

import numpy as np
import mindspore as ms
from mindspore import Parameter, Tensor, nn, ops

from cgmolct.nn.norm import LayerNorm


class ToyEnergy(nn.Cell):
    """E_b = Σ_{i, k in nbrs(i)} MLP(r_ik) + Σ_i emb(type_i), masked; (B,) kcal/mol."""

    def __init__(self, dim: int = 8, n_types: int = 10, n_out: int = 1):
        super().__init__()
        self.embed = nn.Dense(1, dim)
        self.norm = LayerNorm(dim)
        self.out = nn.Dense(dim, n_out)
        self.type_energy = Parameter(Tensor(np.zeros((n_types, n_out), np.float32)), name="type_energy")
        self.n_out = n_out

    def construct(self, types, positions, atom_mask, nbrs, nbr_mask, rel_nbrs, rel_codes, rel_mask):
        b, n, k = nbrs.shape
        flat = positions.reshape((b * n, 3))
        offset = (ops.arange(b) * n).reshape((b, 1, 1)).astype(nbrs.dtype)
        idx = (nbrs + offset).reshape((-1,))
        pj = ops.gather(flat, idx, 0).reshape((b, n, k, 3))
        diff = pj - positions[:, :, None, :]
        m = nbr_mask.astype(positions.dtype)
        d2 = (diff * diff).sum(-1) * m + (1.0 - m)
        dist = ops.sqrt(d2)
        h = self.norm(ops.tanh(self.embed(dist[..., None])))
        pair = self.out(h) * m[..., None]
        am = atom_mask.astype(positions.dtype)
        e = pair.sum(2) * am[..., None]
        te = ops.gather(self.type_energy, types.reshape((-1,)), 0).reshape((b, n, self.n_out))
        out = (e + te * am[..., None]).sum(1)
        if self.n_out == 1:
            return out[:, 0]
        return out
