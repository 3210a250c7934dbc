"""Edge readout: logits for requested bead pairs, symmetric in (i, j).

For a pair (i, j) with relation code c_ij and distance r_ij (Å):

.. math:: y_{ij} = \\mathrm{MLP}\\big([\\, n_i + n_j,\\; n_i \\odot n_j,\\;
          v(c_{ij}) + v(c_{ji}),\\; e(r_{ij}) \\,]\\big)

with ``v`` an embedding of relation codes (``c_ji`` is the mirrored code: the sequence
separation changes sign) and ``e`` a log-Gaussian RBF with its own range (pairs may lie
beyond the geometric cutoff, so no cutoff function is applied).  Every term is symmetric,
hence y_ij = y_ji.
"""
from __future__ import annotations

from typing import Dict, Sequence

import numpy as np
from mindspore import Tensor, nn, ops

from topologies.relations import MAX_SEPARATION, N_RELATION_CODES, SEQUENCE_CODE_ZERO

from ..models.base import check_dims, check_readout_inputs
from ..models.registry import register
from ..nn.geometry import gather_pairs
from ..nn.mlp import MLP
from ..nn.rbf import LogGaussianRBF

__all__ = ["EdgeReadout", "mirror_codes"]


def mirror_codes(n_relation_codes: int = N_RELATION_CODES) -> np.ndarray:
    """Table ``c → code of the reversed pair`` (sequence separations change sign)."""
    table = np.arange(n_relation_codes, dtype=np.int32)
    lo, hi = SEQUENCE_CODE_ZERO - MAX_SEPARATION, SEQUENCE_CODE_ZERO + MAX_SEPARATION
    seq = (table >= lo) & (table <= hi)
    table[seq] = 2 * SEQUENCE_CODE_ZERO - table[seq]
    return table


@register
class EdgeReadout(nn.Cell):
    """Pair logits from node features, relation codes and distances.

    Parameters
    ----------
    dim : int
        Node feature size F.
    n_outputs : int
        Outputs per pair (default 1: a contact logit).
    hidden : sequence of int
        Hidden sizes of the MLP (default ``(dim,)``).
    dim_relation : int
        Size of the relation embedding (default 32).
    r_max : float
        Largest centre of the distance basis in Å (default 20; pairs may be far apart).
    n_relation_codes : int
        Size of the relation-code table (default from ``topologies``).

    Inputs
    ------
    features (B, N, F), positions (B, N, 3) Å, pairs (B, P, 2) int32,
    pair_codes (B, P) int32, pair_mask (B, P) bool.

    Returns
    -------
    (B, P, n_outputs) logits, zero for padded pairs.
    """

    def __init__(self, dim: int, n_outputs: int = 1, hidden: Sequence[int] | None = None,
                 dim_relation: int = 32, r_max: float = 20.0,
                 n_relation_codes: int = N_RELATION_CODES, activation: str = "ssp"):
        super().__init__()
        check_dims("EdgeReadout", dim=dim, n_outputs=n_outputs, dim_relation=dim_relation,
                   n_relation_codes=n_relation_codes)
        hidden = [int(dim)] if hidden is None else [int(h) for h in hidden]
        self._config = dict(dim=dim, n_outputs=n_outputs, hidden=hidden,
                            dim_relation=dim_relation, r_max=r_max,
                            n_relation_codes=n_relation_codes, activation=activation)
        self.n_outputs, self.dim = int(n_outputs), int(dim)
        self.relation_embedding = nn.Embedding(n_relation_codes, dim_relation)
        self.mirror = Tensor(mirror_codes(n_relation_codes))
        self.rbf = LogGaussianRBF(r_cut=r_max)
        self.mlp = MLP(2 * dim + dim_relation + self.rbf.n_basis, n_outputs, hidden=hidden,
                       activation=activation)

    def get_config(self) -> Dict:
        return dict(self._config)

    def __call__(self, *args, **kwargs):
        if len(args) == 5 and not kwargs:
            check_readout_inputs("EdgeReadout", [("features", args[0], ("B", "N", self.dim)),
                                                 ("positions", args[1], ("B", "N", 3)),
                                                 ("pairs", args[2], ("B", "P", 2)),
                                                 ("pair_codes", args[3], ("B", "P")),
                                                 ("pair_mask", args[4], ("B", "P"))])
        return super().__call__(*args, **kwargs)

    def construct(self, features, positions, pairs, pair_codes, pair_mask):
        i, j = pairs[:, :, 0], pairs[:, :, 1]
        ni, nj = gather_pairs(features, i), gather_pairs(features, j)
        rij = gather_pairs(positions, j) - gather_pairs(positions, i)
        d2 = (rij * rij).sum(-1)
        d2 = ops.where(ops.logical_and(pair_mask, d2 > 1e-6), d2, ops.ones_like(d2))
        e = self.rbf(ops.sqrt(d2))
        mirrored = ops.gather(self.mirror, pair_codes.reshape(-1), 0).reshape(pair_codes.shape)
        v = self.relation_embedding(pair_codes) + self.relation_embedding(mirrored)
        x = ops.concat((ni + nj, ni * nj, v, e), -1)
        return self.mlp(x) * ops.cast(pair_mask, x.dtype)[..., None]
