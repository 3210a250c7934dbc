"""The saved-model format: a folder with ``model.json`` and ``weights.ckpt``.

``model.json`` (format ``cgmolct-model``, ``format_version`` :data:`FORMAT_VERSION`: the
header of :func:`cgmolct.storage.make_header`; files with the legacy key ``version`` load
too) holds the model specification (class names and constructor arguments, nested; see
:mod:`cgmolct.models.registry`), the normalisation of node readouts, the units, the
vocabulary and relation-code versions, the cgmolct version, user metadata (mapping name,
priors ...) and the SHA-256 and size of ``weights.ckpt``, a MindSpore checkpoint
(protobuf, no pickle).  Loading rebuilds the model from registered classes only.

Writes are atomic: the folder is written under a temporary name and renamed into place.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any, Dict, Optional

import numpy as np

from ..errors import CheckpointError
from ..storage import (atomic_write_text, make_header, read_json_record, swap_in_folder,
                       temporary_folder, umask_mode)
from ..units import UNITS

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "SUPPORTED_VERSIONS", "save_model", "load_model",
           "read_model_info", "MODEL_JSON", "WEIGHTS_FILE"]

FORMAT_NAME = "cgmolct-model"
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)
MODEL_JSON = "model.json"
WEIGHTS_FILE = "weights.ckpt"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _named_parameters(model) -> Dict[str, Any]:
    """Parameters of ``model`` by attribute path (stable however the model is wrapped)."""
    out: Dict[str, Any] = {}
    for name, p in model.parameters_and_names():
        out.setdefault(name, p)
    return out


def _normalisation(model) -> Dict[str, Any]:
    """Scale/shift/type references of every node readout inside ``model`` (by cell name)."""
    from ..readouts.node import NodeReadout

    out = {}
    for name, cell in model.cells_and_names():
        if isinstance(cell, NodeReadout):
            cfg = cell.get_config()
            out[name or "readout"] = {k: cfg[k] for k in ("scale", "shift", "type_reference")}
    return out


def save_model(model, path, metadata: Optional[Dict[str, Any]] = None, priors=None) -> str:
    """Save ``model`` (a registered cgmolct cell) into the folder ``path``, atomically.

    Parameters
    ----------
    model : mindspore.nn.Cell
        MolCT, SchNet, PhysNet, a readout or an :class:`~cgmolct.readouts.EnergyForceModel`.
    path : str or Path
        Target folder; an existing saved model there is replaced, anything else is refused.
    metadata : dict, optional
        JSON-serialisable extras (mapping name, training info).
    priors : cgmolct.priors.PriorSet, optional
        Physical priors of a CG force field, written as ``priors.json`` inside the same folder
        (read back with :func:`cgmolct.priors.load_priors`; the simulator adds them).

    Returns
    -------
    str
        The folder written.
    """
    import mindspore as ms
    from topologies.relations import RELATION_VERSION
    from topologies.vocabulary import VOCABULARY_VERSION

    from ..models.registry import to_spec

    path = Path(path)
    if path.exists() and not (path.is_dir() and (path / MODEL_JSON).exists()):
        raise CheckpointError(f"{path} exists and is not a saved cgmolct model; refusing to overwrite it")
    spec = to_spec(model)
    try:
        meta_text = json.dumps(metadata or {})
    except TypeError as exc:
        raise CheckpointError(f"metadata must be JSON-serialisable: {exc}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_folder(path)
    try:
        weights = tmp / WEIGHTS_FILE
        # structural names (attribute paths from ``model``), not Parameter.name: wrapping a
        # model in a training cell renames its parameters ("model.potential...")
        named = _named_parameters(model)
        ms.save_checkpoint([{"name": name, "data": p} for name, p in named.items()], str(weights))
        info = make_header(
            FORMAT_NAME, FORMAT_VERSION, units=UNITS, model=spec,
            normalisation=_normalisation(model), vocabulary_version=VOCABULARY_VERSION,
            relation_version=RELATION_VERSION, metadata=json.loads(meta_text),
            weights={"file": WEIGHTS_FILE, "sha256": _sha256(weights),
                     "bytes": weights.stat().st_size,
                     "n_parameters": int(sum(np.prod(p.shape) for p in named.values()))})
        atomic_write_text(tmp / MODEL_JSON, json.dumps(info, indent=2))
        if priors is not None:
            from ..priors.storage import save_priors

            save_priors(priors, tmp)
        # MindSpore writes a 0400 checkpoint: use the umask instead
        os.chmod(weights, umask_mode(0o666))
        swap_in_folder(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return str(path)


def read_model_info(path) -> Dict[str, Any]:
    """Read and check ``model.json`` of a saved model (no weights loaded)."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: no saved model there")
    js = path / MODEL_JSON if path.is_dir() else path
    if not js.is_file():
        raise CheckpointError(f"{path}: not a saved cgmolct model (no {MODEL_JSON})")
    info = read_json_record(js, FORMAT_NAME, SUPPORTED_VERSIONS, CheckpointError,
                            what="cgmolct model file")
    for key in ("model", "weights"):
        if key not in info:
            raise CheckpointError(f"{js}: missing entry {key!r}")
    if not isinstance(info["weights"], dict):
        raise CheckpointError(f"{js}: entry 'weights' must be a mapping, got {info['weights']!r:.60}")
    _check_normalisation(info.get("normalisation"), js)
    meta = info.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        raise CheckpointError(f"{js}: entry 'metadata' must be a mapping, got {meta!r:.60}")
    for key in ("trained_types", "trained_relation_codes"):
        value = (meta or {}).get(key)
        if value is not None and not (isinstance(value, list)
                                      and all(isinstance(v, int) and not isinstance(v, bool)
                                              for v in value)):
            raise CheckpointError(f"{js}: metadata.{key} must be a list of integers")
    return info


def _check_normalisation(norm, js) -> None:
    """``normalisation``: readout name → {scale, shift, type_reference} of finite numbers."""
    if norm is None:
        return
    if not isinstance(norm, dict):
        raise CheckpointError(f"{js}: entry 'normalisation' must be a mapping of readouts, "
                              f"got {norm!r:.60}")
    for name, entry in norm.items():
        if not isinstance(entry, dict):
            raise CheckpointError(f"{js}: normalisation[{name!r}] must be a mapping, got {entry!r:.60}")
        for key in ("scale", "shift"):
            values = entry.get(key)
            flat = values if isinstance(values, list) else [values]
            if values is None or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                         and np.isfinite(v) for v in flat):
                raise CheckpointError(f"{js}: normalisation[{name!r}].{key} must be finite "
                                      f"number(s), got {values!r:.60}")
        ref = entry.get("type_reference")
        if ref is not None and not isinstance(ref, dict):
            raise CheckpointError(f"{js}: normalisation[{name!r}].type_reference must be a "
                                  f"mapping of type → value, got {ref!r:.60}")


def load_model(path, *, strict_versions: bool = True):
    """Rebuild a saved model from the folder ``path`` (no pickle, no user code).

    Parameters
    ----------
    path : str or Path
        A folder written by :func:`save_model`.
    strict_versions : bool
        Refuse a model saved with another vocabulary or relation-code version (default).

    Returns
    -------
    mindspore.nn.Cell
        The model in inference mode (``set_train(False)``); ``model.saved_info`` holds the
        JSON record (metadata, normalisation, units).

    Raises
    ------
    CheckpointError
        Missing, corrupt, truncated or unknown-version files, weights that do not match the
        model's parameters.
    """
    import mindspore as ms
    from topologies.relations import RELATION_VERSION
    from topologies.vocabulary import VOCABULARY_VERSION

    from ..models.registry import build

    path = Path(path)
    info = read_model_info(path)
    folder = path if path.is_dir() else path.parent
    if strict_versions:
        for key, ours in (("vocabulary_version", VOCABULARY_VERSION),
                          ("relation_version", RELATION_VERSION)):
            if str(info.get(key)) != str(ours):
                raise CheckpointError(f"{folder}: saved with {key} {info.get(key)!r}; this "
                                      f"installation has {ours!r}")
    weights = folder / str(info["weights"].get("file", WEIGHTS_FILE))
    if not weights.is_file():
        raise CheckpointError(f"{folder}: weights file {weights.name} is missing")
    size = weights.stat().st_size
    if size != info["weights"].get("bytes"):
        raise CheckpointError(f"{weights}: {size} bytes; expected {info['weights'].get('bytes')} "
                              "(truncated or replaced)")
    if _sha256(weights) != info["weights"].get("sha256"):
        raise CheckpointError(f"{weights}: checksum mismatch (corrupt or replaced)")
    model = build(info["model"])
    try:
        params = ms.load_checkpoint(str(weights))
    except Exception as exc:  # MindSpore raises ValueError/RuntimeError on bad files
        raise CheckpointError(f"{weights}: cannot read the checkpoint ({type(exc).__name__}: {exc})") from None
    own = _named_parameters(model)
    missing = sorted(set(own) - set(params))
    extra = sorted(set(params) - set(own))
    if missing or extra:
        raise CheckpointError(f"{weights}: parameters do not match the model "
                              f"(missing {missing[:5]}, unexpected {extra[:5]})")
    for name, p in own.items():
        if tuple(params[name].shape) != tuple(p.shape):
            raise CheckpointError(f"{weights}: parameter {name} has shape {tuple(params[name].shape)}; "
                                  f"the model expects {tuple(p.shape)}")
    for name, p in own.items():
        p.set_data(ms.Tensor(params[name].asnumpy(), dtype=p.dtype))
    model.set_train(False)
    model.saved_info = info
    return model
