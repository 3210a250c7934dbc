"""Train/validation/test splits: by fraction (or count) with a seed, or from an index file.

An index file is JSON ``{"train": [...], "valid": [...], "test": [...]}`` or an ``.npz``
with one integer array per split name.  Splits are disjoint; they are written atomically.

Examples
--------
>>> train, valid = split_by_fraction(10, (0.8, 0.2), seed=1)
>>> len(train), len(valid), len(set(train) & set(valid))
(8, 2, 0)
"""
from __future__ import annotations

import json
import os
from typing import Dict, Sequence, Tuple, Union

import numpy as np

from ..errors import DataError

__all__ = ["split_by_fraction", "load_split", "save_split", "check_split"]


def split_by_fraction(n: int, sizes: Sequence[Union[float, int]], *, seed: int = 0,
                      shuffle: bool = True) -> Tuple[np.ndarray, ...]:
    """Disjoint random index sets of ``range(n)``.

    Parameters
    ----------
    n : int
        Number of samples.
    sizes : sequence of float or int
        Fractions (floats summing to <= 1; the last split gets the rounding rest only if
        the fractions sum to 1) or counts (ints, summing to <= n).
    seed : int
        Seed of the permutation; the same (n, sizes, seed) give the same splits.
    shuffle : bool
        False keeps the order (contiguous blocks).

    Returns
    -------
    tuple of (n_k,) int64 arrays, each sorted.
    """
    n = int(n)
    if n <= 0:
        raise DataError(f"cannot split {n} samples")
    sizes = list(sizes)
    if not sizes:
        raise DataError("sizes must name at least one split")
    if all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in sizes):
        counts = [int(s) for s in sizes]
        if min(counts) < 0 or sum(counts) > n:
            raise DataError(f"split counts {counts} must be >= 0 and sum to at most {n}")
    else:
        fr = np.asarray(sizes, dtype=np.float64)
        if np.any(fr < 0) or fr.sum() > 1 + 1e-9:
            raise DataError(f"split fractions {sizes} must be >= 0 and sum to at most 1")
        counts = [int(np.floor(f * n + 1e-9)) for f in fr]
        if abs(fr.sum() - 1) < 1e-9:
            counts[-1] = n - sum(counts[:-1])
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    out, start = [], 0
    for c in counts:
        out.append(np.sort(order[start:start + c]).astype(np.int64))
        start += c
    return tuple(out)


def check_split(split: Dict[str, np.ndarray], n: int, where: str = "split") -> Dict[str, np.ndarray]:
    """Check that index sets are integers in [0, n) without duplicates or overlaps."""
    seen: Dict[int, str] = {}
    out = {}
    for name, idx in split.items():
        arr = np.asarray(idx)
        if arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iu"):
            raise DataError(f"{where}: {name!r} must be a list of integers, got shape "
                            f"{arr.shape} dtype {arr.dtype}")
        arr = arr.astype(np.int64)
        if arr.size and (arr.min() < 0 or arr.max() >= n):
            raise DataError(f"{where}: {name!r} has indices outside [0, {n}) (range "
                            f"{arr.min()}..{arr.max()})")
        uniq, counts = np.unique(arr, return_counts=True)
        if np.any(counts > 1):
            raise DataError(f"{where}: {name!r} repeats index {int(uniq[counts > 1][0])}")
        for i in uniq.tolist():
            if i in seen:
                raise DataError(f"{where}: index {i} is in both {seen[i]!r} and {name!r}")
            seen[i] = name
        out[str(name)] = arr
    return out


def load_split(path, n: int) -> Dict[str, np.ndarray]:
    """Read an index file (JSON or npz) and check it against ``n`` samples."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise DataError(f"{path}: no such split file")
    try:
        if path.endswith(".npz"):
            with np.load(path, allow_pickle=False) as data:
                raw = {k: np.asarray(data[k]) for k in data.files}
        else:
            with open(path, encoding="utf-8") as fh:
                raw = json.load(fh)
            if not isinstance(raw, dict):
                raise DataError(f"{path}: expected a JSON object {{split name: [indices]}}")
            raw = {k: np.asarray(v) for k, v in raw.items()}
    except DataError:
        raise
    except Exception as exc:
        raise DataError(f"{path}: cannot read the split file ({exc})") from None
    return check_split(raw, n, where=path)


def save_split(path, split: Dict[str, np.ndarray], n: int) -> str:
    """Write ``split`` as JSON atomically (temp file + ``os.replace``); returns the path."""
    from ..storage import atomic_write_text

    path = os.fspath(path)
    clean = check_split(split, n)
    atomic_write_text(path, json.dumps({k: v.tolist() for k, v in clean.items()}))
    return path
