"""Training objectives: a model plus a loss, as one cell of named batch inputs.

Every objective declares ``INPUTS``, the batch keys (:mod:`cgmolct.data.keys`) it takes
positionally, in order; the trainer feeds exactly those arrays, so a new task (contacts,
embeddings, ...) brings its own objective and data set without touching the trainer.
``construct`` returns the scalar loss.  ``predict`` cells declare ``INPUTS`` too and return
the predictions in physical units for validation.

Models return either a tensor (energy (B,) / (B, 1), or labels (B, L)) or a tuple whose first
element is that tensor; an :class:`~cgmolct.readouts.EnergyForceModel` returns
(energy, forces) itself.  Forces of any other energy model come from the library's one force
derivation, :class:`cgmolct.readouts.forces.Forces`.
"""
from __future__ import annotations

from mindspore import nn

from ..data import keys as K
from ..readouts.forces import Forces
from .losses import ForceLoss, LabelLoss, PonderCost, UnitFreeEnergyForceLoss, EnergyLoss

__all__ = ["EnergyForceObjective", "ForceObjective", "EnergyObjective", "LabelObjective",
           "EnergyForcePredict", "OutputPredict", "first_output"]


def first_output(out):
    """The first element of a model output (a tensor or a tuple)."""
    if isinstance(out, (tuple, list)):
        return out[0]
    return out


def _as_energy(e):
    if e.ndim == 2:
        return e[:, 0]
    return e


class _PositionsFirstEnergy(nn.Cell):
    """E (B,) of a model as a function of the positions first (the form :class:`Forces` takes)."""

    def __init__(self, model):
        super().__init__(auto_prefix=False)
        self.model = model

    def construct(self, positions, types, atom_mask, nbrs, nbr_mask, rel_nbrs, rel_codes, rel_mask):
        out = self.model(types, positions, atom_mask, nbrs, nbr_mask, rel_nbrs, rel_codes, rel_mask)
        return _as_energy(first_output(out))


class EnergyForcePredict(nn.Cell):
    """Energy (B,) in kcal/mol and forces F = −∂E/∂R (B, N, 3) in kcal/mol/Å of an energy model.

    With ``model_returns_forces`` the model is an energy wrapper returning (energy, forces)
    (:class:`cgmolct.readouts.EnergyForceModel`); otherwise forces come from
    :class:`~cgmolct.readouts.forces.Forces` around the model's energy.
    """

    INPUTS = K.MODEL_INPUTS

    def __init__(self, model, model_returns_forces: bool = False):
        super().__init__(auto_prefix=False)
        self.model = model
        self.returns_forces = bool(model_returns_forces)
        if not self.returns_forces:
            self.forces = Forces(_PositionsFirstEnergy(model))

    def construct(self, types, positions, atom_mask, nbrs, nbr_mask, rel_nbrs, rel_codes, rel_mask):
        if self.returns_forces:
            out = self.model(types, positions, atom_mask, nbrs, nbr_mask, rel_nbrs, rel_codes, rel_mask)
            return _as_energy(out[0]), out[1]
        return self.forces(positions, types, atom_mask, nbrs, nbr_mask, rel_nbrs, rel_codes, rel_mask)


class OutputPredict(nn.Cell):
    """The model's output (energies or graph labels) in physical units; with ``first`` only
    the first element of a tuple output."""

    INPUTS = K.MODEL_INPUTS

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

    INPUTS = K.MODEL_INPUTS + (K.ENERGY, K.FORCES)

    def __init__(self, model, loss: UnitFreeEnergyForceLoss, model_returns_forces: bool = False):
        super().__init__(auto_prefix=False)
        self.predict = EnergyForcePredict(model, model_returns_forces)
        self.loss = loss

    def construct(self, types, positions, atom_mask, nbrs, nbr_mask, rel_nbrs, rel_codes, rel_mask,
                  energy, forces):
        e, f = self.predict(types, positions, atom_mask, nbrs, nbr_mask, rel_nbrs, rel_codes, rel_mask)
        mask = atom_mask.astype(positions.dtype)
        return self.loss(e, energy, f, forces, mask)


class ForceObjective(nn.Cell):
    r"""Force matching without energies (CG data: mapped forces only).

    .. math:: L = \frac{1}{3\sum_b N_b}\sum_{b,i} \left|\frac{F_{bi} - \hat F_{bi}}{d_F}\right|^2

    with d_F (kcal/mol/Å) the force scale of the training data, so the loss is unit-free.
    """

    INPUTS = K.MODEL_INPUTS + (K.FORCES,)

    def __init__(self, model, loss: ForceLoss, force_scale: float = 1.0,
                 model_returns_forces: bool = False):
        super().__init__(auto_prefix=False)
        self.predict = EnergyForcePredict(model, model_returns_forces)
        self.loss = loss
        self.inv_scale = 1.0 / float(force_scale)

    def construct(self, types, positions, atom_mask, nbrs, nbr_mask, rel_nbrs, rel_codes, rel_mask,
                  forces):
        _, f = self.predict(types, positions, atom_mask, nbrs, nbr_mask, rel_nbrs, rel_codes, rel_mask)
        mask = atom_mask.astype(positions.dtype)
        return self.loss(f * self.inv_scale, forces * self.inv_scale, mask)


class EnergyObjective(nn.Cell):
    """Energy-only loss (:class:`~cgmolct.train.losses.EnergyLoss`, per bead, divided by d_E)."""

    INPUTS = K.MODEL_INPUTS + (K.ENERGY,)

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

    INPUTS = K.MODEL_INPUTS + (K.LABELS,)

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
