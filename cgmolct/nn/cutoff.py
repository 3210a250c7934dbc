"""Cutoff functions f(r) that go smoothly from 1 at r = 0 to 0 at r = r_cut (Å)."""
from __future__ import annotations

import math

from mindspore import nn, ops

from ..errors import ModelError

__all__ = ["SmoothCutoff", "CosineCutoff", "make_cutoff"]


class _Cutoff(nn.Cell):
    """Base of the cutoff cells: holds and checks ``r_cut`` (Å, > 0)."""

    def __init__(self, r_cut: float = 10.0):
        super().__init__()
        if not r_cut > 0:
            raise ModelError(f"cutoff must be > 0 Å, got {r_cut}")
        self.r_cut = float(r_cut)


class SmoothCutoff(_Cutoff):
    r"""Polynomial cutoff :math:`f(x) = 1 - 6x^5 + 15x^4 - 10x^3`, :math:`x = r / r_\mathrm{cut}`.

    Value, first and second derivative vanish at the cutoff; f = 0 for r >= r_cut.
    Evaluated as ``y^3 (10 - 15 y + 6 y^2)`` with ``y = 1 - x`` (the same polynomial).

    Returns
    -------
    Tensor of the shape of ``distances`` (Å), values in [0, 1].
    """

    def construct(self, distances):
        # 1 - S(x) = S(1 - x) for the smoothstep S: accurate (and >= 0) near the cutoff
        y = 1.0 - ops.clamp(distances / self.r_cut, 0.0, 1.0)
        return y * y * y * (10.0 - 15.0 * y + 6.0 * y * y)


class CosineCutoff(_Cutoff):
    r"""Cosine cutoff :math:`f(r) = \tfrac12(\cos(\pi r / r_\mathrm{cut}) + 1)` for r < r_cut, else 0."""

    def construct(self, distances):
        x = ops.clamp(distances / self.r_cut, 0.0, 1.0)
        return 0.5 * (ops.cos(x * math.pi) + 1.0)


def make_cutoff(kind: str, r_cut: float) -> nn.Cell:
    """Build a cutoff by name: ``"smooth"`` or ``"cosine"``."""
    if kind == "smooth":
        return SmoothCutoff(r_cut)
    if kind == "cosine":
        return CosineCutoff(r_cut)
    raise ModelError(f"unknown cutoff {kind!r}; expected smooth or cosine")
