"""The exception hierarchy of ``cgmolct``.

Every public entry point raises a subclass of :class:`CgmolctError` for a problem that the
user can act on.  Problems with structure files and CG mapping come from ``topologies`` as
:class:`topologies.errors.TopologyError`; both families are caught by the command line,
which turns input problems into exit code 2 and failed runs into exit code 1.
"""
from __future__ import annotations

from topologies.errors import TopologyError

__all__ = [
    "CgmolctError",
    "InputError",
    "ConfigError",
    "DataError",
    "ModelError",
    "CheckpointError",
    "TrainingError",
    "SimulationError",
    "EnvironmentCheckError",
    "TopologyError",
    "USER_INPUT_ERRORS",
]


class CgmolctError(Exception):
    """Base class of every error raised by ``cgmolct`` on purpose."""


class InputError(CgmolctError, ValueError):
    """An argument, array or file given by the user is not what the function needs."""


class ConfigError(InputError):
    """A training/simulation configuration has a missing, unknown or ill-typed key."""


class DataError(InputError):
    """A data set (npz, folder, CGGraph frames) is missing, truncated or inconsistent."""


class ModelError(CgmolctError):
    """A model was built or called with inconsistent shapes, types or hyper-parameters."""


class CheckpointError(InputError):
    """A saved model or training checkpoint is missing, corrupt or of an unknown version."""


class TrainingError(CgmolctError):
    """Training cannot go on (for example every batch produced a non-finite loss)."""


class SimulationError(CgmolctError):
    """A CG simulation blew up or was set up inconsistently."""


class EnvironmentCheckError(CgmolctError):
    """An environment check of ``cgmolct doctor`` failed."""


#: Errors that mean "the user's input is wrong" (command-line exit code 2).
USER_INPUT_ERRORS = (InputError, TopologyError)
