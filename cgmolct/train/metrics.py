"""Validation / test metrics in physical units: MAE and RMSE per target.

:func:`evaluate` runs a prediction cell over a data set and accumulates errors on the host:
energy (kcal/mol), forces (kcal/mol/Å, per component over real beads) and each graph-label
column in its own unit.
"""
from __future__ import annotations

from typing import Callable, Dict, Optional, Sequence

import numpy as np

from ..data import keys as K

__all__ = ["ErrorAccumulator", "evaluate", "format_metrics"]


class ErrorAccumulator:
    """Running sums of |err| and err² for one target; ``result()`` gives MAE and RMSE."""

    def __init__(self, unit: str):
        self.unit = unit
        self.abs = 0.0
        self.sq = 0.0
        self.n = 0

    def add(self, err: np.ndarray) -> None:
        err = np.asarray(err, np.float64).ravel()
        self.abs += float(np.abs(err).sum())
        self.sq += float((err * err).sum())
        self.n += err.size

    def result(self) -> Dict[str, float]:
        n = max(self.n, 1)
        return {"mae": self.abs / n, "rmse": float(np.sqrt(self.sq / n)), "unit": self.unit,
                "count": self.n}


def _batches(n: int, batch_size: int):
    for start in range(0, n, batch_size):
        yield np.arange(start, min(start + batch_size, n))


def evaluate(predict: Callable, data, task: str, batch_size: int = 32,
             label_names: Optional[Sequence[str]] = None,
             label_units: Optional[Sequence[str]] = None,
             shard=(0, 1)) -> Dict[str, Dict[str, float]]:
    """MAE/RMSE of ``predict`` over ``data`` per target, in physical units.

    Parameters
    ----------
    predict : callable
        Takes the eight model inputs (tensors) and returns energies (B,) — or (energies,
        forces (B, N, 3)) for ``task="energy_forces"`` — or labels (B, L).
    data : object with ``__len__`` and ``batch(indices) -> dict``
        The evaluation set; batches follow :mod:`cgmolct.data.keys`.
    task : {"energy_forces", "forces", "energy", "labels"}
    batch_size : int
    label_names, label_units : sequences of str, optional
        Names and units of the label columns (default ``label_0``..., unit "").
    shard : (rank, n_ranks)
        In a data-parallel cluster each rank evaluates every ``n_ranks``-th batch and the
        error sums are all-reduced, so every rank returns the metrics of the whole set.

    Returns
    -------
    dict
        ``{"energy": {"mae": ..., "rmse": ..., "unit": "kcal/mol", "count": n}, ...}``.
    """
    from mindspore import Tensor

    acc: Dict[str, ErrorAccumulator] = {}
    n = len(data)
    rank, n_ranks = shard
    batches = list(_batches(n, batch_size))
    # every rank runs the same number of batches (a rank without one of its own repeats the
    # first, uncounted), so no rank waits in the all-reduce while another compiles
    rounds = -(-len(batches) // n_ranks)
    for j in range(rounds):
        k = j * n_ranks + rank
        counted = k < len(batches)
        idx = batches[k] if counted else batches[0]
        real = len(idx)
        if real < batch_size and n >= batch_size:
            # pad the last batch to the compiled shape by repeating its last frame
            idx = np.concatenate([idx, np.full(batch_size - real, idx[-1])])
        batch = data.batch(idx)
        if not counted:
            predict(*[Tensor(batch[key]) for key in K.MODEL_INPUTS])
            continue
        inputs = [Tensor(batch[k]) for k in K.MODEL_INPUTS]
        out = predict(*inputs)
        if task in ("energy_forces", "forces"):
            e, f = out
            if task == "energy_forces":
                e = np.asarray(e.asnumpy()).reshape(-1)[:real]
                acc.setdefault("energy", ErrorAccumulator("kcal/mol")).add(e - batch[K.ENERGY][:real])
            mask = batch[K.ATOM_MASK][:real].astype(bool)
            df = f.asnumpy()[:real] - batch[K.FORCES][:real]
            acc.setdefault("forces", ErrorAccumulator("kcal/mol/angstrom")).add(df[mask])
        elif task == "energy":
            e = np.asarray(out.asnumpy()).reshape(len(batch[K.ENERGY]), -1)[:real, 0]
            acc.setdefault("energy", ErrorAccumulator("kcal/mol")).add(e - batch[K.ENERGY][:real])
        elif task == "labels":
            pred = out.asnumpy()[:real]
            target = batch[K.LABELS][:real]
            names = list(label_names) if label_names else [f"label_{k}" for k in range(target.shape[1])]
            units = list(label_units) if label_units else [""] * target.shape[1]
            for k, name in enumerate(names):
                acc.setdefault(name, ErrorAccumulator(units[k])).add(pred[:, k] - target[:, k])
        else:  # pragma: no cover - validated by the configuration schema
            raise ValueError(f"unknown task {task!r}")
    if n_ranks > 1:
        from .distributed import allreduce_sum

        units = {"energy": "kcal/mol", "forces": "kcal/mol/angstrom"}
        expected = {"energy_forces": ["energy", "forces"], "forces": ["forces"],
                    "energy": ["energy"]}.get(task) or list(label_names or acc)
        for name in expected:  # a rank without validation batches still joins the reduce
            acc.setdefault(name, ErrorAccumulator(units.get(name, "")))
        names = sorted(acc)
        sums = allreduce_sum(np.array([[acc[k].abs, acc[k].sq, acc[k].n] for k in names]))
        for k, (a, q, c) in zip(names, sums):
            acc[k].abs, acc[k].sq, acc[k].n = float(a), float(q), int(round(c))
    return {name: a.result() for name, a in acc.items()}


def format_metrics(metrics: Dict[str, Dict[str, float]]) -> str:
    """One line per target: ``energy  MAE 0.512  RMSE 0.701  kcal/mol``."""
    width = max((len(k) for k in metrics), default=0)
    return "\n".join(f"{name:<{width}}  MAE {m['mae']:.4g}  RMSE {m['rmse']:.4g}  {m['unit']}"
                     for name, m in metrics.items())
