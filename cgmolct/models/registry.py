"""Name → class table of every serialisable cell (models and readouts).

A cell is serialised as ``{"class": name, "module": ..., "config": {...}}``; a constructor argument that is
itself a registered cell is serialised the same way, nested.  :func:`build` reverses it
with no pickle and no user code: only registered classes can be rebuilt, and the only
modules imported to find one are modules of ``cgmolct`` itself.
"""
from __future__ import annotations

from typing import Any, Dict, Type

from ..errors import CheckpointError

__all__ = ["register", "registered", "to_spec", "build"]

_REGISTRY: Dict[str, type] = {}


def register(cls: Type) -> Type:
    """Class decorator: make ``cls`` rebuildable by :func:`build` under its class name."""
    _REGISTRY[cls.__name__] = cls
    return cls


def registered() -> Dict[str, type]:
    """Copy of the registry (imports the model and readout modules first)."""
    _import_all()
    return dict(_REGISTRY)


def _import_all() -> None:
    from .. import readouts  # noqa: F401  (registers the readouts)
    from . import molct, physnet, schnet  # noqa: F401


def _encode(value: Any) -> Any:
    if hasattr(value, "get_config") and type(value).__name__ in _REGISTRY:
        return to_spec(value)
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    return value


def to_spec(cell) -> Dict[str, Any]:
    """``{"class": ..., "config": ...}`` of a registered cell (JSON-serialisable)."""
    name = type(cell).__name__
    if name not in _REGISTRY:
        raise CheckpointError(f"{name} is not a registered cgmolct model or readout; "
                              f"cannot serialise it (known: {', '.join(sorted(_REGISTRY))})")
    return {"class": name, "module": type(cell).__module__, "config": _encode(cell.get_config())}


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) in ({"class", "config"}, {"class", "config", "module"}):
        return build(value)
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    return value


def build(spec: Dict[str, Any]):
    """Rebuild a cell (with fresh weights) from :func:`to_spec` output."""
    _import_all()
    if not isinstance(spec, dict) or "class" not in spec or "config" not in spec:
        raise CheckpointError(f"model specification must be a dict with 'class' and 'config'; got {spec!r:.200}")
    cls = _REGISTRY.get(spec["class"])
    module = spec.get("module")
    if cls is None and isinstance(module, str) and module.startswith("cgmolct."):
        # a class registered by another cgmolct module (e.g. cgmolct.train.property_model);
        # only modules of this library are imported, never arbitrary ones
        import importlib

        try:
            importlib.import_module(module)
        except ImportError:
            pass
        cls = _REGISTRY.get(spec["class"])
    if cls is None:
        raise CheckpointError(f"unknown model class {spec['class']!r}; known: {', '.join(sorted(_REGISTRY))}")
    config = spec["config"]
    if not isinstance(config, dict):
        raise CheckpointError(f"config of {spec['class']} must be a dict, got {type(config).__name__}")
    kwargs = {k: _decode(v) for k, v in config.items()}
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise CheckpointError(f"cannot rebuild {spec['class']} from its saved config: {exc}") from None
