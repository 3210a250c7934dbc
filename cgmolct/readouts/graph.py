"""Graph readout: permutation-invariant pooling of node features into one vector.

``sum``: Σ_i n_i;  ``mean``: Σ_i n_i / N;  ``attention``: Σ_i a_i n_i with
a = softmax_i(w · LN-free MLP(n_i)) over real beads.  An optional MLP maps the pooled
vector to ``dim_out``.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence

from mindspore import nn, ops

from ..errors import ModelError
from ..models.base import check_dims, check_readout_inputs
from ..models.registry import register
from ..nn.mlp import MLP

__all__ = ["GraphReadout"]


@register
class GraphReadout(nn.Cell):
    """Pool node features (B, N, F) with the atom mask (B, N) into (B, dim_out).

    Parameters
    ----------
    dim : int
        Input feature size F.
    pooling : str
        ``"sum"``, ``"mean"`` (default) or ``"attention"``.
    dim_out : int, optional
        Output size; None keeps F and applies no MLP.
    hidden : sequence of int
        Hidden sizes of the output MLP (default none).
    """

    def __init__(self, dim: int, pooling: str = "mean", dim_out: Optional[int] = None,
                 hidden: Sequence[int] = (), activation: str = "ssp"):
        super().__init__()
        check_dims("GraphReadout", dim=dim)
        if pooling not in ("sum", "mean", "attention"):
            raise ModelError(f"GraphReadout: pooling must be sum, mean or attention; got {pooling!r}")
        self.dim, self.pooling = int(dim), pooling
        self._config = dict(dim=dim, pooling=pooling, dim_out=dim_out,
                            hidden=[int(h) for h in hidden], activation=activation)
        self.use_mlp = dim_out is not None
        self.dim_out = int(dim_out) if dim_out is not None else self.dim
        if self.use_mlp:
            self.mlp = MLP(dim, self.dim_out, hidden=hidden, activation=activation)
        if pooling == "attention":
            self.score = MLP(dim, 1, hidden=(max(dim // 2, 1),), activation=activation)

    def get_config(self) -> Dict:
        return dict(self._config)

    def __call__(self, *args, **kwargs):
        if len(args) == 2 and not kwargs:
            check_readout_inputs("GraphReadout", [("features", args[0], ("B", "N", self.dim)),
                                                  ("atom_mask", args[1], ("B", "N"))])
        return super().__call__(*args, **kwargs)

    def construct(self, features, atom_mask):
        mask = ops.cast(atom_mask, features.dtype)
        if self.pooling == "attention":
            s = self.score(features)[..., 0]
            s = ops.where(atom_mask, s, ops.ones_like(s) * -1e4)
            s = s - ops.stop_gradient(s.max(axis=1, keepdims=True))
            e = ops.exp(s) * mask
            a = e / (e.sum(1, keepdims=True) + 1e-12)
            pooled = (features * a[..., None]).sum(1)
        else:
            pooled = (features * mask[..., None]).sum(1)
            if self.pooling == "mean":
                pooled = pooled / ops.maximum(mask.sum(1, keepdims=True), 1.0)
        if self.use_mlp:
            pooled = self.mlp(pooled)
        return pooled
