"""The one compiled training step, and access to model/optimiser state.

:class:`TrainStep` is a single graph: the objective (forward, forces by autodiff where the
objective needs them, loss), the parameter gradients, their global norm, the finite check,
clipping by global norm and the optimiser update.  The update is applied in-graph only when
loss and gradient norm are finite (the NaN guard); two scalars (loss, gradient norm) come back
to the host.  It is compiled once per input shape (``ms.jit``; pure PyNative returns silently
zero second-order gradients for force losses in MindSpore 2.10) and never again for new values:
inputs are passed positionally as tensors, the learning rate is a parameter of the optimiser.
"""
from __future__ import annotations

from typing import Dict

import numpy as np
import mindspore as ms
from mindspore import Tensor, nn, ops

__all__ = ["TrainStep", "GuardedUpdate", "build_optimizer", "get_params", "set_params",
           "get_optimizer_state", "set_optimizer_state", "OPTIMIZERS"]

#: Optimiser names accepted in the training configuration.
OPTIMIZERS = ("adam", "adamw")


class TrainStep(nn.Cell):
    """One optimisation step of ``objective`` as one compiled graph.

    Parameters
    ----------
    objective : mindspore.nn.Cell
        Positional inputs (its ``INPUTS`` batch keys) → scalar loss.
    optimizer : mindspore.nn.Optimizer
        Built on the trainable parameters of the model inside ``objective``.
    clip : float
        Clip the gradients to this global norm (≤ 0: no clipping).

    Call
    ----
    In a data-parallel cluster (:mod:`cgmolct.train.distributed`) the gradients and the loss
    are averaged over the ranks inside the graph, so every rank takes the same update.

    ``step(lr, *inputs) -> (loss, grad_norm)`` scalar tensors, with ``lr`` the learning rate
    of this step as a float32 scalar tensor (an input, so a schedule never recompiles; a
    ``set_data`` on the optimiser's learning-rate parameter is not seen by a compiled graph in
    MindSpore 2.10).  The parameters change only when loss and gradient norm are finite;
    otherwise the step is a no-op (the caller counts it as a NaN event).
    """

    def __init__(self, objective: nn.Cell, optimizer: nn.Optimizer, clip: float = 0.0):
        super().__init__(auto_prefix=False)
        self.objective = objective
        self.weights = optimizer.parameters
        self.grad = ops.GradOperation(get_by_list=True)
        self.update = GuardedUpdate(optimizer, clip)
        from .distributed import world

        self.n_ranks = world()[1]
        self.parallel = self.n_ranks > 1
        if self.parallel:  # data parallel: mean gradients and loss over the ranks, in-graph
            self.reducer = nn.DistributedGradReducer(self.weights, mean=True, degree=self.n_ranks)
            self.allreduce = ops.AllReduce()
        if ms.get_context("mode") == ms.PYNATIVE_MODE:
            self.construct = ms.jit(self.construct)

    def construct(self, lr, *inputs):
        loss = self.objective(*inputs)
        grads = self.grad(self.objective, self.weights)(*inputs)
        if self.parallel:
            grads = self.reducer(grads)
            loss = self.allreduce(loss) / self.n_ranks
        return self.update(lr, loss, grads)


class GuardedUpdate(nn.Cell):
    """The update of a compiled step: global gradient norm, finite check, clipping by global
    norm (``clip`` > 0) and the optimiser at learning rate ``lr``, applied only when loss and
    norm are finite.  ``update(lr, loss, grads) -> (loss, norm)``; part of a compiled graph."""

    def __init__(self, optimizer: nn.Optimizer, clip: float = 0.0):
        super().__init__(auto_prefix=False)
        self.optimizer = optimizer
        self.clip = float(clip)
        self.use_clip = self.clip > 0

    def construct(self, lr, loss, grads):
        norm = ops.sqrt(ops.stack([ops.reduce_sum(g * g) for g in grads]).sum())
        finite = ops.logical_and(ops.isfinite(loss), ops.isfinite(norm))
        if self.use_clip:
            grads = ops.clip_by_global_norm(grads, self.clip)
        if finite:
            grads = ops.depend(grads, ops.assign(self.optimizer.learning_rate, lr))
            loss = ops.depend(loss, self.optimizer(grads))
        return loss, norm


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
