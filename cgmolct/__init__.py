"""cgmolct: MolCT representation learning from atoms to coarse-grained biomolecules.

Importing ``cgmolct`` does not load MindSpore; the model-level functions below import it
on first use.
"""
from __future__ import annotations

from ._version import __version__
from .errors import (CgmolctError, CheckpointError, ConfigError, DataError, InputError,
                     ModelError, SimulationError, TopologyError, TrainingError)

__all__ = [
    "__version__", "CgmolctError", "InputError", "ConfigError", "DataError", "ModelError",
    "CheckpointError", "TrainingError", "SimulationError", "TopologyError",
]
