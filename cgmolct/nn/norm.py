"""Layer normalisation written from primitives.

MindSpore's ``nn.LayerNorm`` has no second-order gradient in PyNative mode; forces trained
by gradient descent (loss on −∂E/∂R) need one, so every model here uses this cell.
"""
from __future__ import annotations

import numpy as np
import mindspore as ms
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

    Returns
    -------
    Tensor of the input's shape ``(..., dim)``.
    """

    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.dim = int(dim)
        self.eps = float(eps)
        self.gamma = Parameter(Tensor(np.ones(self.dim, np.float32)), name="gamma")
        self.beta = Parameter(Tensor(np.zeros(self.dim, np.float32)), name="beta")

    def construct(self, x):
        mean = x.mean(-1, keep_dims=True)
        centred = x - mean
        var = (centred * centred).mean(-1, keep_dims=True)
        return centred / ops.sqrt(var + self.eps) * self.gamma + self.beta
