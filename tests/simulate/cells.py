"""Small potentials for the simulator tests (in a file: graph mode parses source files)."""
from __future__ import annotations

import numpy as np
from mindspore import Tensor, nn, ops


class HarmonicWells(nn.Cell):
    """E = Σ_i ½ k |x_i − c_i|² + Σ_bonds ½ k_b (|x_i − x_j| − r0)²  (kcal/mol, Å)."""

    def __init__(self, centres, k: float = 2.0, bonds=None, k_bond: float = 0.0, r0: float = 3.8):
        super().__init__()
        self.centres = Tensor(np.asarray(centres, np.float32)[None])
        self.k = float(k)
        bonds = np.zeros((0, 2), np.int32) if bonds is None else np.asarray(bonds, np.int32)
        self.has_bonds = len(bonds) > 0 and k_bond > 0
        self.i = Tensor(bonds[:, 0].copy() if len(bonds) else np.zeros(1, np.int32))
        self.j = Tensor(bonds[:, 1].copy() if len(bonds) else np.zeros(1, np.int32))
        self.k_bond = float(k_bond)
        self.r0 = float(r0)

    def construct(self, positions):
        d = positions - self.centres
        energy = 0.5 * self.k * (d * d).sum((1, 2))
        if self.has_bonds:
            r = ops.gather(positions, self.j, 1) - ops.gather(positions, self.i, 1)
            dist = ops.sqrt((r * r).sum(-1) + 1e-12)
            energy = energy + 0.5 * self.k_bond * ((dist - self.r0) ** 2).sum(-1)
        return energy


class Exploding(nn.Cell):
    """A repulsion that grows without bound: E = −a Σ |x_i − c|² (pushes beads away)."""

    def __init__(self, a: float = 5.0e3):
        super().__init__()
        self.a = float(a)

    def construct(self, positions):
        c = positions.mean(1, keep_dims=True)
        d = positions - c
        return -self.a * (d * d).sum((1, 2)) * (1.0 + (d * d).sum((1, 2)))


class _PairNet(nn.Cell):
    """E = ½ a Σ_i Σ_k m_ik (1 − r_ik²/r_c²)² for r < r_c over the neighbour list (soft pairs)."""

    def __init__(self, r_cut: float, a: float):
        super().__init__()
        self.rc2 = float(r_cut) ** 2
        self.a = float(a)
        self.model = None

    def construct(self, positions, types, atom_mask, neighbours, neighbour_mask,
                  rel_neighbours, rel_codes, rel_mask):
        b, n, k = neighbours.shape
        flat = positions.reshape(b * n, 3)
        offset = (ops.arange(b) * n).astype(neighbours.dtype).reshape(b, 1, 1)
        xj = ops.gather(flat, (neighbours + offset).reshape(-1), 0).reshape(b, n, k, 3)
        d = xj - positions[:, :, None, :]
        w = ops.clamp(1.0 - (d * d).sum(-1) / self.rc2, 0.0, 1.0)
        return 0.5 * self.a * (w * w * ops.cast(neighbour_mask, w.dtype)).sum((1, 2))


def pair_potential(r_cut: float = 6.0, a: float = 2.0, priors=None):
    """A CGPotential whose "network" is a soft pair potential over the neighbour list.

    Cheap to compile; it exercises the neighbour-list path of the simulator like a model
    with cutoff ``r_cut`` would.
    """
    from cgmolct.simulate import CGPotential

    pot = CGPotential(None, priors if priors is not None else HarmonicWells(np.zeros((1, 3)), k=0.0))
    pot.network = _PairNet(r_cut, a)
    pot.has_model = True
    pot.has_priors = priors is not None
    pot.r_cut = float(r_cut)
    return pot
