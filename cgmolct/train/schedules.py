"""Learning-rate schedules, computed on the host from the optimiser step (exactly resumable).

Each schedule is a small object with ``lr(step)`` (and, for reduce-on-plateau, ``observe``)
plus ``state_dict``/``load_state_dict`` of plain JSON values, so a resumed run continues on
the same learning rate curve.
"""
from __future__ import annotations

import math
from typing import Dict, Optional

from ..errors import ConfigError

__all__ = ["Constant", "WarmupInverseSqrt", "Cosine", "ReduceOnPlateau", "build_schedule",
           "SCHEDULES"]


class Constant:
    """lr(step) = lr0 (after an optional linear warm-up of ``warmup`` steps)."""

    def __init__(self, lr: float, warmup: int = 0):
        self.lr0 = float(lr)
        self.warmup = int(warmup)
        self.factor = 1.0  # multiplied by the NaN guard

    def base(self, step: int) -> float:
        if self.warmup > 0 and step < self.warmup:
            return self.lr0 * (step + 1) / self.warmup
        return self.lr0

    def lr(self, step: int) -> float:
        """Learning rate for optimiser step ``step`` (0-based)."""
        return self.base(step) * self.factor

    def observe(self, metric: float) -> None:  # noqa: D401 - plateau hook
        """Validation metric after an epoch (only reduce-on-plateau uses it)."""

    def state_dict(self) -> Dict[str, float]:
        return {"factor": self.factor}

    def load_state_dict(self, state: Dict[str, float]) -> None:
        self.factor = float(state.get("factor", 1.0))


class WarmupInverseSqrt(Constant):
    r"""Linear warm-up to ``lr`` over ``warmup`` steps, then lr · sqrt(warmup / (step + 1)).

    The transformer schedule used for MolCT (Vaswani et al. 2017); with ``warmup = 0`` it is
    lr · (step + 1)^(−1/2).
    """

    def base(self, step: int) -> float:
        if self.warmup > 0 and step < self.warmup:
            return self.lr0 * (step + 1) / self.warmup
        return self.lr0 * math.sqrt(max(self.warmup, 1) / (step + 1))


class Cosine(Constant):
    r"""Warm-up, then cosine decay from ``lr`` to ``lr_min`` at ``total_steps``.

    lr(t) = lr_min + (lr − lr_min) · (1 + cos(π · min(t', 1))) / 2, with t' the fraction of the
    decay phase that has passed.
    """

    def __init__(self, lr: float, total_steps: int, warmup: int = 0, lr_min: float = 0.0):
        super().__init__(lr, warmup)
        self.total = max(int(total_steps), 1)
        self.lr_min = float(lr_min)

    def base(self, step: int) -> float:
        if self.warmup > 0 and step < self.warmup:
            return self.lr0 * (step + 1) / self.warmup
        frac = min((step - self.warmup) / max(self.total - self.warmup, 1), 1.0)
        return self.lr_min + (self.lr0 - self.lr_min) * 0.5 * (1.0 + math.cos(math.pi * frac))


class ReduceOnPlateau(Constant):
    """Multiply the learning rate by ``factor`` when the validation metric has not improved
    by a relative ``threshold`` for ``patience`` epochs (never below ``lr_min``)."""

    def __init__(self, lr: float, warmup: int = 0, factor: float = 0.5, patience: int = 10,
                 threshold: float = 1e-4, lr_min: float = 1e-6):
        super().__init__(lr, warmup)
        self.decay = float(factor)
        self.patience = int(patience)
        self.threshold = float(threshold)
        self.lr_min = float(lr_min)
        self.best: Optional[float] = None
        self.bad_epochs = 0
        self.plateau = 1.0

    def base(self, step: int) -> float:
        return max(super().base(step) * self.plateau, self.lr_min if step >= self.warmup else 0.0)

    def observe(self, metric: float) -> None:
        if self.best is None or metric < self.best * (1.0 - self.threshold):
            self.best = float(metric)
            self.bad_epochs = 0
            return
        self.bad_epochs += 1
        if self.bad_epochs > self.patience:
            self.plateau *= self.decay
            self.bad_epochs = 0

    def state_dict(self) -> Dict[str, float]:
        return {"factor": self.factor, "best": self.best, "bad_epochs": self.bad_epochs,
                "plateau": self.plateau}

    def load_state_dict(self, state: Dict[str, float]) -> None:
        super().load_state_dict(state)
        self.best = state.get("best")
        self.bad_epochs = int(state.get("bad_epochs", 0))
        self.plateau = float(state.get("plateau", 1.0))


#: Schedule names accepted in the training configuration.
SCHEDULES = ("constant", "warmup_inverse_sqrt", "cosine", "plateau")


def build_schedule(name: str, lr: float, warmup: int = 0, total_steps: int = 1,
                   lr_min: float = 1e-6, factor: float = 0.5, patience: int = 10) -> Constant:
    """Build a schedule from its configuration name (one of :data:`SCHEDULES`)."""
    if name == "constant":
        return Constant(lr, warmup)
    if name == "warmup_inverse_sqrt":
        return WarmupInverseSqrt(lr, warmup)
    if name == "cosine":
        return Cosine(lr, total_steps, warmup, lr_min)
    if name == "plateau":
        return ReduceOnPlateau(lr, warmup, factor=factor, patience=patience, lr_min=lr_min)
    raise ConfigError(f"optimizer.schedule: unknown schedule {name!r}; choose one of {', '.join(SCHEDULES)}")
