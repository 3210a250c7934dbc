"""Data-parallel training on MindSpore's own dynamic cluster (scheduler + worker processes).

MindSpore starts a cluster from environment variables: one **scheduler** process
(``MS_ROLE=MS_SCHED``) and ``MS_WORKER_NUM`` **worker** processes (``MS_ROLE=MS_WORKER``,
``MS_NODE_ID`` 0..N−1), all pointing at ``MS_SCHED_HOST:MS_SCHED_PORT``.  Each worker calls
:func:`init_worker` (``mindspore.communication.init`` and the data-parallel context) and runs
the ordinary trainer, which then

- draws the same global permutation on every rank and gives rank r the frames ``r, r+N, ...``
  of each global batch of ``N × batch_size`` frames (every frame once per epoch, none twice);
- averages the gradients across ranks inside the compiled step
  (``nn.DistributedGradReducer``), so the weights stay identical on every rank;
- all-reduces the training loss and the validation error sums;
- writes logs and checkpoints on rank 0 only (atomically), and resumes every rank from them.

:func:`launch` starts a whole cluster on one machine (``cgmolct train CONFIG --workers N``):
the scheduler and N workers as child processes on a free loopback port, one thread count per
worker (cores // N), rank 0's output on the terminal and every rank's in
``OUTPUT/workers/rank_K.log``.  When a worker dies the launcher stops the others and raises
:class:`~cgmolct.errors.TrainingError` naming it within a few seconds; the last checkpoint is
whole (it was written atomically) and ``--resume`` continues from it.

Several machines: run the scheduler on one node (``MS_ROLE=MS_SCHED python -m
cgmolct.train.distributed``) and ``cgmolct train CONFIG`` on every worker node with
``MS_ROLE=MS_WORKER MS_NODE_ID=k MS_WORKER_NUM=N MS_SCHED_HOST=<scheduler address>
MS_SCHED_PORT=<port>`` set (see README).
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np

from ..errors import ConfigError, TrainingError

__all__ = ["is_worker", "init_worker", "world", "shard", "allreduce_sum", "launch",
           "run_cluster"]

_WORLD: Tuple[int, int] = (0, 1)


def is_worker() -> bool:
    """True in a process started as a MindSpore cluster worker (``MS_ROLE=MS_WORKER``)."""
    return os.environ.get("MS_ROLE") == "MS_WORKER"


def init_worker() -> Tuple[int, int]:
    """Join the cluster described by the environment; returns (rank, world size)."""
    global _WORLD
    import mindspore as ms
    from mindspore.communication import get_group_size, get_rank, init

    for name in ("MS_WORKER_NUM", "MS_SCHED_HOST", "MS_SCHED_PORT"):
        if not os.environ.get(name):
            raise ConfigError(f"MS_ROLE=MS_WORKER but {name} is not set (see "
                              "cgmolct.train.distributed for the cluster variables)")
    ms.set_device("CPU")
    init()
    _WORLD = (int(get_rank()), int(get_group_size()))
    ms.set_auto_parallel_context(parallel_mode=ms.ParallelMode.DATA_PARALLEL,
                                 gradients_mean=True)
    return _WORLD


def world() -> Tuple[int, int]:
    """(rank, world size) of this process; (0, 1) outside a cluster."""
    return _WORLD


def shard(indices: np.ndarray, rank: int, n_ranks: int) -> np.ndarray:
    """Rank ``rank``'s part of a global batch: every ``n_ranks``-th index from ``rank`` on."""
    return np.asarray(indices)[rank::n_ranks]


def allreduce_sum(values: np.ndarray) -> np.ndarray:
    """Element-wise sum of ``values`` over all ranks (float32 on the wire); a copy outside a
    cluster."""
    values = np.asarray(values, np.float32)
    if _WORLD[1] == 1:
        return values.copy()
    from mindspore import Tensor, ops

    return ops.AllReduce()(Tensor(values)).asnumpy()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tail(path: Path, lines: int = 6) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    keep = [ln for ln in text if not ln.startswith("[INFO]") and ln.strip()]
    return " | ".join(keep[-lines:])


def launch(train_args: Sequence[str], workers: int, output: Path, *,
           threads: Optional[int] = None) -> int:
    """Run ``cgmolct train <train_args>`` as ``workers`` data-parallel workers on this machine.

    Parameters
    ----------
    train_args : sequence of str
        Arguments of ``cgmolct train`` for every worker (without ``--workers``).
    workers : int
        Number of worker processes (≥ 2).
    output : path
        The run's output folder (per-rank logs go to ``output/workers``).
    threads : int, optional
        CPU threads per worker (default: available cores // workers, at least 1).

    Returns
    -------
    int
        0 when every worker finished; otherwise :class:`TrainingError` is raised.
    """
    from ..runtime import available_cores

    if workers < 2:
        raise ConfigError(f"--workers must be at least 2 for a distributed run, got {workers}")
    threads = threads or max(1, available_cores() // workers)
    cmd = [sys.executable, "-m", "cgmolct.cli", "train", *train_args, "--threads", str(threads)]
    try:
        return run_cluster(cmd, workers, Path(output) / "workers", threads=threads)
    except TrainingError as exc:
        raise TrainingError(f"{exc}. The last checkpoint {Path(output) / 'last.npz'} is intact: "
                            "continue with --resume") from None


def run_cluster(command: Sequence[str], workers: int, logs: Path, *, threads: int = 1,
                poll_s: float = 0.5) -> int:
    """Start a scheduler and ``workers`` processes running ``command`` on loopback; wait.

    Rank 0 keeps this terminal, the others write ``logs/rank_K.log``.  When a worker exits
    with an error or a signal, the others are stopped and :class:`TrainingError` names it.
    """
    logs = Path(logs)
    logs.mkdir(parents=True, exist_ok=True)
    base = dict(os.environ, MS_WORKER_NUM=str(workers), MS_SCHED_HOST="127.0.0.1",
                MS_SCHED_PORT=str(_free_port()), GLOG_v=os.environ.get("GLOG_v", "3"),
                OMP_NUM_THREADS=str(threads))
    procs: List[subprocess.Popen] = []
    handles = []
    try:
        sched_log = open(logs / "scheduler.log", "w")
        handles.append(sched_log)
        procs.append(subprocess.Popen([sys.executable, "-m", "cgmolct.train.distributed"],
                                      env=dict(base, MS_ROLE="MS_SCHED"), stdout=sched_log,
                                      stderr=subprocess.STDOUT))
        for rank in range(workers):
            env = dict(base, MS_ROLE="MS_WORKER", MS_NODE_ID=str(rank))
            if rank == 0:
                procs.append(subprocess.Popen(list(command), env=env))
            else:
                log = open(logs / f"rank_{rank}.log", "w")
                handles.append(log)
                procs.append(subprocess.Popen(list(command), env=env, stdout=log,
                                              stderr=subprocess.STDOUT))
        workers_procs = procs[1:]
        while True:
            codes = [p.poll() for p in workers_procs]
            failed = [(k, c) for k, c in enumerate(codes) if c not in (None, 0)]
            if failed:
                rank, code = failed[0]
                hint = _tail(logs / f"rank_{rank}.log") if rank else ""
                reason = f"signal {-code}" if code < 0 else f"exit code {code}"
                raise TrainingError(f"worker {rank} stopped ({reason})"
                                    f"{': ' + hint if hint else ''}; the other workers were stopped")
            if all(c == 0 for c in codes):
                return 0
            time.sleep(poll_s)
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.time() + 10
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
        for h in handles:
            h.close()


def _scheduler() -> None:  # pragma: no cover - runs as a child process
    """The scheduler process: joins the cluster and serves it until the workers finish."""
    from mindspore.communication import init

    init()


if __name__ == "__main__":  # pragma: no cover
    _scheduler()
