"""Training checkpoints: one ``.npz`` file of arrays + JSON metadata, written atomically.

Layout (format ``cgmolct-training-checkpoint``, version 1):

- ``meta``: 0-d unicode array holding a JSON object (format, version, library version, units,
  epoch, optimiser step, batch position within the epoch, RNG state, schedule state, NaN-guard
  counters, best metric, history, the full training configuration and the model spec);
- ``param/<name>``: every model parameter;
- ``opt/<name>``: every optimiser state tensor (Adam moments, beta powers, global step, ...).

Writing goes to a temporary file in the same folder, is flushed and fsync'ed, and only then
``os.replace``-d over the old file, so a crash (or SIGKILL) during the write leaves the
previous checkpoint intact.  Loading never unpickles (``allow_pickle=False``).
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any, Dict, Tuple

import numpy as np

from .._version import __version__
from ..errors import CheckpointError
from ..storage import atomic_write, atomic_write_bytes, atomic_write_text
from ..units import UNITS

__all__ = ["FORMAT", "VERSION", "write_checkpoint", "read_checkpoint", "atomic_write_bytes",
           "atomic_write_text"]

FORMAT = "cgmolct-training-checkpoint"
VERSION = 1


def write_checkpoint(path: Path, meta: Dict[str, Any], params: Dict[str, np.ndarray],
                     optimizer: Dict[str, np.ndarray]) -> None:
    """Write a training checkpoint atomically.

    Parameters
    ----------
    path : Path
        Destination ``.npz`` file; the previous file there stays loadable until the new one
        is complete.
    meta : dict
        JSON-serialisable metadata (epoch, step, RNG state, configuration, ...).
    params, optimizer : dict of str → ndarray
        Model parameters and optimiser state by name.
    """
    record = {"format": FORMAT, "version": VERSION, "cgmolct_version": __version__,
              "units": UNITS, **meta}
    arrays = {"meta": np.array(json.dumps(record))}
    arrays.update({f"param/{k}": np.asarray(v) for k, v in params.items()})
    arrays.update({f"opt/{k}": np.asarray(v) for k, v in optimizer.items()})
    atomic_write(Path(path), lambda h: np.savez(h, **arrays))


def read_checkpoint(path: Path) -> Tuple[Dict[str, Any], Dict[str, np.ndarray], Dict[str, np.ndarray]]:
    """Read a training checkpoint written by :func:`write_checkpoint`.

    Returns
    -------
    meta, params, optimizer
        The metadata dict and the two name → array dicts.

    Raises
    ------
    CheckpointError
        When the file is missing, truncated/corrupt, not a training checkpoint, or of an
        unknown format version.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: checkpoint file does not exist")
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, not a training checkpoint (.npz); "
                              "a saved model folder is read with cgmolct.load")
    try:
        with np.load(path, allow_pickle=False) as data:
            names = list(data.files)
            if "meta" not in names:
                raise CheckpointError(f"{path}: not a cgmolct training checkpoint (no 'meta' entry)")
            meta = json.loads(str(data["meta"]))
            params = {k[len("param/"):]: data[k] for k in names if k.startswith("param/")}
            opt = {k[len("opt/"):]: data[k] for k in names if k.startswith("opt/")}
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: checkpoint is corrupt or truncated ({type(exc).__name__}: {exc}); "
                              "resume from another checkpoint (best.npz / last.npz)") from None
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: format {meta.get('format')!r} is not {FORMAT!r}")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"{path}: training checkpoint version {meta.get('version')!r} is unknown "
                              f"(this cgmolct reads version {VERSION})")
    if not params:
        raise CheckpointError(f"{path}: checkpoint holds no model parameters")
    return meta, params, opt
