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


class _SummedEnergy(nn.Cell):
    """Σ_b E_b(R, ...) — the scalar whose gradient w.r.t. R gives every sample's forces."""

    def __init__(self, potential: nn.Cell):
        super().__init__(auto_prefix=False)
        self.potential = potential

    def construct(self, positions, *rest):
        return self.potential(positions, *rest).sum()


class Forces(nn.Cell):
    """Energy and forces of a potential: ``(E, −∂E/∂R)``.

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
        self.total = _SummedEnergy(potential)
        self.grad = ops.GradOperation()

    def construct(self, positions, *rest):
        energy = self.potential(positions, *rest)
        d_e = self.grad(self.total)(positions, *rest)
        return energy, -d_e
