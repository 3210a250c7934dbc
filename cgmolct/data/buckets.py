"""Fixed capacities ("buckets") for padded arrays, so graph mode compiles once per bucket.

MindSpore's graph mode compiles a network once per input shape.  Padding every batch to
the exact largest molecule or neighbour count would give a new shape almost every batch;
padding to the next value of a short geometric ladder gives a handful of shapes:

    8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768,
    1024, 1152, 1280, ..., 1920, 2048, 2304, ..., 3840, 4096, 4608, 5120, ...

(powers of two and 1.5 times powers of two up to 1024, so at most 50 % of a padded axis is
padding; above 1024 steps of 1/8 of the power of two, at most 12.5 % padding, because
memory and time of large systems grow with the padded size: 5,000 beads pad to 5,120, not
6,144).

Examples
--------
>>> bucket_capacity(9)
12
>>> bucket_capacity(33)
48
>>> bucket_capacity(5, minimum=16)
16
"""
from __future__ import annotations

from typing import Optional, Sequence

from ..errors import DataError

__all__ = ["DEFAULT_BUCKETS", "bucket_capacity", "resolve_capacity"]


#: From this capacity on the ladder has 8 steps per doubling instead of 2.
FINE_FROM = 1024


def _ladder(limit: int = 1 << 24) -> tuple:
    out, p = [], 8
    while p <= limit:
        if p < FINE_FROM:
            out += [p, p * 3 // 2]
        else:
            out += [p + p * i // 8 for i in range(8)]
        p *= 2
    return tuple(out)


#: The default ladder of capacities (8 … about 25 million).
DEFAULT_BUCKETS = _ladder()


def bucket_capacity(n: int, *, buckets: Optional[Sequence[int]] = None, minimum: int = 1) -> int:
    """Smallest bucket >= max(n, minimum).

    Parameters
    ----------
    n : int
        Number of entries that must fit (beads, neighbours, pairs).
    buckets : sequence of int, optional
        Increasing capacities; default :data:`DEFAULT_BUCKETS`.  Beyond the last bucket
        the capacity is ``n`` rounded up to a multiple of the last bucket.
    minimum : int
        Lower bound on the returned capacity (at least 1 so arrays never have a zero axis).

    Returns
    -------
    int
    """
    n = max(int(n), int(minimum), 1)
    ladder = DEFAULT_BUCKETS if buckets is None else tuple(int(b) for b in buckets)
    if not ladder or any(b <= 0 for b in ladder) or list(ladder) != sorted(ladder):
        raise DataError(f"buckets must be increasing positive integers, got {list(ladder)}")
    for b in ladder:
        if b >= n:
            return b
    last = ladder[-1]
    return -(-n // last) * last


def resolve_capacity(needed: int, capacity, name: str, *, buckets=None, minimum: int = 1) -> int:
    """Capacity to use: ``capacity`` if it is an int (forced), else the bucket of ``needed``.

    ``capacity`` may be None or ``"auto"`` (bucket) or a positive int (forced).  A forced
    capacity smaller than ``needed`` is returned as is; the caller decides whether that
    is an error or a truncation.
    """
    if capacity is None or (isinstance(capacity, str) and capacity == "auto"):
        return bucket_capacity(needed, buckets=buckets, minimum=minimum)
    try:
        cap = int(capacity)
    except (TypeError, ValueError):
        raise DataError(f"{name} must be a positive integer or 'auto', got {capacity!r}") from None
    if cap <= 0 or cap != capacity:
        raise DataError(f"{name} must be a positive integer or 'auto', got {capacity!r}")
    return cap
