"""The one force derivation of the library: F = −∂E/∂R of any potential cell.

Every place that needs forces (the energy model, training objectives, the chunked inference
path, CG potentials with priors in the simulator) wraps its energy in :class:`Forces`, so the
sign, the summation over the batch and the gradient call exist once.

Training on forces needs the second-order gradient ∂²E/∂R∂θ; MindSpore 2.10 returns zeros for
nested gradients in pure PyNative mode, so a cell containing :class:`Forces` that is trained
must run compiled (``ms.jit`` or GRAPH mode), as :class:`cgmolct.train.step.TrainStep` does.
"""
from __future__ import annotations

from mindspore import nn, ops

__all__ = ["Forces"]


class Forces(nn.Cell):
    """Energy and forces of a potential: ``(E, −∂E/∂R)``, from one forward pass.

    The energy and its gradient come from one ``value_and_grad`` call.  A separate energy call
    beside the gradient ran the forward pass twice in the simulation loop (10 % of a step of
    MolCT NIU1 on 5 beads × 64 replicas).  The energy is not an auxiliary output: MindSpore
    detaches those from outer gradients, which would cut the energy term of a training loss
    from the weights.

    Parameters
    ----------
    potential : mindspore.nn.Cell
        ``potential(positions, *rest) -> energy`` with positions (B, N, 3) in Å **first** and
        energy (B,) in kcal/mol.  Samples of a batch must not interact (their energies are
        summed before the gradient).

    Returns
    -------
    energy : (B,) kcal/mol
    forces : (B, N, 3) kcal/mol/Å
    """

    def __init__(self, potential: nn.Cell):
        super().__init__(auto_prefix=False)
        self.potential = potential
        # the gradient of a (B,) output is that of its sum (unit sensitivity per sample)
        self.value_and_grad = ops.value_and_grad(potential, grad_position=0, weights=None)

    def construct(self, positions, *rest):
        energy, d_e = self.value_and_grad(positions, *rest)
        return energy, -d_e
