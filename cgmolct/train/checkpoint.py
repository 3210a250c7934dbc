"""Training checkpoints: one ``.npz`` file of arrays + JSON metadata, written atomically.

Layout (format ``cgmolct-training-checkpoint``, version 1):

- ``meta``: 0-d unicode array holding a JSON object (the header of
  :func:`cgmolct.storage.make_header`: format, format_version, cgmolct version, units; then the
  epoch, optimiser step, batch position within the epoch, RNG state, schedule state, NaN-guard
  counters, best metric, history, the full training configuration and the model spec);
- ``param/<name>``: every model parameter;
- ``opt/<name>``: every optimiser state tensor (Adam moments, beta powers, global step, ...).

Writing goes to a temporary file in the same folder, is flushed and fsync'ed, and only then
``os.replace``-d over the old file, so a crash (or SIGKILL) during the write leaves the
previous checkpoint intact.  Loading never unpickles (``allow_pickle=False``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Tuple

import numpy as np

from ..errors import CheckpointError
from ..storage import (atomic_write_bytes, atomic_write_text, make_header, read_npz_record,
                       strip_identity, write_npz_record)
from ..units import UNITS

__all__ = ["FORMAT", "VERSION", "SUPPORTED_VERSIONS", "write_checkpoint", "read_checkpoint",
           "atomic_write_bytes", "atomic_write_text"]

FORMAT = "cgmolct-training-checkpoint"
VERSION = 1
#: Versions :func:`read_checkpoint` reads.
SUPPORTED_VERSIONS = (1,)


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
    record = make_header(FORMAT, VERSION, units=UNITS)
    record.update(strip_identity(meta))
    arrays = {f"param/{k}": np.asarray(v) for k, v in params.items()}
    arrays.update({f"opt/{k}": np.asarray(v) for k, v in optimizer.items()})
    write_npz_record(Path(path), record, arrays)


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
        unknown format version (files of cgmolct 0.1.0 with the key ``version`` still load).
    """
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, not a training checkpoint (.npz); "
                              "a saved model folder is read with cgmolct.load")
    meta, arrays = read_npz_record(
        path, FORMAT, SUPPORTED_VERSIONS, CheckpointError, what="cgmolct training checkpoint",
        noun="checkpoint", hint="resume from another checkpoint (best.npz / last.npz)")
    params = {k[len("param/"):]: v for k, v in arrays.items() if k.startswith("param/")}
    opt = {k[len("opt/"):]: v for k, v in arrays.items() if k.startswith("opt/")}
    if not params:
        raise CheckpointError(f"{path}: checkpoint holds no model parameters")
    return meta, params, opt
