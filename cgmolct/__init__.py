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


# --- models: save / load / predict (lazy, so that ``import cgmolct`` never loads MindSpore)
_LAZY = {
    "save": ("cgmolct.io.checkpoint", "save_model"),
    "load": ("cgmolct.io.checkpoint", "load_model"),
    "predict": ("cgmolct.predict", "predict"),
}
__all__ += list(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'cgmolct' has no attribute {name!r}")
