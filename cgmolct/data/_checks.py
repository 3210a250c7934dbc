"""Validation helpers shared by the data modules (raise :class:`~cgmolct.errors.DataError`)."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from ..errors import DataError


def shape_text(shape: Sequence[Optional[object]]) -> str:
    """``(frames, beads, 3)``-style text for an expected shape (None = any size)."""
    parts = ["any" if s is None else str(s) for s in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def check_array(
    value,
    name: str,
    shape: Sequence[Optional[object]],
    *,
    dtype_kind: str = "f",
    finite: bool = True,
    where: str = "",
) -> np.ndarray:
    """Return ``value`` as an array after checking its rank, fixed axes and values.

    Parameters
    ----------
    value : array_like
        The array to check.
    name : str
        Its name in error messages (``"positions"``).
    shape : sequence
        Expected shape; ``None`` or a string (a named size like ``"beads"``) matches any
        length, an int must match exactly.
    dtype_kind : str
        ``"f"`` for real numbers (ints are accepted and converted later), ``"i"`` for
        integers, ``"b"`` for booleans.
    finite : bool
        Reject NaN and infinite values (real arrays only).
    where : str
        File or context prefixed to messages (``"ethanol.npz: "``).

    Raises
    ------
    DataError
        Naming the array, the expected and the actual shape, or the first bad entry.
    """
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists etc.
        raise DataError(f"{where}{name} cannot be read as an array ({exc})") from None
    ok = arr.ndim == len(shape) and all(
        not isinstance(s, int) or arr.shape[k] == s for k, s in enumerate(shape))
    if not ok:
        raise DataError(
            f"{where}{name} has shape {arr.shape}; expected {shape_text(shape)}")
    kind = arr.dtype.kind
    if dtype_kind == "f" and kind not in "fiub":
        raise DataError(f"{where}{name} has dtype {arr.dtype}; expected real numbers")
    if dtype_kind == "i" and kind not in "iu":
        if kind == "f" and arr.size and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise DataError(f"{where}{name} has dtype {arr.dtype}; expected integers")
    if dtype_kind == "b" and kind != "b":
        if kind in "iu" and arr.size and np.all((arr == 0) | (arr == 1)):
            arr = arr.astype(bool)
        elif kind in "iu" and arr.size == 0:
            arr = arr.astype(bool)
        else:
            raise DataError(f"{where}{name} has dtype {arr.dtype}; expected booleans")
    if finite and dtype_kind == "f" and kind == "f" and arr.size:
        bad = ~np.isfinite(arr)
        if bad.any():
            first = tuple(int(v) for v in np.argwhere(bad)[0])
            raise DataError(
                f"{where}{name} contains {int(bad.sum())} NaN/infinite value(s), "
                f"first at index {first}")
    return arr


def check_positive(value, name: str) -> float:
    """A finite number > 0 (cutoffs, skins, fractions of Å)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise DataError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(v) or v <= 0:
        raise DataError(f"{name} must be a finite number > 0, got {value!r}")
    return v
