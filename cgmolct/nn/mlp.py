"""Small multilayer perceptron and pre-activation residual block."""
from __future__ import annotations

from typing import Sequence

from mindspore import nn

from .activations import make_activation

__all__ = ["MLP", "Residual"]


class MLP(nn.Cell):
    """Dense layers ``dim_in → hidden... → dim_out`` with an activation between them.

    Works on any leading shape: input (..., dim_in) → output (..., dim_out).
    """

    def __init__(self, dim_in: int, dim_out: int, hidden: Sequence[int] = (),
                 activation: str = "ssp", bias_out: bool = True):
        super().__init__()
        dims = [int(dim_in)] + [int(h) for h in hidden] + [int(dim_out)]
        layers = []
        for k in range(len(dims) - 1):
            layers.append(nn.Dense(dims[k], dims[k + 1],
                                   has_bias=bias_out or k < len(dims) - 2))
            if k < len(dims) - 2:
                layers.append(make_activation(activation))
        self.layers = nn.SequentialCell(layers)
        self.dim_in, self.dim_out = dims[0], dims[-1]

    def construct(self, x):
        shape = x.shape
        y = self.layers(x.reshape(-1, shape[-1]))
        return y.reshape(shape[:-1] + (self.dim_out,))


class Residual(nn.Cell):
    r"""Pre-activation residual block (PhysNet): :math:`x + W_2 σ(W_1 σ(x) + b_1) + b_2`."""

    def __init__(self, dim: int, activation: str = "ssp"):
        super().__init__()
        self.act = make_activation(activation)
        self.d1 = nn.Dense(dim, dim)
        self.d2 = nn.Dense(dim, dim)
        self.dim = int(dim)

    def construct(self, x):
        shape = x.shape
        h = x.reshape(-1, self.dim)
        h = self.d2(self.act(self.d1(self.act(h))))
        return x + h.reshape(shape)
