"""The restart state of a simulation: one ``.npz`` file, written atomically.

Format ``cgmolct-simulation-state``, version 1:

- ``meta``: 0-d unicode array holding JSON (the header of :func:`cgmolct.storage.make_header`:
  format, format_version, cgmolct version, units; then step, time in ps, the
  NumPy generator state, the integrator settings, the number of frames written so far);
- ``positions`` (B, N, 3) float32 Å, ``velocities`` (B, N, 3) float32 Å/ps,
  ``forces`` (B, N, 3) float32 kcal/mol/Å, ``potential`` (B,) float32 kcal/mol;
- ``nl/<name>``: the neighbour-list record (positions of the last builds, capacity), so
  that a restart rebuilds the same lists.

The forces at the current positions are stored, so a restarted run continues with exactly
the arrays an uninterrupted run would have held: same seed, same numbers, bit for bit.
Written through :func:`cgmolct.storage.write_npz_record` (temporary file, fsync,
``os.replace``) and read by :func:`cgmolct.storage.read_npz_record` (never unpickling; files
of cgmolct 0.1.0 with the header key ``version`` still load).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict

import numpy as np

from ..errors import InputError
from ..storage import make_header, read_npz_record, strip_identity, write_npz_record
from ..units import UNITS

__all__ = ["SimulationState", "save_state", "load_state", "STATE_FORMAT", "STATE_VERSION",
           "STATE_SUPPORTED_VERSIONS"]

STATE_FORMAT = "cgmolct-simulation-state"
STATE_VERSION = 1
#: Versions :func:`load_state` reads.
STATE_SUPPORTED_VERSIONS = (1,)
#: Header entries that are not settings of the run (dropped from ``SimulationState.meta``).
_HEADER_ONLY = ("cgmolct_version", "units")
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
    record = make_header(STATE_FORMAT, STATE_VERSION, units=dict(UNITS, velocity="angstrom/ps"),
                         step=int(state.step), rng_state=state.rng_state)
    record.update({k: v for k, v in strip_identity(state.meta).items()
                   if k not in _HEADER_ONLY + ("step", "rng_state")})
    arrays = {name: np.asarray(getattr(state, name)) for name in _ARRAYS}
    for key, value in state.neighbours.items():
        arrays[f"nl/{key}"] = np.asarray(value)
    write_npz_record(Path(path), record, arrays)


def load_state(path) -> SimulationState:
    """Read a state written by :func:`save_state`.

    Raises
    ------
    InputError
        Missing, corrupt or truncated file, another format, or an unknown version.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: restart state file does not exist")
    meta, arrays = read_npz_record(path, STATE_FORMAT, STATE_SUPPORTED_VERSIONS, InputError,
                                   what="cgmolct simulation state", noun="restart state")
    missing = [k for k in _ARRAYS if k not in arrays]
    if missing:
        raise InputError(f"{path}: restart state lacks {missing}")
    x = arrays["positions"]
    for name in ("velocities", "forces"):
        if arrays[name].shape != x.shape:
            raise InputError(f"{path}: {name} has shape {arrays[name].shape}; expected {x.shape}")
    nl = {k[3:]: v for k, v in arrays.items() if k.startswith("nl/")}
    if "step" not in meta or "rng_state" not in meta:
        raise InputError(f"{path}: restart state header lacks 'step' or 'rng_state'")
    step = int(meta.pop("step"))
    rng = meta.pop("rng_state")
    meta = {k: v for k, v in strip_identity(meta).items() if k not in _HEADER_ONLY}
    return SimulationState(positions=x, velocities=arrays["velocities"], forces=arrays["forces"],
                           potential=arrays["potential"], step=step, rng_state=rng,
                           neighbours=nl, meta=meta)
