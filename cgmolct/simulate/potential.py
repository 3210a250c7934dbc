"""The CG potential of a simulation: network energy + priors, one gradient for the forces.

    E(R) = E_net(R; types, neighbours, relations) + E_priors(R)        (kcal/mol)
    F(R) = −∂E/∂R                                                      (kcal/mol/Å)

The two energies are summed *before* the gradient, which is taken once by
:class:`cgmolct.readouts.forces.Forces` (the library's one force derivation).  Either part
may be absent: a priors-only potential simulates the fitted priors alone, a network-only
potential a model trained without priors.

A MolCT model with adaptive computation time (ACT) changes its number of cycles, and so
its energy, discontinuously as beads move; such a potential is refused
(:func:`check_smooth`): use ``fixed_cycles=True`` (or plain EA blocks) for MD.
"""
from __future__ import annotations

from typing import Optional

from mindspore import nn

from ..errors import InputError

__all__ = ["CGPotential", "check_smooth"]


def check_smooth(model) -> None:
    """Raise :class:`InputError` when ``model`` contains a MolCT block with ACT halting.

    Parameters
    ----------
    model : mindspore.nn.Cell
        An :class:`~cgmolct.readouts.EnergyForceModel` (or any cell containing one).
    """
    from ..models.molct import InteractionUnit

    for name, cell in model.cells_and_names():
        if isinstance(cell, InteractionUnit) and not cell.plain and not cell.fixed_cycles:
            raise InputError(
                f"the model uses adaptive computation time (MolCT block {name or 'blocks'} with "
                f"max_cycles={cell.max_cycles}, fixed_cycles=False): its energy jumps when a bead's "
                "cycle count changes, so it cannot drive MD; train or rebuild it with "
                "fixed_cycles=True")


class _NetworkEnergy(nn.Cell):
    """E_net(positions, types, ...) of an EnergyForceModel (its ``potential`` part)."""

    def __init__(self, model):
        super().__init__(auto_prefix=False)
        self.model = model

    def construct(self, positions, types, atom_mask, neighbours, neighbour_mask,
                  rel_neighbours, rel_codes, rel_mask):
        return self.model.potential(positions, types, atom_mask, neighbours, neighbour_mask,
                                    rel_neighbours, rel_codes, rel_mask)


class _EnergyOfFeatures(nn.Cell):
    """Network energy from precomputed bead features, plus priors: the loop-time potential."""

    def __init__(self, model, priors):
        super().__init__(auto_prefix=False)
        from ..readouts.energy import EnergyOfEmbedding

        self.network = EnergyOfEmbedding(model.representation, model.readout)
        self.priors = priors
        self.has_priors = priors is not None

    def construct(self, positions, features, types, atom_mask, neighbours, neighbour_mask):
        energy = self.network(positions, features, types, atom_mask, neighbours, neighbour_mask)
        if self.has_priors:
            energy = energy + self.priors(positions)
        return energy


class CGPotential(nn.Cell):
    """Energy (B,) kcal/mol of positions (B, N, 3) Å: network + priors.

    Parameters
    ----------
    model : cgmolct.readouts.EnergyForceModel, optional
        The trained network; its ``potential(positions, types, atom_mask, neighbours,
        neighbour_mask, rel_neighbours, rel_codes, rel_mask) -> (B,)`` is used.  Set to
        inference mode.  MolCT with ACT halting is refused (:func:`check_smooth`).
    priors : mindspore.nn.Cell, optional
        ``priors(positions (B, N, 3)) -> energy (B,)`` in kcal/mol, e.g. a
        :class:`cgmolct.priors.PriorSet`.

    Inputs
    ------
    positions (B, N, 3) Å first, then the seven other model inputs of
    :data:`cgmolct.data.keys.MODEL_INPUTS` (types, atom_mask, neighbours, neighbour_mask,
    rel_neighbours, rel_codes, rel_mask); a priors-only potential ignores them.

    Attributes
    ----------
    r_cut : float or None
        The network's cutoff in Å (None without a network).
    of_features : mindspore.nn.Cell or None
        The same energy as a function of ``(positions, features, types, atom_mask,
        neighbours, neighbour_mask)`` with ``features = embed(types, atom_mask,
        rel_neighbours, rel_codes, rel_mask)``, the position-independent part of the network
        (type embedding, MolCT's RME) computed beforehand: the simulation loop computes the
        features once per call instead of once per step.  None without a network.
    """

    def __init__(self, model=None, priors: Optional[nn.Cell] = None):
        super().__init__()
        if model is None and priors is None:
            raise InputError("CGPotential needs a model, priors, or both")
        if model is not None:
            from ..readouts.energy import EnergyForceModel

            if not isinstance(model, EnergyForceModel):
                raise InputError(f"CGPotential: model must be an EnergyForceModel, got "
                                 f"{type(model).__name__}")
            check_smooth(model)
            model.set_train(False)
        if priors is not None and not isinstance(priors, nn.Cell):
            raise InputError(f"CGPotential: priors must be a MindSpore cell priors(positions) -> "
                             f"energy, got {type(priors).__name__}")
        self.has_model = model is not None
        self.has_priors = priors is not None
        self.network = _NetworkEnergy(model) if model is not None else None
        self.priors = priors
        self.r_cut = float(model.representation.r_cut) if model is not None else None
        self.of_features = _EnergyOfFeatures(model, priors) if model is not None else None

    def embed(self, types, atom_mask, rel_neighbours, rel_codes, rel_mask):
        """Position-independent bead features (B, N, F) of the network (the input of
        :attr:`of_features`)."""
        return self.network.model.representation.embed(types, atom_mask, rel_neighbours,
                                                       rel_codes, rel_mask)

    @property
    def model(self):
        """The EnergyForceModel (None for a priors-only potential)."""
        return self.network.model if self.network is not None else None

    def construct(self, positions, types, atom_mask, neighbours, neighbour_mask,
                  rel_neighbours, rel_codes, rel_mask):
        if self.has_model:
            energy = self.network(positions, types, atom_mask, neighbours, neighbour_mask,
                                  rel_neighbours, rel_codes, rel_mask)
            if self.has_priors:
                energy = energy + self.priors(positions)
            return energy
        return self.priors(positions)
