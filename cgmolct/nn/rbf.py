"""Radial basis expansions of distances (log-Gaussian, Gaussian, exponential).

Every basis maps a distance tensor of shape ``(...)`` in Å to ``(..., n_basis)``.  Callers
pass distances that are already *safe* (masked and self pairs replaced by a positive value
before any ``sqrt``/``log``), see :func:`cgmolct.nn.geometry.neighbour_vectors`.
"""
from __future__ import annotations

import math

import numpy as np
from mindspore import Tensor, nn, ops

from ..errors import ModelError

__all__ = ["LogGaussianRBF", "GaussianRBF", "ExponentialRBF", "make_rbf"]


def _check_range(name: str, r_min: float, r_cut: float) -> None:
    if not (np.isfinite(r_min) and np.isfinite(r_cut) and 0.0 <= r_min < r_cut):
        raise ModelError(f"{name}: need 0 <= r_min < r_cut (Å); got r_min={r_min}, r_cut={r_cut}")


class LogGaussianRBF(nn.Cell):
    r"""Log-distance Gaussian radial basis (MolCT, eq. 2; Cybertron defaults).

    .. math:: e_k(r) = \exp\left(-\frac{(\log(r / r_\mathrm{ref}) - \mu_k)^2}{2\sigma^2}\right),

    :math:`\mu_k` evenly spaced by ``spacing`` from :math:`\log(r_\mathrm{min}/r_\mathrm{ref})`
    to :math:`\log(r_\mathrm{cut}/r_\mathrm{ref})`.  With the defaults (0.4 Å, 10 Å,
    ``spacing`` 0.0512, σ 0.3) there are 64 bases.  ``e_k(0) = 0`` is the limit at r → 0.

    Parameters
    ----------
    r_min, r_cut : float
        Range of the centres in Å (defaults 0.4 and 10.0).
    sigma : float
        Width in log-distance units (default 0.3).
    spacing : float
        Spacing of the centres in log-distance units (default 0.0512).
    r_ref : float
        Reference length in Å (default 1.0).

    Returns
    -------
    (..., n_basis) float32 tensor for distances ``(...)`` in Å (all > 0).
    """

    def __init__(self, r_min: float = 0.4, r_cut: float = 10.0, sigma: float = 0.3,
                 spacing: float = 0.0512, r_ref: float = 1.0):
        super().__init__()
        _check_range("LogGaussianRBF", r_min, r_cut)
        if r_min <= 0 or sigma <= 0 or spacing <= 0 or r_ref <= 0:
            raise ModelError(f"LogGaussianRBF: r_min, sigma, spacing and r_ref must be > 0; got "
                             f"{r_min}, {sigma}, {spacing}, {r_ref}")
        lo, hi = math.log(r_min / r_ref), math.log(r_cut / r_ref)
        self.n_basis = int(math.ceil((hi - lo) / spacing - 1e-9)) + 1
        centres = lo + spacing * np.arange(self.n_basis)
        self.centres = Tensor(centres.astype(np.float32))
        self.coeff = -0.5 / sigma ** 2
        self.r_ref = float(r_ref)

    def construct(self, distances):
        log_r = ops.log(distances / self.r_ref)[..., None]
        x = ops.broadcast_to(log_r, log_r.shape[:-1] + (self.n_basis,)) - self.centres
        return ops.exp(self.coeff * x * x)


class GaussianRBF(nn.Cell):
    r"""Gaussian radial basis (SchNet): :math:`e_k(r) = \exp(-(r - \mu_k)^2 / 2w^2)`.

    Parameters
    ----------
    r_min, r_cut : float
        Centres evenly spaced in [r_min, r_cut] Å (defaults 0 and 10).
    n_basis : int
        Number of centres (default 64).
    width : float, optional
        Width w in Å; default the spacing of the centres.

    Returns
    -------
    (..., n_basis) tensor for distances ``(...)`` in Å.
    """

    def __init__(self, r_min: float = 0.0, r_cut: float = 10.0, n_basis: int = 64,
                 width: float | None = None):
        super().__init__()
        _check_range("GaussianRBF", r_min, r_cut)
        if n_basis < 2:
            raise ModelError(f"GaussianRBF: n_basis must be >= 2, got {n_basis}")
        self.n_basis = int(n_basis)
        centres = np.linspace(r_min, r_cut, self.n_basis)
        width = float(centres[1] - centres[0]) if width is None else float(width)
        self.centres = Tensor(centres.astype(np.float32))
        self.coeff = -0.5 / width ** 2

    def construct(self, distances):
        r = distances[..., None]
        x = ops.broadcast_to(r, r.shape[:-1] + (self.n_basis,)) - self.centres
        return ops.exp(self.coeff * x * x)


class ExponentialRBF(nn.Cell):
    r"""Exponential radial basis of PhysNet (Unke & Meuwly 2019, eq. 7, without cutoff).

    .. math:: e_k(r) = \exp(-\beta_k (\exp(-r) - \mu_k)^2),

    :math:`\mu_k` evenly spaced in [exp(−r_cut), 1] and
    :math:`\beta_k = (2 (1 - \exp(-r_\mathrm{cut})) / K)^{-2}`.  Multiply by a cutoff
    function (PhysNet uses :class:`~cgmolct.nn.cutoff.SmoothCutoff`).

    Returns
    -------
    (..., n_basis) tensor for distances ``(...)`` in Å.
    """

    def __init__(self, r_cut: float = 10.0, n_basis: int = 64):
        super().__init__()
        _check_range("ExponentialRBF", 0.0, r_cut)
        self.n_basis = int(n_basis)
        lo = math.exp(-r_cut)
        self.centres = Tensor(np.linspace(lo, 1.0, self.n_basis).astype(np.float32))
        self.beta = float((2.0 * (1.0 - lo) / self.n_basis) ** -2)

    def construct(self, distances):
        u = ops.exp(-distances)[..., None]
        x = ops.broadcast_to(u, u.shape[:-1] + (self.n_basis,)) - self.centres
        return ops.exp(-self.beta * x * x)


def make_rbf(kind: str, r_cut: float, n_basis: int | None = None) -> nn.Cell:
    """Build a basis by name: ``"log_gaussian"``, ``"gaussian"`` or ``"exponential"``."""
    if kind == "log_gaussian":
        return LogGaussianRBF(r_cut=r_cut)
    if kind == "gaussian":
        return GaussianRBF(r_cut=r_cut, n_basis=n_basis or 64)
    if kind == "exponential":
        return ExponentialRBF(r_cut=r_cut, n_basis=n_basis or 64)
    raise ModelError(f"unknown radial basis {kind!r}; expected log_gaussian, gaussian or exponential")
