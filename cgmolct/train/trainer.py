"""The trainer: compiled steps, schedules, NaN guard, validation, atomic checkpoints, exact resume.

One :class:`Trainer` trains one model on one task.  Its state at any optimiser step is

- the model parameters and the optimiser state (Adam moments, beta powers, step, LR);
- the epoch, the position of the next batch inside the epoch and the state of the NumPy
  generator *at the start of that epoch* (the epoch's permutation is redrawn from it);
- the schedule state, the NaN-guard counters, the early-stopping counters, the best monitor
  value, the history and the elapsed training time;

and all of it is written to ``last.npz`` after every epoch and every ``checkpoint_every``
steps (atomically, :mod:`cgmolct.train.checkpoint`), so that a run killed at any point and
resumed from ``last.npz`` produces the same weights as a run that was never interrupted.

Data sets are objects with ``__len__`` and ``batch(indices) -> dict`` returning padded numpy
arrays under the keys of :mod:`cgmolct.data.keys`; the objective's ``INPUTS`` say which keys
one step reads.  A step is one compiled graph (:class:`cgmolct.train.step.TrainStep`): the
parameters are updated in-graph only when loss and gradient norm are finite, so a bad batch
never reaches the weights (the NaN guard counts it, lowers the learning rate and goes on).
"""
from __future__ import annotations

import csv
import io
import json
import math
import sys
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

from ..data import keys as K
from ..errors import CheckpointError, TrainingError
from .checkpoint import atomic_write_text, read_checkpoint, write_checkpoint
from .distributed import shard
from .metrics import evaluate, format_metrics
from ..runtime import runtime_info
from .schedules import build_schedule

__all__ = ["TrainOptions", "Trainer", "TASKS", "StopTraining"]

#: Built-in tasks and the targets their batches carry (other tasks bring an objective whose
#: ``INPUTS`` name its batch keys, and a ``metrics_fn`` for validation).
TASKS = {
    "energy_forces": (K.ENERGY, K.FORCES),
    "forces": (K.FORCES,),
    "energy": (K.ENERGY,),
    "labels": (K.LABELS,),
}


class StopTraining(Exception):
    """Raised by a callback to stop training after the current step (the state is saved)."""


@dataclass
class TrainOptions:
    """Options of one training run (the ``training`` and ``optimizer`` sections of a config).

    Attributes
    ----------
    batch_size : int
        Frames/molecules per batch; the last incomplete batch of an epoch is dropped so that
        every step runs the same compiled graph.
    max_epochs : int
    max_steps : int or None
        Stop after this many optimiser steps in total.
    max_time_s : float or None
        Wall-time budget in seconds over all resumed sessions; a run that stops on it is
        labelled "not converged".
    patience : int or None
        Early stopping: stop after this many validations without improvement.
    validate_every : int
        Validate every this many epochs.
    checkpoint_every : int
        Also write ``last.npz`` every this many steps inside an epoch (0: only at epoch ends).
    seed : int
        Seed of the batch order (NumPy) and of MindSpore's initialisers.
    optimizer, lr, weight_decay, schedule, warmup, lr_min, plateau_factor, plateau_patience
        Optimiser and learning-rate schedule (see :mod:`cgmolct.train.schedules`).
    clip_grad : float
        Clip gradients to this global norm (0: off).
    nan_max : int
        Consecutive non-finite steps tolerated before :class:`TrainingError`.
    nan_lr_factor : float
        Learning-rate multiplier applied after each non-finite step.
    monitor : str
        Validation quantity for best checkpoint / early stopping / plateau: ``"total"``
        (weighted sum of MAE / scale over targets) or ``"<target>"`` (its MAE).
    progress : bool
        Show a tqdm progress bar with the live loss.
    chunk_size : int or None
        Train force tasks with :class:`~cgmolct.train.chunked_step.ChunkedTrainStep` over
        chunks of this many centre beads, and validate with
        :class:`~cgmolct.readouts.ChunkedEnergyForces`: memory set by the chunk, not the
        system, at several times the time of a step (None: the whole-graph step).
    """

    batch_size: int = 32
    max_epochs: int = 100
    max_steps: Optional[int] = None
    max_time_s: Optional[float] = None
    patience: Optional[int] = None
    validate_every: int = 1
    checkpoint_every: int = 0
    seed: int = 0
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    schedule: str = "constant"
    warmup: int = 0
    lr_min: float = 1e-6
    plateau_factor: float = 0.5
    plateau_patience: int = 10
    clip_grad: float = 0.0
    nan_max: int = 10
    nan_lr_factor: float = 0.5
    monitor: str = "total"
    progress: bool = True
    chunk_size: Optional[int] = None


@dataclass
class _State:
    epoch: int = 0
    batch: int = 0
    step: int = 0
    rng_epoch_state: Optional[dict] = None
    best: Optional[float] = None
    best_epoch: Optional[int] = None
    bad_validations: int = 0
    nan_events: int = 0
    nan_consecutive: int = 0
    elapsed_s: float = 0.0
    epoch_loss_sum: float = 0.0
    epoch_loss_n: int = 0
    status: str = "running"
    history: List[Dict[str, Any]] = field(default_factory=list)
    schedule: Dict[str, Any] = field(default_factory=dict)


class Trainer:
    """Train ``model`` through ``objective`` on ``train_data``, validating on ``valid_data``.

    Parameters
    ----------
    model : mindspore.nn.Cell
        The model (its parameters are trained and checkpointed).
    objective : mindspore.nn.Cell
        Model inputs + targets of ``task`` → scalar loss (:mod:`cgmolct.train.objective`).
    predict : mindspore.nn.Cell
        Model inputs → predictions in physical units (for validation metrics).
    task : str
        ``"energy_forces"``, ``"forces"``, ``"energy"``, ``"labels"`` or the name of a task
        whose objective declares ``INPUTS`` and that passes ``metrics_fn``.
    train_data, valid_data : data sets (``__len__``, ``batch(indices)``)
    output : path
        Folder for ``last.npz``, ``best.npz``, ``best_model/``, ``log.csv``,
        ``history.json`` and ``summary.json``.
    options : TrainOptions
    monitor_scales : dict, optional
        target → (weight, scale) for the ``"total"`` monitor (default weight 1, scale 1).
    label_names, label_units : sequences of str, optional
        Names and units of the label columns (task ``labels``).
    export : callable(model, folder), optional
        Writes a saved model (``cgmolct.save``, atomic: it replaces an older one whole) as
        ``best_model/`` next to each best checkpoint.
    meta : dict, optional
        Extra JSON metadata stored in every checkpoint (training config, model spec).
    metrics_fn : callable(predict, dataset, batch_size) -> dict, optional
        Validation metrics ``{target: {"mae": ..., ...}}`` (lower is better for the
        monitor) for tasks other than the built-in ones; ``predict`` is the compiled predict
        cell called with the arrays of ``predict.INPUTS``.
    """

    def __init__(self, model, objective, predict, task: str, train_data, valid_data, output,
                 options: TrainOptions, monitor_scales: Optional[Dict[str, Sequence[float]]] = None,
                 label_names: Optional[Sequence[str]] = None,
                 label_units: Optional[Sequence[str]] = None,
                 export: Optional[Callable] = None, meta: Optional[Dict[str, Any]] = None,
                 metrics_fn: Optional[Callable] = None):
        import mindspore as ms

        from ..data.iterator import IndexIterator
        from .step import TrainStep, build_optimizer

        if task not in TASKS and metrics_fn is None:
            raise TrainingError(f"unknown task {task!r}; built-in tasks are {', '.join(TASKS)} "
                                "(other tasks pass metrics_fn)")
        if not getattr(objective, "INPUTS", None):
            raise TrainingError(f"{type(objective).__name__} does not declare INPUTS, the batch "
                                "keys of its positional inputs")
        if len(train_data) < options.batch_size:
            raise TrainingError(f"the training set has {len(train_data)} items, fewer than one batch "
                                f"(batch_size {options.batch_size})")
        self.model = model
        self.objective = objective
        self.predict = predict
        self.task = task
        self.train_data = train_data
        self.valid_data = valid_data
        self.output = Path(output)
        self.options = options
        self.monitor_scales = dict(monitor_scales or {})
        self.label_names = list(label_names) if label_names else None
        self.label_units = list(label_units) if label_units else None
        self.export = export
        self.meta = dict(meta or {})
        self.metrics_fn = metrics_fn
        self.input_keys = tuple(objective.INPUTS)
        self.predict_keys = tuple(getattr(predict, "INPUTS", K.MODEL_INPUTS))
        from .distributed import world

        self.rank, self.n_ranks = world()
        if len(train_data) < options.batch_size * self.n_ranks:
            raise TrainingError(f"the training set has {len(train_data)} items, fewer than one "
                                f"batch of {options.batch_size} for each of {self.n_ranks} workers")
        self.params = model.trainable_params()
        self.n_batches = len(train_data) // (options.batch_size * self.n_ranks)
        total_steps = options.max_steps or options.max_epochs * self.n_batches
        self.schedule = build_schedule(options.schedule, options.lr, options.warmup, total_steps,
                                       options.lr_min, options.plateau_factor, options.plateau_patience)
        self.optimizer = build_optimizer(options.optimizer, self.params, options.lr, options.weight_decay)
        if options.chunk_size:
            from .chunked_step import ChunkedTrainStep, chunked_predict

            self._step = ChunkedTrainStep(objective, self.optimizer, options.clip_grad,
                                          options.chunk_size)
            self._predict = chunked_predict(self._step)
        else:
            self._step = TrainStep(objective, self.optimizer, options.clip_grad)
            self._predict = ms.jit(predict.construct)
        # one global order on every rank; rank r takes every n-th frame of a global batch
        self.order = IndexIterator(len(train_data), options.batch_size * self.n_ranks,
                                   shuffle=True, seed=options.seed, drop_last=True)
        self.state = _State(rng_epoch_state=self.order.state_dict()["rng_state"])
        self.callbacks: List[Callable[["Trainer", float], None]] = []

    # ------------------------------------------------------------------ state
    def _state_arrays(self):
        from .step import get_optimizer_state, get_params

        return get_params(self.model), get_optimizer_state(self.optimizer, self.model)

    def _restore_arrays(self, params, opt, source: str) -> None:
        from .step import set_optimizer_state, set_params

        set_params(self.model, params, source)
        set_optimizer_state(self.optimizer, self.model, opt, source)

    def _sync_order_state(self) -> None:
        order = self.order.state_dict()
        self.state.epoch, self.state.batch = order["epoch"], order["position"]
        self.state.rng_epoch_state = order["rng_state"]

    @property
    def writes(self) -> bool:
        """Whether this process writes files (rank 0 of a cluster, or a single process)."""
        return self.rank == 0

    def save_checkpoint(self, path) -> None:
        """Write the complete training state to ``path`` atomically (rank 0 only)."""
        self._sync_order_state()
        if not self.writes:
            return
        self.state.schedule = self.schedule.state_dict()
        params, opt = self._state_arrays()
        meta = {"kind": "training", "task": self.task, "options": asdict(self.options),
                "state": asdict(self.state), "label_names": self.label_names,
                "label_units": self.label_units, **self.meta}
        write_checkpoint(Path(path), meta, params, opt)

    def load_checkpoint(self, path) -> Dict[str, Any]:
        """Restore the complete training state from ``path`` (exact resume); return its meta."""
        meta, params, opt = read_checkpoint(Path(path))
        if meta.get("task") != self.task:
            raise CheckpointError(f"{path}: checkpoint was written for task {meta.get('task')!r}, "
                                  f"this run trains {self.task!r}")
        self._restore_arrays(params, opt, str(path))
        try:
            self.state = _State(**meta["state"])
        except (KeyError, TypeError) as exc:
            raise CheckpointError(f"{path}: training state is incomplete ({exc})") from None
        self.schedule.load_state_dict(self.state.schedule)
        order = self.order.state_dict()
        order.update(epoch=self.state.epoch, position=self.state.batch,
                     rng_state=self.state.rng_epoch_state)
        try:
            self.order.load_state_dict(order)
        except Exception as exc:
            raise CheckpointError(f"{path}: batch-order state does not fit this data set ({exc})") from None
        return meta

    # ------------------------------------------------------------------ pieces
    def _inputs(self, batch):
        from mindspore import Tensor

        missing = [k for k in self.input_keys if k not in batch]
        if missing:
            raise TrainingError(f"batch lacks {', '.join(missing)} needed for task {self.task!r}")
        return [Tensor(batch[k]) for k in self.input_keys]

    def _nan_guard(self, loss: float, gnorm: float) -> None:
        st = self.state
        st.nan_events += 1
        st.nan_consecutive += 1
        self.schedule.factor *= self.options.nan_lr_factor
        message = (f"non-finite loss/gradient (loss {loss}, |grad| {gnorm}) at epoch {st.epoch}, "
                   f"step {st.step}: update skipped in the compiled step, learning-rate factor "
                   f"now {self.schedule.factor:g} ({st.nan_events} such events)")
        warnings.warn(message, RuntimeWarning, stacklevel=2)
        self._log_event(message)
        if st.nan_consecutive > self.options.nan_max:
            raise TrainingError(f"{st.nan_consecutive} consecutive non-finite steps; stopping "
                                "(check the data for NaN/inf and lower the learning rate)")

    def _log_event(self, message: str) -> None:
        if not self.writes:
            return
        self.output.mkdir(parents=True, exist_ok=True)
        with open(self.output / "events.log", "a") as handle:
            handle.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} {message}\n")

    def validate(self) -> Dict[str, Dict[str, float]]:
        """Metrics (MAE, RMSE per target, physical units) of the current model on the valid set."""
        if self.metrics_fn is not None:
            return self.metrics_fn(self._predict, self.valid_data, self.options.batch_size)
        return evaluate(self._predict, self.valid_data, self.task, self.options.batch_size,
                        self.label_names, self.label_units, shard=(self.rank, self.n_ranks))

    def _monitor(self, metrics) -> float:
        name = self.options.monitor
        if name != "total":
            if name not in metrics:
                raise TrainingError(f"monitor {name!r} is not a validation target; "
                                    f"targets are {', '.join(metrics)}")
            return metrics[name]["mae"]
        total = 0.0
        for target, m in metrics.items():
            weight, scale = self.monitor_scales.get(target, (1.0, 1.0))
            total += weight * m["mae"] / scale
        return total

    def _write_logs(self) -> None:
        if not self.writes:
            return
        hist = self.state.history
        atomic_write_text(self.output / "history.json", json.dumps(hist, indent=1))
        if not hist:
            return
        columns: List[str] = []
        for row in hist:
            columns += [c for c in row if c not in columns]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns)
        writer.writeheader()
        writer.writerows(hist)
        atomic_write_text(self.output / "log.csv", buf.getvalue())

    def _export_best(self) -> None:
        if self.export is None or not self.writes:
            return
        # cgmolct.save builds the folder under a temporary name and swaps it in atomically
        self.export(self.model, self.output / "best_model")

    def _end_of_epoch(self, t_session: float) -> bool:
        """Validate, log, checkpoint; return True when early stopping says stop."""
        st, opt = self.state, self.options
        record: Dict[str, Any] = {
            "epoch": st.epoch + 1, "step": st.step,
            "lr": self.schedule.lr(max(st.step - 1, 0)),
            "train_loss": st.epoch_loss_sum / max(st.epoch_loss_n, 1),
            "nan_events": st.nan_events,
        }
        stop = False
        if (st.epoch + 1) % opt.validate_every == 0 and len(self.valid_data) > 0:
            metrics = self.validate()
            for target, m in metrics.items():
                record[f"valid_{target}_mae"] = m["mae"]
                record[f"valid_{target}_rmse"] = m["rmse"]
            monitor = self._monitor(metrics)
            record["monitor"] = monitor
            self.schedule.observe(monitor)
            improved = math.isfinite(monitor) and (st.best is None or monitor < st.best)
            if improved:
                st.best, st.best_epoch, st.bad_validations = monitor, st.epoch + 1, 0
            else:
                st.bad_validations += 1
                stop = opt.patience is not None and st.bad_validations >= opt.patience
        st.epoch_loss_sum, st.epoch_loss_n = 0.0, 0
        self._sync_order_state()  # the iterator has moved to the next epoch
        st.elapsed_s += time.perf_counter() - t_session
        record["elapsed_s"] = round(st.elapsed_s, 3)
        st.history.append(record)
        if "monitor" in record and st.best_epoch == st.epoch:
            self.save_checkpoint(self.output / "best.npz")
            self._export_best()
        self.save_checkpoint(self.output / "last.npz")
        self._write_logs()
        return stop

    # ------------------------------------------------------------------ loop
    def _progress(self, st):
        if not self.options.progress:
            return None
        if not sys.stderr.isatty():
            return None  # no carriage-return bars in files; one log line per epoch instead
        from tqdm import tqdm

        return tqdm(total=self.n_batches, initial=st.batch, desc=f"epoch {st.epoch + 1}",
                    leave=False, file=sys.stderr, dynamic_ncols=True)

    def _epoch_line(self) -> None:
        if not self.options.progress or sys.stderr.isatty() or not self.state.history:
            return
        row = self.state.history[-1]
        extra = "".join(f" {k}={row[k]:.4g}" for k in row if k.startswith("valid_") and k.endswith("_mae"))
        print(f"epoch {row['epoch']} step {row['step']} train_loss={row['train_loss']:.4g}{extra} "
              f"elapsed={row['elapsed_s']:.0f}s", file=sys.stderr, flush=True)

    def fit(self) -> Dict[str, Any]:
        """Train until max_epochs / max_steps / the time budget / early stopping.

        Returns
        -------
        dict
            The summary also written to ``summary.json``: status ("early stopped",
            "completed (max_epochs reached)", "completed (max_steps reached)", "not converged
            (wall-time budget ...)" or "stopped"), ``converged`` (true only when early stopping
            found the validation monitor no longer improving), epochs, steps, best monitor and
            epoch, NaN events, elapsed seconds, frames/s of the training steps (batch assembly +
            compiled step, after the first, compiling step), threads and load average.
        """
        from mindspore import Tensor

        st, opt = self.state, self.options
        self.output.mkdir(parents=True, exist_ok=True)
        t_session = time.perf_counter()
        status = "completed (max_epochs reached)"
        bar = None
        step_time, step_frames, compiled = 0.0, 0, False
        try:
            while st.epoch < opt.max_epochs:
                if opt.max_steps is not None and st.step >= opt.max_steps:
                    status = "completed (max_steps reached)"
                    break
                bar = self._progress(st)
                stop_now = None
                for idx in self.order:
                    idx = shard(idx, self.rank, self.n_ranks)
                    t0 = time.perf_counter()
                    inputs = self._inputs(self.train_data.batch(idx))
                    lr = Tensor(np.float32(self.schedule.lr(st.step)))
                    loss_t, gnorm_t = self._step(lr, *inputs)
                    loss, gnorm = float(loss_t.asnumpy()), float(gnorm_t.asnumpy())
                    if compiled:  # the first step of a session compiles: not throughput
                        step_time += time.perf_counter() - t0
                        step_frames += len(idx)
                    compiled = True
                    st.batch = self.order.position
                    if math.isfinite(loss) and math.isfinite(gnorm):
                        st.step += 1
                        st.nan_consecutive = 0
                        st.epoch_loss_sum += loss
                        st.epoch_loss_n += 1
                    else:
                        self._nan_guard(loss, gnorm)
                    if bar is not None:
                        bar.update(1)
                        bar.set_postfix(loss=f"{loss:.4g}", lr=f"{self.schedule.lr(st.step):.2e}")
                    try:
                        for callback in self.callbacks:
                            callback(self, loss)
                    except StopTraining:
                        stop_now = "stopped"
                    elapsed = st.elapsed_s + time.perf_counter() - t_session
                    if opt.max_time_s is not None and elapsed >= opt.max_time_s:
                        stop_now = f"not converged (wall-time budget {opt.max_time_s:g} s reached)"
                    if opt.max_steps is not None and st.step >= opt.max_steps:
                        stop_now = stop_now or "completed (max_steps reached)"
                    if stop_now and st.batch < self.n_batches:
                        break
                    if opt.checkpoint_every and st.step % opt.checkpoint_every == 0 \
                            and st.batch < self.n_batches:
                        self._checkpoint_mid_epoch(t_session)
                        t_session = time.perf_counter()
                if bar is not None:
                    bar.close()
                    bar = None
                if self.order.position == 0:  # the epoch ran to its end
                    stop_early = self._end_of_epoch(t_session)
                    self._epoch_line()
                    t_session = time.perf_counter()
                    if stop_early:
                        status = "early stopped"
                        break
                    if stop_now:
                        status = stop_now
                        break
                else:
                    status = stop_now or status
                    self._checkpoint_mid_epoch(t_session)
                    t_session = time.perf_counter()
                    break
        finally:
            if bar is not None:
                bar.close()
        st.status = status
        st.elapsed_s += time.perf_counter() - t_session
        summary = {"status": status, "converged": status == "early stopped",
                   "epochs": st.epoch, "steps": st.step, "best_monitor": st.best,
                   "best_epoch": st.best_epoch, "nan_events": st.nan_events,
                   "elapsed_s": round(st.elapsed_s, 2), "max_time_s": opt.max_time_s,
                   "train_frames_per_s": round(step_frames / step_time, 2) if step_time else None,
                   **runtime_info()}
        if self.n_ranks > 1:
            summary.update(workers=self.n_ranks, rank=self.rank,
                           train_frames_per_s_all_workers=round(
                               (summary["train_frames_per_s"] or 0.0) * self.n_ranks, 2))
        self.save_checkpoint(self.output / "last.npz")
        if self.writes:
            atomic_write_text(self.output / "summary.json", json.dumps(summary, indent=2))
        return summary

    def _checkpoint_mid_epoch(self, t_session: float) -> None:
        self.state.elapsed_s += time.perf_counter() - t_session
        self.save_checkpoint(self.output / "last.npz")


def describe(metrics) -> str:  # pragma: no cover - convenience for interactive use
    """Alias of :func:`cgmolct.train.metrics.format_metrics`."""
    return format_metrics(metrics)
