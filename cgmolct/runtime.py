"""MindSpore's CPU thread counts, set once and explicitly, and the facts every run records.

MindSpore 2.10 starts 25 CPU kernel threads by default; on a 2-core machine that
oversubscribes the cores and throughput collapses (13× slower was seen when other processes
shared them).  :func:`set_threads` fixes the kernel thread count (default: the cores this
process may use) and :func:`runtime_info` records it with the load average in logs,
summaries and benchmark results.
"""
from __future__ import annotations

import os
from typing import Any, Dict, Optional

from .errors import ConfigError

__all__ = ["available_cores", "set_threads", "current_threads", "runtime_info"]

_THREADS: Optional[int] = None
#: MindSpore runtime dispatch threads (see :func:`set_threads`).
DISPATCH_THREADS = 1


def available_cores() -> int:
    """Cores this process may run on (CPU affinity), at least 1."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - platforms without affinity
        return max(os.cpu_count() or 1, 1)


def set_threads(threads: Optional[int] = None) -> int:
    """Set MindSpore's CPU kernel threads to ``threads`` (default: the available cores).

    Call it before the first MindSpore kernel runs; later calls with the same number are
    free, and a different number is applied when MindSpore still accepts it.

    Returns
    -------
    int
        The thread count in force.
    """
    global _THREADS
    if threads is None:
        threads = available_cores()
    if isinstance(threads, bool) or not isinstance(threads, int) or threads <= 0:
        raise ConfigError(f"threads must be a positive integer, got {threads!r}")
    if _THREADS == threads:
        return threads
    import mindspore as ms

    try:
        ms.device_context.cpu.op_tuning.threads_num(int(threads))
    except Exception:  # pragma: no cover - MindSpore refuses after its backend started
        pass
    try:
        # one dispatch thread: its actors spin beside the kernel threads, and with as many
        # dispatch as kernel threads a 2-core machine ran every training step at half speed
        # (EA1 and SchNet3 force-matching steps, MD17 batch 32: 310 → 163 ms per step)
        ms.runtime.dispatch_threads_num(DISPATCH_THREADS)
    except Exception:  # pragma: no cover
        pass
    _THREADS = int(threads)
    return _THREADS


def current_threads() -> Optional[int]:
    """The thread count set by :func:`set_threads` (None when it was never called)."""
    return _THREADS


def runtime_info() -> Dict[str, Any]:
    """Threads, cores and the 1/5/15-minute load average (a busy machine skews timings)."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {"threads": _THREADS, "dispatch_threads": DISPATCH_THREADS if _THREADS else None,
            "cores_available": available_cores(),
            "load_average_1_5_15": [round(x, 2) for x in load]}
