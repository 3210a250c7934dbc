"""Layer normalisation written from primitives.

MindSpore's ``nn.LayerNorm`` has no second-order gradient in PyNative mode; forces trained
by gradient descent (loss on −∂E/∂R) need one, so every model here uses this cell.
"""
from __future__ import annotations

import numpy as np
from mindspore import Parameter, Tensor, nn, ops

__all__ = ["LayerNorm"]


class LayerNorm(nn.Cell):
    r"""Layer normalisation over the last axis, twice differentiable.

    .. math:: y = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} \odot \gamma + \beta,

    with :math:`\mu, \sigma^2` the mean and (biased) variance over the last axis.

    Parameters
    ----------
    dim : int
        Size of the last axis.
    eps : float
        Added to the variance (default 1e-5).
    affine : bool
        Learn γ and β (default True).  Without them the cell costs less memory; use it where
        the next layer is linear and absorbs them (the keys/values of attention).

    Returns
    -------
    Tensor of the input's shape ``(..., dim)``.
    """

    def __init__(self, dim: int, eps: float = 1e-5, affine: bool = True):
        super().__init__()
        self.dim = int(dim)
        self.eps = float(eps)
        self.affine = bool(affine)
        if self.affine:
            self.gamma = Parameter(Tensor(np.ones(self.dim, np.float32)), name="gamma")
            self.beta = Parameter(Tensor(np.zeros(self.dim, np.float32)), name="beta")

    def construct(self, x):
        # explicit broadcast_to: implicit (..., 1) broadcasting costs several extra copies
        # of x in MindSpore's CPU graph mode (measured: 16 → 2 tensors of x's size)
        shape = x.shape
        centred = x - ops.broadcast_to(x.mean(-1, keep_dims=True), shape)
        var = (centred * centred).mean(-1, keep_dims=True)
        y = centred * ops.broadcast_to(ops.rsqrt(var + self.eps), shape)
        if self.affine:
            y = y * ops.broadcast_to(self.gamma, shape) + ops.broadcast_to(self.beta, shape)
        return y
