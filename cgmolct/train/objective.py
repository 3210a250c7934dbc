"""Training objectives: a model plus a loss, as one cell of the model inputs and the targets.

An objective's ``construct`` takes the eight model inputs of
:data:`cgmolct.data.keys.MODEL_INPUTS` followed by the target tensors of its task
(:attr:`Objective.TARGETS`), and returns the scalar loss.  ``predict`` cells return the
predictions in physical units for validation.

Models return either a tensor (energy (B,) / (B, 1), or labels (B, L)) or a tuple whose first
element is that tensor; an energy model whose tuple's second element has the shape of the
positions is taken to return its own forces (an energy wrapper), otherwise forces are
F = −∂E/∂R by automatic differentiation (which must run compiled: see ``cgmolct/_smoke.py``).
"""
from __future__ import annotations

from mindspore import nn, ops

from ..data import keys as K
from .losses import LabelLoss, PonderCost, UnitFreeEnergyForceLoss, EnergyLoss

__all__ = ["EnergyForceObjective", "EnergyObjective", "LabelObjective", "EnergyForcePredict",
           "OutputPredict", "first_output"]


def first_output(out):
    """The first element of a model output (a tensor or a tuple)."""
    if isinstance(out, (tuple, list)):
        return out[0]
    return out


def _as_energy(e):
    if e.ndim == 2:
        return e[:, 0]
    return e


class _EnergySum(nn.Cell):
    """Σ_b E_b as a function of the positions first (for F = −∂E/∂R)."""

    def __init__(self, model):
        super().__init__(auto_prefix=False)
        self.model = model

    def construct(self, positions, types, atom_mask, nbrs, nbr_mask, rel_nbrs, rel_codes, rel_mask):
        out = self.model(types, positions, atom_mask, nbrs, nbr_mask, rel_nbrs, rel_codes, rel_mask)
        return _as_energy(first_output(out)).sum()


class EnergyForcePredict(nn.Cell):
    """Energy (B,) in kcal/mol and forces F = −∂E/∂R (B, N, 3) in kcal/mol/Å of an energy model.

    With ``model_returns_forces`` the model is an energy wrapper returning (energy, forces)
    (:class:`cgmolct.readouts.EnergyForceModel`); otherwise forces are differentiated here.
    """

    def __init__(self, model, model_returns_forces: bool = False):
        super().__init__(auto_prefix=False)
        self.model = model
        self.returns_forces = bool(model_returns_forces)
        self.energy_sum = _EnergySum(model)
        self.grad = ops.GradOperation()

    def construct(self, types, positions, atom_mask, nbrs, nbr_mask, rel_nbrs, rel_codes, rel_mask):
        out = self.model(types, positions, atom_mask, nbrs, nbr_mask, rel_nbrs, rel_codes, rel_mask)
        if self.returns_forces:
            return _as_energy(out[0]), out[1]
        energy = _as_energy(first_output(out))
        grads = self.grad(self.energy_sum)(positions, types, atom_mask, nbrs, nbr_mask,
                                           rel_nbrs, rel_codes, rel_mask)
        return energy, -grads


class OutputPredict(nn.Cell):
    """The model's output (energies or graph labels) in physical units; with ``first`` only
    the first element of a tuple output."""

    def __init__(self, model, first: bool = True):
        super().__init__(auto_prefix=False)
        self.model = model
        self.first = bool(first)

    def construct(self, types, positions, atom_mask, nbrs, nbr_mask, rel_nbrs, rel_codes, rel_mask):
        out = self.model(types, positions, atom_mask, nbrs, nbr_mask, rel_nbrs, rel_codes, rel_mask)
        if self.first:
            return first_output(out)
        return out


class EnergyForceObjective(nn.Cell):
    """Unit-free energy + force loss (:class:`~cgmolct.train.losses.UnitFreeEnergyForceLoss`)."""

    TARGETS = (K.ENERGY, K.FORCES)

    def __init__(self, model, loss: UnitFreeEnergyForceLoss, model_returns_forces: bool = False):
        super().__init__(auto_prefix=False)
        self.predict = EnergyForcePredict(model, model_returns_forces)
        self.loss = loss

    def construct(self, types, positions, atom_mask, nbrs, nbr_mask, rel_nbrs, rel_codes, rel_mask,
                  energy, forces):
        e, f = self.predict(types, positions, atom_mask, nbrs, nbr_mask, rel_nbrs, rel_codes, rel_mask)
        mask = atom_mask.astype(positions.dtype)
        return self.loss(e, energy, f, forces, mask)


class EnergyObjective(nn.Cell):
    """Energy-only loss (:class:`~cgmolct.train.losses.EnergyLoss`, per bead, divided by d_E)."""

    TARGETS = (K.ENERGY,)

    def __init__(self, model, loss: EnergyLoss, energy_scale: float = 1.0):
        super().__init__(auto_prefix=False)
        self.predict = OutputPredict(model)
        self.loss = loss
        self.inv_scale = 1.0 / float(energy_scale)

    def construct(self, types, positions, atom_mask, nbrs, nbr_mask, rel_nbrs, rel_codes, rel_mask,
                  energy):
        e = _as_energy(self.predict(types, positions, atom_mask, nbrs, nbr_mask, rel_nbrs,
                                    rel_codes, rel_mask))
        n = atom_mask.astype(positions.dtype).sum(-1)
        return self.loss(e * self.inv_scale, energy * self.inv_scale, n)


class LabelObjective(nn.Cell):
    """Multi-task graph-label loss (:class:`~cgmolct.train.losses.LabelLoss`), with an optional
    ACT ponder cost when the model returns (labels, ponder)."""

    TARGETS = (K.LABELS,)

    def __init__(self, model, loss: LabelLoss, ponder: PonderCost | None = None):
        super().__init__(auto_prefix=False)
        self.model = model
        self.loss = loss
        self.ponder = ponder
        self.use_ponder = ponder is not None

    def construct(self, types, positions, atom_mask, nbrs, nbr_mask, rel_nbrs, rel_codes, rel_mask,
                  labels):
        out = self.model(types, positions, atom_mask, nbrs, nbr_mask, rel_nbrs, rel_codes, rel_mask)
        loss = self.loss(first_output(out), labels)
        if self.use_ponder:
            loss = loss + self.ponder(out[1], atom_mask.astype(positions.dtype))
        return loss
