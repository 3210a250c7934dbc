"""PhysNet (Unke & Meuwly, J. Chem. Theory Comput. 15, 3678, 2019), as a representation.

RBF ``g_ij = φ(r_ij) e(r_ij)`` (exponential basis, smooth cutoff φ).  Interaction module:

.. math:: v_i = W_I σ(x_i) + b_I + \\sum_j (G g_{ij}) \\odot (W_J σ(x_j) + b_J),

(``G g_ij`` is the "attention mask" on messages), ``v`` passes ``n_residual_interaction``
pre-activation residual blocks, ``x_i ← u ⊙ x_i + W σ(v_i) + b``, then
``n_residual_atomic`` residual blocks.  Each module has an output block
``y_i^m = W_o σ(Res(x_i))``; the node features returned are ``Σ_m y_i^m`` (per-module
outputs summed, as PhysNet sums per-module energies).  σ is the shifted softplus.
"""
from __future__ import annotations

import numpy as np
from mindspore import Parameter, Tensor, nn, ops

from topologies.relations import N_RELATION_CODES
from topologies.vocabulary import VOCABULARY_SIZE

from ..nn.activations import ShiftedSoftplus
from ..nn.cutoff import make_cutoff
from ..nn.geometry import gather_neighbours, neighbour_vectors
from ..nn.mlp import Residual
from ..nn.rbf import make_rbf
from .base import RepresentationModel, check_dims
from .registry import register

__all__ = ["PhysNet", "PhysNetModule"]


def _dense(layer, x):
    shape = x.shape
    return layer(x.reshape(-1, shape[-1])).reshape(shape[:-1] + (layer.out_channels,))


class PhysNetModule(nn.Cell):
    """One PhysNet module: returns (x (B, N, F), y (B, N, F) module output)."""

    def __init__(self, dim: int, n_basis: int, n_residual_interaction: int,
                 n_residual_atomic: int, n_residual_output: int):
        super().__init__()
        self.act = ShiftedSoftplus()
        self.mask_net = nn.Dense(n_basis, dim, has_bias=False)
        self.dense_i = nn.Dense(dim, dim)
        self.dense_j = nn.Dense(dim, dim)
        self.res_interaction = nn.CellList([Residual(dim) for _ in range(n_residual_interaction)])
        self.dense_v = nn.Dense(dim, dim)
        self.gate = Parameter(Tensor(np.ones(dim, np.float32)), name="gate")
        self.res_atomic = nn.CellList([Residual(dim) for _ in range(n_residual_atomic)])
        self.res_output = nn.CellList([Residual(dim) for _ in range(n_residual_output)])
        self.dense_out = nn.Dense(dim, dim)

    def construct(self, x, g, neighbours):
        a = self.act(x)
        mj = gather_neighbours(_dense(self.dense_j, a), neighbours)
        v = _dense(self.dense_i, a) + (_dense(self.mask_net, g) * mj).sum(2)
        for res in self.res_interaction:
            v = res(v)
        x = self.gate * x + _dense(self.dense_v, self.act(v))
        for res in self.res_atomic:
            x = res(x)
        y = x
        for res in self.res_output:
            y = res(y)
        return x, _dense(self.dense_out, self.act(y))


@register
class PhysNet(RepresentationModel):
    """PhysNet representation (see the module docstring).

    Parameters
    ----------
    dim : int
        Feature size F (default 128).
    n_modules : int
        Interaction modules (default 3).
    n_residual_interaction, n_residual_atomic, n_residual_output : int
        Residual blocks inside each module (defaults 3, 2, 1 as in PhysNet).
    r_cut : float
        Cutoff in Å (default 10).
    n_basis : int
        Exponential RBF size (default 64).
    vocabulary_size : int
        Rows of the type embedding (default 256).

    Returns
    -------
    (B, N, F) node features (sum of module outputs), zero for padding.
    """

    def __init__(self, dim: int = 128, n_modules: int = 3, n_residual_interaction: int = 3,
                 n_residual_atomic: int = 2, n_residual_output: int = 1, r_cut: float = 10.0,
                 n_basis: int = 64, vocabulary_size: int = VOCABULARY_SIZE):
        super().__init__()
        check_dims("PhysNet", dim=dim, n_modules=n_modules, n_basis=n_basis,
                   vocabulary_size=vocabulary_size)
        self._config = dict(dim=dim, n_modules=n_modules,
                            n_residual_interaction=n_residual_interaction,
                            n_residual_atomic=n_residual_atomic,
                            n_residual_output=n_residual_output, r_cut=r_cut, n_basis=n_basis,
                            vocabulary_size=vocabulary_size)
        self.dim, self.r_cut = int(dim), float(r_cut)
        self.vocabulary_size, self.n_relation_codes = int(vocabulary_size), N_RELATION_CODES
        self.embedding = nn.Embedding(vocabulary_size, dim)
        self.rbf = make_rbf("exponential", r_cut, n_basis)
        self.cutoff_fn = make_cutoff("smooth", r_cut)
        self.interactions = nn.CellList([
            PhysNetModule(dim, n_basis, n_residual_interaction, n_residual_atomic,
                          n_residual_output) for _ in range(n_modules)])

    def embed(self, types, atom_mask, rel_neighbours, rel_codes, rel_mask):
        """Position-independent bead features (B, N, F): the type embedding."""
        return self.embedding(types)

    def construct(self, types, positions, atom_mask, neighbours, neighbour_mask,
                  rel_neighbours, rel_codes, rel_mask):
        x = self.embed(types, atom_mask, rel_neighbours, rel_codes, rel_mask)
        return self.interact(x, positions, atom_mask, neighbours, neighbour_mask)

    def interact(self, x, positions, atom_mask, neighbours, neighbour_mask):
        """The PhysNet modules on features ``x`` from :meth:`embed`."""
        _, distances = neighbour_vectors(positions, neighbours, neighbour_mask)
        fade = self.cutoff_fn(distances) * ops.cast(neighbour_mask, positions.dtype)
        rbf = self.rbf(distances)
        g = rbf * ops.broadcast_to(fade[..., None], rbf.shape)
        out = ops.zeros_like(x)
        for module in self.interactions:
            x, y = module(x, g, neighbours)
            out = out + y
        return out * ops.cast(atom_mask, out.dtype)[..., None]
