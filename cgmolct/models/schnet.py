"""SchNet (Schütt et al., J. Chem. Phys. 148, 241722, 2018).

Continuous-filter convolution of interaction block t:

.. math:: m_i = \\sum_j x_j \\odot W(e_{ij})\\, f(r_{ij}),\\quad x = W_\\mathrm{in} h,
          \\quad h_i \\leftarrow h_i + W_2\\, \\mathrm{ssp}(W_1 m_i + b_1) + b_2,

with the filter network ``W(e) = W_f2 ssp(W_f1 e + b) + b'`` of the Gaussian RBF ``e_ij``
and the cosine cutoff ``f``; ssp is the shifted softplus.
"""
from __future__ import annotations

from typing import Optional

from mindspore import nn, ops

from topologies.relations import N_RELATION_CODES
from topologies.vocabulary import VOCABULARY_SIZE

from ..nn.cutoff import make_cutoff
from ..nn.geometry import gather_neighbours, neighbour_vectors
from ..nn.mlp import MLP
from ..nn.rbf import make_rbf
from .base import RepresentationModel, check_dims
from .registry import register

__all__ = ["SchNet", "CFConvInteraction"]


class CFConvInteraction(nn.Cell):
    """One SchNet interaction block: h (B, N, F) → h + v (B, N, F)."""

    def __init__(self, dim: int, dim_filter: int, n_basis: int):
        super().__init__()
        self.filter = MLP(n_basis, dim_filter, hidden=(dim_filter,), activation="ssp")
        self.inp = nn.Dense(dim, dim_filter, has_bias=False)
        self.out = MLP(dim_filter, dim, hidden=(dim,), activation="ssp")
        self.dim_filter = int(dim_filter)

    def construct(self, h, rbf, neighbours, fade):
        b, n, f = h.shape
        x = self.inp(h.reshape(b * n, f)).reshape(b, n, self.dim_filter)
        w = self.filter(rbf)
        w = w * ops.broadcast_to(fade[..., None], w.shape)
        m = (gather_neighbours(x, neighbours) * w).sum(2)
        return h + self.out(m)


@register
class SchNet(RepresentationModel):
    """SchNet representation (see the module docstring).

    Parameters
    ----------
    dim : int
        Feature size F (default 128).
    dim_filter : int, optional
        Filter size (default: ``dim``, as in SchNetPack; the filter network on every
        neighbour pair is most of the cost, so a small model has small filters).
    n_interactions : int
        Interaction blocks (default 3).
    r_cut : float
        Cutoff in Å (default 10).
    n_basis : int
        Gaussian centres in [0, r_cut] (default 64).
    cutoff : str
        ``"cosine"`` (default) or ``"smooth"``.
    vocabulary_size : int
        Rows of the type embedding (default 256).

    Returns
    -------
    (B, N, F) node features, zero for padding.  Relational inputs are accepted and unused.
    """

    def __init__(self, dim: int = 128, dim_filter: Optional[int] = None, n_interactions: int = 3,
                 r_cut: float = 10.0, n_basis: int = 64, cutoff: str = "cosine",
                 vocabulary_size: int = VOCABULARY_SIZE):
        super().__init__()
        if dim_filter is None:
            dim_filter = dim
        check_dims("SchNet", dim=dim, dim_filter=dim_filter, n_interactions=n_interactions,
                   n_basis=n_basis, vocabulary_size=vocabulary_size)
        self._config = dict(dim=dim, dim_filter=dim_filter, n_interactions=n_interactions,
                            r_cut=r_cut, n_basis=n_basis, cutoff=cutoff,
                            vocabulary_size=vocabulary_size)
        self.dim, self.r_cut = int(dim), float(r_cut)
        self.vocabulary_size, self.n_relation_codes = int(vocabulary_size), N_RELATION_CODES
        self.embedding = nn.Embedding(vocabulary_size, dim)
        self.rbf = make_rbf("gaussian", r_cut, n_basis)
        self.cutoff_fn = make_cutoff(cutoff, r_cut)
        self.blocks = nn.CellList([CFConvInteraction(dim, dim_filter, n_basis)
                                   for _ in range(n_interactions)])

    def embed(self, types, atom_mask, rel_neighbours, rel_codes, rel_mask):
        """Position-independent bead features (B, N, F): the type embedding."""
        return self.embedding(types)

    def construct(self, types, positions, atom_mask, neighbours, neighbour_mask,
                  rel_neighbours, rel_codes, rel_mask):
        h = self.embed(types, atom_mask, rel_neighbours, rel_codes, rel_mask)
        return self.interact(h, positions, atom_mask, neighbours, neighbour_mask)

    def interact(self, h, positions, atom_mask, neighbours, neighbour_mask):
        """The interaction blocks on features ``h`` from :meth:`embed`."""
        _, distances = neighbour_vectors(positions, neighbours, neighbour_mask)
        rbf = self.rbf(distances)
        fade = self.cutoff_fn(distances) * ops.cast(neighbour_mask, positions.dtype)
        for block in self.blocks:
            h = block(h, rbf, neighbours, fade)
        return h * ops.cast(atom_mask, h.dtype)[..., None]
