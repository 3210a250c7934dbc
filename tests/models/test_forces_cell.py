"""The one force derivation: energy and forces from one pass, both differentiable w.r.t. weights.

``Forces`` returns the energy from the same ``value_and_grad`` call as the gradient.  The energy
must stay attached to the weights (an auxiliary output would be cut from outer gradients), so
a training loss with an energy term gets the same parameter gradient as one built from the
plain energy cell.
"""
from __future__ import annotations

import numpy as np
import pytest

from .conftest import small
from .helpers import ethanol_like, inputs, make_batch

ms = pytest.importorskip("mindspore")


def test_energy_term_keeps_its_parameter_gradient():
    from mindspore import nn, ops

    from cgmolct.readouts import EnergyForceModel

    model = EnergyForceModel(small("molct"))
    batch = make_batch([ethanol_like(1), ethanol_like(2)])
    args = [ms.Tensor(x) for x in inputs(batch)]
    args[1], args[0] = args[0], args[1]          # positions first, then types, ...
    params = model.trainable_params()

    class ThroughForces(nn.Cell):
        def __init__(self):
            super().__init__()
            self.forces = model.forces

        def construct(self, *x):
            e, _ = self.forces(*x)
            return (e * e).sum()

    class Plain(nn.Cell):
        def __init__(self):
            super().__init__()
            self.potential = model.potential

        def construct(self, *x):
            e = self.potential(*x)
            return (e * e).sum()

    grads = [ms.jit(ops.grad(cell, None, params))(*args) for cell in (ThroughForces(), Plain())]
    bias = [i for i, p in enumerate(params) if p.name.endswith("readout.mlp.layers.2.bias")]
    assert bias and abs(float(grads[1][bias[0]].asnumpy().sum())) > 0
    for a, b in zip(*grads):
        np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-4, atol=1e-6)
