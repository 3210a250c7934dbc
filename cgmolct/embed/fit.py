"""A short training loop for the embedding objectives around the library's one compiled step.

Each optimisation step is :class:`cgmolct.train.step.TrainStep` (objective, gradients, NaN
guard, clipping, Adam update in one graph); batches always have ``batch_size`` rows (a last
partial batch is filled with random pairs), so the step compiles once.
"""
from __future__ import annotations

import time
from typing import Callable, Dict, List, Optional

import numpy as np

from ..errors import TrainingError

__all__ = ["train_objective", "to_tensors"]

_INT = {"types", "neighbours", "rel_neighbours", "rel_codes", "dihedrals"}


def to_tensors(batch: Dict[str, np.ndarray], names) -> tuple:
    """Tensors of ``batch[name]`` for ``names`` (int32 indices, bool masks, float32 values)."""
    from mindspore import Tensor

    out = []
    for name in names:
        x = np.asarray(batch[name])
        base = name[:-2] if name.endswith("_b") else name
        if base in _INT:
            x = x.astype(np.int32)
        elif x.dtype != np.bool_:
            x = x.astype(np.float32)
        out.append(Tensor(np.ascontiguousarray(x)))
    return tuple(out)


def train_objective(objective, data, *, epochs: int = 10, batch_size: int = 256,
                    learning_rate: float = 1e-3, seed: int = 0,
                    max_seconds: Optional[float] = None, max_steps: Optional[int] = None,
                    clip: float = 10.0, log: Optional[Callable[[str], None]] = None) -> Dict[str, List[float]]:
    """Minimise ``objective`` (a Cell with ``INPUTS``) over ``data`` (``batch(indices)``).

    Parameters
    ----------
    objective : mindspore.nn.Cell
    data : PairData or any data set with ``__len__`` and ``batch(indices)``
    epochs, batch_size : int
    learning_rate : float
        Adam learning rate.
    seed : int
        Shuffling seed.
    max_seconds : float, optional
        Wall-clock budget; training stops after the step that exceeds it.
    max_steps : int, optional
        Step budget.
    clip : float
        Gradient clipping by global norm (≤ 0: none).
    log : callable, optional
        Called with one line per epoch.

    Returns
    -------
    dict
        ``loss`` (mean per epoch), ``steps``, ``skipped_steps`` (non-finite, not applied),
        ``seconds``.
    """
    import mindspore as ms

    from ..train.step import TrainStep, build_optimizer

    n = len(data)
    bs = int(min(batch_size, n))
    optimizer = build_optimizer("adam", objective.trainable_params(), float(learning_rate))
    step = TrainStep(objective, optimizer, clip=clip)
    lr = ms.Tensor(np.float32(learning_rate))
    step.set_train(True)
    skipped = 0
    rng = np.random.default_rng(seed)
    history: List[float] = []
    steps, t0 = 0, time.perf_counter()
    stop = False
    try:
        for epoch in range(int(epochs)):
            order = rng.permutation(n)
            losses = []
            for start in range(0, n, bs):
                idx = order[start:start + bs]
                if len(idx) < bs:
                    idx = np.concatenate([idx, rng.integers(0, n, bs - len(idx))])
                loss, _ = step(lr, *to_tensors(data.batch(idx), objective.INPUTS))
                loss = float(loss.asnumpy())
                if not np.isfinite(loss):  # the step skipped its update (NaN guard)
                    skipped += 1
                    if skipped > max(10, steps // 10):
                        raise TrainingError(f"{skipped} steps with a non-finite loss or gradient "
                                            f"(step {steps}, epoch {epoch}); lower the learning rate")
                else:
                    losses.append(loss)
                steps += 1
                elapsed = time.perf_counter() - t0
                if (max_seconds is not None and elapsed > max_seconds) or \
                        (max_steps is not None and steps >= max_steps):
                    stop = True
                    break
            history.append(float(np.mean(losses)) if losses else float("nan"))
            if log is not None:
                log(f"epoch {epoch + 1}: loss {history[-1]:.4f} ({steps} steps, "
                    f"{time.perf_counter() - t0:.1f} s)")
            if stop:
                break
    finally:
        objective.set_train(False)
    return {"loss": history, "steps": steps, "skipped_steps": skipped,
            "seconds": time.perf_counter() - t0}
