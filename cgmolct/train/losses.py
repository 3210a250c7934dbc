"""Loss cells for training: energies, forces, graph labels, edge labels, ACT ponder cost.

Every loss takes tensors already in the *normalised* frame of the trainer (targets divided
by the data scale) or in physical units; the loss cells themselves are unit-agnostic apart
from :class:`UnitFreeEnergyForceLoss`, whose weights make the two terms dimensionless.

All cells are twice differentiable where needed (the force term is differentiated w.r.t.
the parameters after F = −∂E/∂R was taken) and mask padded beads / pairs.
"""
from __future__ import annotations

from typing import Sequence

import mindspore as ms
from mindspore import nn, ops

__all__ = [
    "EnergyLoss",
    "ForceLoss",
    "UnitFreeEnergyForceLoss",
    "LabelLoss",
    "EdgeBCELoss",
    "PonderCost",
    "WeightedSum",
]


def _reduce(err, kind: str):
    if kind == "mse":
        return err * err
    return ops.abs(err)


class EnergyLoss(nn.Cell):
    r"""Energy loss per molecule, optionally divided by the number of beads.

    .. math:: L_E = \frac{1}{B}\sum_b \ell\!\left(\frac{E_b - \hat E_b}{N_b^{p}}\right),

    with :math:`\ell` the square (``"mse"``) or absolute value (``"mae"``), and p = 1 when
    ``per_bead`` else 0.

    Parameters
    ----------
    kind : {"mse", "mae"}
    per_bead : bool
        Divide the energy error by the number of real beads N_b (an intensive loss).

    Inputs
    ------
    pred, target : (B,) tensors, kcal/mol (or normalised units).
    n_beads : (B,) float tensor, number of real beads.

    Returns
    -------
    Scalar tensor.
    """

    def __init__(self, kind: str = "mse", per_bead: bool = False):
        super().__init__()
        if kind not in ("mse", "mae"):
            raise ValueError(f"loss kind must be 'mse' or 'mae', got {kind!r}")
        self.kind = kind
        self.per_bead = bool(per_bead)

    def construct(self, pred, target, n_beads):
        err = pred - target
        if self.per_bead:
            err = err / n_beads
        return _reduce(err, self.kind).mean()


class ForceLoss(nn.Cell):
    r"""Force loss averaged over real beads and the three components.

    .. math:: L_F = \frac{1}{3\sum_b N_b}\sum_{b,i \le N_b} \ell(F_{bi} - \hat F_{bi})

    Inputs
    ------
    pred, target : (B, N, 3) tensors, kcal/mol/Å (or normalised units).
    mask : (B, N) float tensor, 1 for real beads.

    Returns
    -------
    Scalar tensor.
    """

    def __init__(self, kind: str = "mse"):
        super().__init__()
        if kind not in ("mse", "mae"):
            raise ValueError(f"loss kind must be 'mse' or 'mae', got {kind!r}")
        self.kind = kind

    def construct(self, pred, target, mask):
        err = _reduce(pred - target, self.kind) * mask[:, :, None]
        return err.sum() / (3.0 * mask.sum() + 1e-12)


class UnitFreeEnergyForceLoss(nn.Cell):
    r"""The unit-free energy + force loss of the seed lecture.

    .. math:: L = \frac{1}{B}\sum_b \left[ w_E \left(\frac{\Delta E_b}{N_b\, d_E}\right)^2
              + \frac{w_F}{N_b} \sum_{i \le N_b} \left|\frac{\Delta F_{bi}}{d_F}\right|^2 \right]

    d_E (kcal/mol per bead) and d_F (kcal/mol/Å) are scales from the data statistics
    (for example the standard deviation of E/N and of the force components), so both terms are
    dimensionless and ``w_E``/``w_F`` are plain weights (the MolCT paper's λ = 0.99 weighting
    of forces is w_E = 0.01, w_F = 0.99).

    Parameters
    ----------
    w_energy, w_forces : float
        Weights of the two terms.
    energy_scale, force_scale : float
        d_E in kcal/mol per bead and d_F in kcal/mol/Å (> 0).

    Inputs
    ------
    e_pred, e_target : (B,) kcal/mol.  f_pred, f_target : (B, N, 3) kcal/mol/Å.
    mask : (B, N) float, 1 for real beads.

    Returns
    -------
    Scalar tensor (dimensionless).
    """

    def __init__(self, w_energy: float = 0.01, w_forces: float = 0.99,
                 energy_scale: float = 1.0, force_scale: float = 1.0):
        super().__init__()
        if energy_scale <= 0 or force_scale <= 0:
            raise ValueError(f"energy_scale and force_scale must be > 0, got {energy_scale}, {force_scale}")
        self.w_energy = float(w_energy)
        self.w_forces = float(w_forces)
        self.inv_de = 1.0 / float(energy_scale)
        self.inv_df = 1.0 / float(force_scale)

    def construct(self, e_pred, e_target, f_pred, f_target, mask):
        n = mask.sum(-1)
        de = (e_pred - e_target) / n * self.inv_de
        df = (f_pred - f_target) * self.inv_df * mask[:, :, None]
        f_term = (df * df).sum((1, 2)) / n
        return (self.w_energy * de * de + self.w_forces * f_term).mean()


class LabelLoss(nn.Cell):
    r"""Per-column loss of graph-level labels (QM9 properties), averaged over the batch.

    .. math:: L = \sum_k w_k \frac{1}{B}\sum_b \ell\!\left(\frac{y_{bk} - \hat y_{bk}}{s_k}\right)

    Parameters
    ----------
    scales : sequence of float
        s_k, one per label column, in the label's physical unit (> 0).
    weights : sequence of float, optional
        w_k (default 1/L each).
    kind : {"mse", "mae"}

    Inputs
    ------
    pred, target : (B, L) tensors in physical units.

    Returns
    -------
    Scalar tensor (dimensionless).
    """

    def __init__(self, scales: Sequence[float], weights: Sequence[float] | None = None,
                 kind: str = "mse"):
        super().__init__()
        import numpy as np

        scales = np.asarray(scales, np.float32)
        if (scales <= 0).any():
            raise ValueError(f"label scales must be > 0, got {scales.tolist()}")
        if weights is None:
            weights = np.full(len(scales), 1.0 / len(scales), np.float32)
        weights = np.asarray(weights, np.float32)
        if weights.shape != scales.shape:
            raise ValueError(f"label weights have shape {weights.shape}; expected {scales.shape}")
        self.inv_scale = ms.Tensor(1.0 / scales)
        self.weights = ms.Tensor(weights)
        self.kind = kind

    def construct(self, pred, target):
        err = _reduce((pred - target) * self.inv_scale, self.kind)
        return (err.mean(0) * self.weights).sum()


class EdgeBCELoss(nn.Cell):
    r"""Binary cross-entropy of edge (contact) logits over real pairs.

    .. math:: L = -\frac{1}{\sum m}\sum_{bp} m_{bp}\,[y\log\sigma(z) + (1-y)\log(1-\sigma(z))]

    computed stably as max(z, 0) − z y + log(1 + exp(−|z|)).

    Parameters
    ----------
    pos_weight : float
        Weight of positive pairs (> 1 for rare contacts).

    Inputs
    ------
    logits, labels : (B, P) float.  mask : (B, P) float, 1 for real pairs.
    """

    def __init__(self, pos_weight: float = 1.0):
        super().__init__()
        self.pos_weight = float(pos_weight)

    def construct(self, logits, labels, mask):
        loss = ops.maximum(logits, 0.0) - logits * labels + ops.log(1.0 + ops.exp(-ops.abs(logits)))
        weight = mask * (1.0 + (self.pos_weight - 1.0) * labels)
        return (loss * weight).sum() / (mask.sum() + 1e-12)


class PonderCost(nn.Cell):
    r"""ACT ponder cost τ · mean over real beads of (N_cycles + remainder) (Graves 2016).

    Inputs
    ------
    ponder : (B, N) float, cycles used plus remainder per bead.  mask : (B, N) float.
    """

    def __init__(self, tau: float = 0.01):
        super().__init__()
        self.tau = float(tau)

    def construct(self, ponder, mask):
        return self.tau * (ponder * mask).sum() / (mask.sum() + 1e-12)


class WeightedSum(nn.Cell):
    """Weighted sum of scalar task losses: L = Σ_t w_t L_t (weights fixed at construction)."""

    def __init__(self, weights: Sequence[float]):
        super().__init__()
        self.weights = [float(w) for w in weights]

    def construct(self, *losses):
        total = losses[0] * self.weights[0]
        for k in range(1, len(losses)):
            total = total + losses[k] * self.weights[k]
        return total
