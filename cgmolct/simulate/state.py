"""The restart state of a simulation: one ``.npz`` file, written atomically.

Format ``cgmolct-simulation-state``, version 1:

- ``meta``: 0-d unicode array holding JSON (format, version, units, step, time in ps, the
  NumPy generator state, the integrator settings, the number of frames written so far);
- ``positions`` (B, N, 3) float32 Å, ``velocities`` (B, N, 3) float32 Å/ps,
  ``forces`` (B, N, 3) float32 kcal/mol/Å, ``potential`` (B,) float32 kcal/mol;
- ``nl/<name>``: the neighbour-list record (positions of the last builds, capacity), so
  that a restart rebuilds the same lists.

The forces at the current positions are stored, so a restarted run continues with exactly
the arrays an uninterrupted run would have held: same seed, same numbers, bit for bit.
Written through :func:`cgmolct.storage.atomic_write` (temporary file,
fsync, ``os.replace``); loading never unpickles.
"""
from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict

import numpy as np

from .._version import __version__
from ..errors import InputError
from ..units import UNITS

__all__ = ["SimulationState", "save_state", "load_state", "STATE_FORMAT", "STATE_VERSION"]

STATE_FORMAT = "cgmolct-simulation-state"
STATE_VERSION = 1
_ARRAYS = ("positions", "velocities", "forces", "potential")


@dataclass
class SimulationState:
    """Everything a run needs to continue exactly.

    Attributes
    ----------
    positions, velocities, forces : (B, N, 3) float32
        Å, Å/ps, kcal/mol/Å.
    potential : (B,) float32
        kcal/mol.
    step : int
        Steps done since the start of the first piece.
    rng_state : dict
        ``numpy.random.Generator.bit_generator.state`` (JSON-able).
    neighbours : dict of str -> ndarray
        :meth:`ReplicaNeighbours.state` (empty for all-pairs lists).
    meta : dict
        Settings of the run (dt, friction, temperature, seed, ...) and counters.
    """

    positions: np.ndarray
    velocities: np.ndarray
    forces: np.ndarray
    potential: np.ndarray
    step: int
    rng_state: Dict[str, Any]
    neighbours: Dict[str, np.ndarray] = field(default_factory=dict)
    meta: Dict[str, Any] = field(default_factory=dict)

    @property
    def n_replicas(self) -> int:
        return int(self.positions.shape[0])

    @property
    def n_beads(self) -> int:
        return int(self.positions.shape[1])


def save_state(state: SimulationState, path) -> None:
    """Write ``state`` to ``path`` (``.npz``) atomically."""
    from ..storage import atomic_write

    record = {"format": STATE_FORMAT, "version": STATE_VERSION, "cgmolct_version": __version__,
              "units": dict(UNITS, velocity="angstrom/ps"), "step": int(state.step),
              "rng_state": state.rng_state, **state.meta}
    arrays = {"meta": np.array(json.dumps(record))}
    for name in _ARRAYS:
        arrays[name] = np.asarray(getattr(state, name))
    for key, value in state.neighbours.items():
        arrays[f"nl/{key}"] = np.asarray(value)
    atomic_write(Path(path), lambda handle: np.savez(handle, **arrays))


def load_state(path) -> SimulationState:
    """Read a state written by :func:`save_state`.

    Raises
    ------
    InputError
        Missing, corrupt or truncated file, another format, or an unknown version.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: restart state file does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise InputError(f"{path}: not a readable restart state ({exc})") from None
    try:
        meta = json.loads(str(arrays.pop("meta")))
    except (KeyError, ValueError):
        raise InputError(f"{path}: not a cgmolct simulation state (no metadata)") from None
    if not isinstance(meta, dict) or meta.get("format") != STATE_FORMAT:
        raise InputError(f"{path}: not a cgmolct simulation state (format "
                         f"{meta.get('format') if isinstance(meta, dict) else None!r})")
    if meta.get("version") != STATE_VERSION:
        raise InputError(f"{path}: simulation state version {meta.get('version')!r} is not "
                         f"supported (this cgmolct reads version {STATE_VERSION})")
    missing = [k for k in _ARRAYS if k not in arrays]
    if missing:
        raise InputError(f"{path}: restart state lacks {missing}")
    x = arrays["positions"]
    for name in ("velocities", "forces"):
        if arrays[name].shape != x.shape:
            raise InputError(f"{path}: {name} has shape {arrays[name].shape}; expected {x.shape}")
    nl = {k[3:]: v for k, v in arrays.items() if k.startswith("nl/")}
    step = int(meta.pop("step"))
    rng = meta.pop("rng_state")
    for key in ("format", "version", "cgmolct_version", "units"):
        meta.pop(key, None)
    return SimulationState(positions=x, velocities=arrays["velocities"], forces=arrays["forces"],
                           potential=arrays["potential"], step=step, rng_state=rng,
                           neighbours=nl, meta=meta)
