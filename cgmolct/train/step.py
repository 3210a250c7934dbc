"""The compiled pieces of one optimisation step, and access to model/optimiser state.

:class:`GradStep` returns the loss, the parameter gradients and their global norm; it is
always run through ``ms.jit`` (pure PyNative mode returns silently zero second-order
gradients for force losses in MindSpore 2.10).  :class:`ApplyStep` clips the gradients by
their global norm and applies the optimiser.  Between the two, the trainer checks on the host
that loss and gradient norm are finite (the NaN guard).
"""
from __future__ import annotations

from typing import Dict

import numpy as np
import mindspore as ms
from mindspore import Tensor, nn, ops

__all__ = ["GradStep", "ApplyStep", "build_optimizer", "get_params", "set_params",
           "get_optimizer_state", "set_optimizer_state", "OPTIMIZERS"]

#: Optimiser names accepted in the training configuration.
OPTIMIZERS = ("adam", "adamw")


class GradStep(nn.Cell):
    """(loss, grads, ||grads||₂) of ``objective`` w.r.t. ``params`` for positional inputs."""

    def __init__(self, objective: nn.Cell, params):
        super().__init__(auto_prefix=False)
        self.objective = objective
        self.weights = ms.ParameterTuple(params)
        self.grad = ops.GradOperation(get_by_list=True)

    def construct(self, *inputs):
        loss = self.objective(*inputs)
        grads = self.grad(self.objective, self.weights)(*inputs)
        sq = ops.stack([ops.reduce_sum(g * g) for g in grads]).sum()
        return loss, grads, ops.sqrt(sq)


class ApplyStep(nn.Cell):
    """Clip gradients to global norm ``clip`` (≤ 0: no clipping) and apply the optimiser."""

    def __init__(self, optimizer: nn.Optimizer, clip: float = 0.0):
        super().__init__(auto_prefix=False)
        self.optimizer = optimizer
        self.clip = float(clip)
        self.use_clip = self.clip > 0

    def construct(self, grads):
        if self.use_clip:
            grads = ops.clip_by_global_norm(grads, self.clip)
        return self.optimizer(grads)


def build_optimizer(name: str, params, lr: float, weight_decay: float = 0.0,
                    betas=(0.9, 0.999), eps: float = 1e-8) -> nn.Optimizer:
    """Adam (``"adam"``) or decoupled-weight-decay AdamW (``"adamw"``) with a settable LR."""
    if name == "adam":
        return nn.Adam(params, learning_rate=float(lr), beta1=betas[0], beta2=betas[1], eps=eps,
                       weight_decay=float(weight_decay))
    if name == "adamw":
        return nn.AdamWeightDecay(params, learning_rate=float(lr), beta1=betas[0], beta2=betas[1],
                                  eps=eps, weight_decay=float(weight_decay))
    from ..errors import ConfigError

    raise ConfigError(f"optimizer.name: unknown optimiser {name!r}; choose one of {', '.join(OPTIMIZERS)}")


def set_learning_rate(optimizer: nn.Optimizer, lr: float) -> None:
    """Set the optimiser's (scalar) learning rate for the next step."""
    optimizer.learning_rate.set_data(Tensor(np.float32(lr)))


def get_params(model: nn.Cell) -> Dict[str, np.ndarray]:
    """Copies of all parameters of ``model`` by name."""
    return {p.name: p.asnumpy().copy() for p in model.get_parameters()}


def set_params(model: nn.Cell, values: Dict[str, np.ndarray], source: str = "checkpoint") -> None:
    """Load parameters by name, checking that names and shapes match exactly."""
    from ..errors import CheckpointError

    params = {p.name: p for p in model.get_parameters()}
    missing = sorted(set(params) - set(values))
    extra = sorted(set(values) - set(params))
    if missing or extra:
        raise CheckpointError(f"{source}: parameters do not match the model "
                              f"(missing {missing[:5]}{'...' if len(missing) > 5 else ''}, "
                              f"unexpected {extra[:5]}{'...' if len(extra) > 5 else ''})")
    for name, p in params.items():
        v = values[name]
        if tuple(v.shape) != tuple(p.shape):
            raise CheckpointError(f"{source}: parameter {name} has shape {tuple(v.shape)}; "
                                  f"the model expects {tuple(p.shape)}")
        p.set_data(Tensor(np.asarray(v, dtype=v.dtype)))


def _optimizer_own(optimizer: nn.Optimizer, model: nn.Cell):
    model_ids = {id(p) for p in model.get_parameters()}
    return [(name, p) for name, p in optimizer.parameters_and_names() if id(p) not in model_ids]


def get_optimizer_state(optimizer: nn.Optimizer, model: nn.Cell) -> Dict[str, np.ndarray]:
    """Copies of the optimiser's own state (moments, beta powers, step, learning rate)."""
    return {name: p.asnumpy().copy() for name, p in _optimizer_own(optimizer, model)}


def set_optimizer_state(optimizer: nn.Optimizer, model: nn.Cell, values: Dict[str, np.ndarray],
                        source: str = "checkpoint") -> None:
    """Restore the optimiser state saved by :func:`get_optimizer_state`."""
    from ..errors import CheckpointError

    own = dict(_optimizer_own(optimizer, model))
    missing = sorted(set(own) - set(values))
    if missing:
        raise CheckpointError(f"{source}: optimiser state is missing {missing[:5]} "
                              "(was the checkpoint written with another optimiser?)")
    for name, p in own.items():
        v = values[name]
        if tuple(v.shape) != tuple(p.shape):
            raise CheckpointError(f"{source}: optimiser state {name} has shape {tuple(v.shape)}; "
                                  f"expected {tuple(p.shape)}")
        p.set_data(Tensor(np.asarray(v)))
