"""A tiny pair-distance energy model obeying the model-input contract (for trainer tests)."""
from __future__ import annotations

import numpy as np
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


class ToyData:
    """Random 5-bead molecules with dense neighbour lists; energies/forces from a smooth pair
    potential so that a model can learn them (``len``, ``batch(indices) -> dict``)."""

    def __init__(self, n: int = 24, n_beads: int = 5, seed: int = 0, n_labels: int = 0):
        rng = np.random.default_rng(seed)
        self.types = np.tile(np.array([6, 6, 8, 1, 1, 1, 7, 1][:n_beads], np.int32), (n, 1))
        self.positions = (rng.normal(size=(n, n_beads, 3)) * 1.2).astype(np.float32)
        diff = self.positions[:, :, None] - self.positions[:, None]
        r = np.sqrt((diff ** 2).sum(-1) + np.eye(n_beads))
        off = 1.0 - np.eye(n_beads)
        self.energy = (0.5 * (np.exp(-r) * off).sum((1, 2))).astype(np.float32)
        # F_i = -dE/dr_i for E = 1/2 sum_ij exp(-r_ij)  ->  F_i = sum_j exp(-r_ij) (r_i - r_j)/r_ij
        self.forces = ((np.exp(-r) * off / r)[..., None] * diff).sum(2).astype(np.float32)
        self.labels = np.stack([self.energy * (k + 1) for k in range(n_labels)], 1).astype(np.float32) \
            if n_labels else None
        nb = np.array([[j for j in range(n_beads) if j != i] for i in range(n_beads)], np.int32)
        self.nb = nb

    def __len__(self):
        return len(self.energy)

    def batch(self, idx):
        idx = np.asarray(idx)
        b, n = len(idx), self.types.shape[1]
        out = {
            "types": self.types[idx], "positions": self.positions[idx],
            "atom_mask": np.ones((b, n), bool),
            "neighbours": np.repeat(self.nb[None], b, 0),
            "neighbour_mask": np.ones((b, n, n - 1), bool),
            "rel_neighbours": np.zeros((b, n, 1), np.int32),
            "rel_codes": np.zeros((b, n, 1), np.int32),
            "rel_mask": np.zeros((b, n, 1), bool),
            "energy": self.energy[idx], "forces": self.forces[idx], "n_beads": np.full(b, n, np.int32),
        }
        if self.labels is not None:
            out["labels"] = self.labels[idx]
        return out
