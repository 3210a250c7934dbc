"""Energy model with forces by autodiff, and the compiled force-matching training step.

``EnergyForceModel(representation, readout)`` computes the potential energy
``E = Σ_i y(n_i)`` (kcal/mol) of each molecule with a :class:`NodeReadout` and the forces
``F = −∂E/∂R`` (kcal/mol/Å) by automatic differentiation with respect to the positions.

Training on forces needs the second-order gradient ∂²E/∂R∂θ.  MindSpore 2.10 returns zeros
for nested gradients in pure PyNative mode, so :class:`ForceMatchingStep` (a
:class:`~cgmolct.train.step.TrainStep`) always runs compiled.
"""
from __future__ import annotations

from typing import Dict, Optional

from mindspore import nn, ops

from ..data import keys
from ..errors import ModelError
from ..models.base import RepresentationModel, as_model_inputs, check_model_inputs
from ..models.registry import register
from .forces import Forces
from .node import NodeReadout

__all__ = ["EnergyForceModel", "EnergyOfEmbedding", "ForceMatchingLoss", "ForceMatchingStep"]


class _PositionsFirst(nn.Cell):
    """Energy (B,) as a function of positions first (GradOperation differentiates input 0)."""

    def __init__(self, representation, readout):
        super().__init__()
        self.representation = representation
        self.readout = readout

    def construct(self, positions, types, atom_mask, neighbours, neighbour_mask,
                  rel_neighbours, rel_codes, rel_mask):
        h = self.representation(types, positions, atom_mask, neighbours, neighbour_mask,
                                rel_neighbours, rel_codes, rel_mask)
        return self.readout(h, types, atom_mask)[:, 0]


class EnergyOfEmbedding(nn.Cell):
    """Energy (B,) from positions and precomputed features ``h = representation.embed(...)``.

    The same function as the model's ``potential`` with the position-independent part (type
    embedding, MolCT's RME) taken out, for loops that change only the positions: the
    simulator computes ``h`` once per run (:class:`cgmolct.simulate.CGPotential`).

    Inputs: positions (B, N, 3) Å first, then h (B, N, F), types, atom_mask, neighbours,
    neighbour_mask.
    """

    def __init__(self, representation, readout):
        super().__init__(auto_prefix=False)
        self.representation = representation
        self.readout = readout

    def construct(self, positions, h, types, atom_mask, neighbours, neighbour_mask):
        h = self.representation.interact(h, positions, atom_mask, neighbours, neighbour_mask)
        return self.readout(h, types, atom_mask)[:, 0]


@register
class EnergyForceModel(nn.Cell):
    """Potential energy and forces of a representation + node readout.

    Parameters
    ----------
    representation : RepresentationModel
        MolCT (with ``fixed_cycles=True`` or ``max_cycles=1`` for a smooth potential),
        SchNet or PhysNet.
    readout : NodeReadout, optional
        Its first output is the energy; default ``NodeReadout(representation.dim)``.

    Inputs
    ------
    The eight arrays of ``keys.MODEL_INPUTS``.

    Returns
    -------
    energy : (B,) kcal/mol
    forces : (B, N, 3) kcal/mol/Å, ``−∂E/∂R`` (zero on padded beads).
    """

    def __init__(self, representation: RepresentationModel,
                 readout: Optional[NodeReadout] = None):
        super().__init__()
        if not isinstance(representation, RepresentationModel):
            raise ModelError(f"EnergyForceModel needs a MolCT, SchNet or PhysNet representation, "
                             f"got {type(representation).__name__}")
        if readout is None:
            readout = NodeReadout(representation.dim)
        if not isinstance(readout, NodeReadout) or readout.dim != representation.dim:
            raise ModelError("EnergyForceModel: readout must be a NodeReadout with dim "
                             f"{representation.dim} (the representation's feature size)")
        if getattr(representation, "supports_details", False) and representation.output_details:
            raise ModelError("EnergyForceModel: call set_output_details(False) on the representation")
        self.potential = _PositionsFirst(representation, readout)
        self.forces = Forces(self.potential)

    @property
    def representation(self) -> RepresentationModel:
        return self.potential.representation

    @property
    def readout(self) -> NodeReadout:
        return self.potential.readout

    def get_config(self) -> Dict:
        return dict(representation=self.representation, readout=self.readout)

    def __call__(self, *args, **kwargs):
        if len(args) == len(keys.MODEL_INPUTS) and not kwargs:
            check_model_inputs(args)
            args = as_model_inputs(args)
        return super().__call__(*args, **kwargs)

    def construct(self, types, positions, atom_mask, neighbours, neighbour_mask,
                  rel_neighbours, rel_codes, rel_mask):
        return self.forces(positions, types, atom_mask, neighbours, neighbour_mask,
                           rel_neighbours, rel_codes, rel_mask)


class ForceMatchingLoss(nn.Cell):
    """Weighted mean-squared error on forces and energies.

    .. math:: L = w_F \\frac{\\sum_{b,i} m_{bi} |F_{bi} - F^\\mathrm{ref}_{bi}|^2}{3 \\sum m}
              + w_E \\frac{1}{B} \\sum_b \\left(\\frac{E_b - E^\\mathrm{ref}_b}{N_b}\\right)^2

    Inputs: the eight model inputs, then energy (B,) kcal/mol and forces (B, N, 3)
    kcal/mol/Å.  Returns the scalar loss.
    """

    def __init__(self, model: EnergyForceModel, force_weight: float = 1.0,
                 energy_weight: float = 0.0):
        super().__init__()
        self.model = model
        self.force_weight = float(force_weight)
        self.energy_weight = float(energy_weight)

    def construct(self, types, positions, atom_mask, neighbours, neighbour_mask,
                  rel_neighbours, rel_codes, rel_mask, energy, forces):
        e, f = self.model(types, positions, atom_mask, neighbours, neighbour_mask,
                          rel_neighbours, rel_codes, rel_mask)
        m = ops.cast(atom_mask, f.dtype)
        diff = f - forces
        loss_f = ((diff * diff).sum(-1) * m).sum() / ops.maximum(3.0 * m.sum(), 1.0)
        per_bead = (e - energy) / ops.maximum(m.sum(1), 1.0)
        loss_e = (per_bead * per_bead).mean()
        return self.force_weight * loss_f + self.energy_weight * loss_e


class ForceMatchingStep:
    """One compiled optimisation step on :class:`ForceMatchingLoss`.

    A :class:`cgmolct.train.step.TrainStep` (the library's one training step: loss,
    gradients, finite check, clipping and the update in one compiled graph) around
    :class:`ForceMatchingLoss`, at the optimiser's learning rate (change it with the
    ``learning_rate`` attribute, in 1/step units of the optimiser).

    Parameters
    ----------
    model : EnergyForceModel
    optimizer : mindspore.nn.Optimizer
        Built on ``model.trainable_params()`` with a scalar learning rate.
    force_weight, energy_weight : float
        Loss weights (defaults 1 and 0).
    clip : float
        Clip gradients to this global norm (0: off).

    Call with the eight model inputs followed by energy (B,) and forces (B, N, 3); returns
    (loss, gradient norm).  Compiled once per input shape.
    """

    def __init__(self, model: EnergyForceModel, optimizer, force_weight: float = 1.0,
                 energy_weight: float = 0.0, clip: float = 0.0):
        from ..train.step import TrainStep

        if not isinstance(model, EnergyForceModel):
            raise ModelError(f"ForceMatchingStep needs an EnergyForceModel, got {type(model).__name__}")
        self.step = TrainStep(ForceMatchingLoss(model, force_weight, energy_weight), optimizer, clip)
        self.learning_rate = float(optimizer.learning_rate.asnumpy())

    def __call__(self, *inputs):
        import numpy as np
        from mindspore import Tensor

        return self.step(Tensor(np.float32(self.learning_rate)), *inputs)
