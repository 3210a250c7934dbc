"""A data set as a folder of ``.npy`` arrays + ``dataset.json``: memory-mappable, atomic.

Layout::

    my_set/
        dataset.json          format version, units, metadata, array names/shapes/dtypes
        positions.npy         (and every other array of cgmolct.data.dataset)
        ...

``.npz`` files cannot be memory-mapped; ``.npy`` files can, so
``load_folder(path, mmap=True)`` opens a data set larger than memory and still iterates
(pages are read on demand).  :func:`save_folder` writes into a temporary sibling folder
and renames it into place, so a crash never leaves a half-written data set under the
final name.  Nothing is ever unpickled.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from typing import Optional

import numpy as np

from ..errors import DataError
from ..units import UNITS
from .dataset import ARRAY_NAMES, DATASET_FORMAT_VERSION, OPTIONAL_ARRAYS, MolecularDataset

__all__ = ["save_folder", "load_folder", "METADATA_FILE"]

METADATA_FILE = "dataset.json"


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")


def save_folder(dataset: MolecularDataset, path, *, overwrite: bool = False) -> str:
    """Write the samples of ``dataset`` (the view) to the folder ``path``.

    Parameters
    ----------
    dataset : MolecularDataset
    path : str or Path
        Target folder; must not exist unless ``overwrite``.
    overwrite : bool
        Replace an existing data set folder (the old one is removed only after the new one
        is complete).

    Returns
    -------
    str
        The folder path.
    """
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path) and not overwrite:
        raise DataError(f"{path} exists; pass overwrite=True to replace it")
    if os.path.exists(path) and not os.path.isdir(path):
        raise DataError(f"{path} exists and is not a folder")
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        raise DataError(f"{parent}: no such folder to write the data set into")
    arrays = dataset.materialise()
    tmp = tempfile.mkdtemp(prefix="." + os.path.basename(path) + ".tmp-", dir=parent)
    try:
        info = {}
        for name, arr in arrays.items():
            arr = np.ascontiguousarray(arr)
            np.save(os.path.join(tmp, name + ".npy"), arr, allow_pickle=False)
            info[name] = {"shape": list(arr.shape), "dtype": arr.dtype.str}
        meta = {"format": "cgmolct-dataset", "format_version": DATASET_FORMAT_VERSION,
                "units": dict(UNITS), "arrays": info,
                "metadata": {k: v for k, v in dataset.metadata.items() if k != "units"},
                "batch_options": dataset.batch_options}
        with open(os.path.join(tmp, METADATA_FILE), "w", encoding="utf-8") as fh:
            json.dump(meta, fh, indent=1, default=_json_default)
        old = None
        if os.path.exists(path):
            old = tempfile.mkdtemp(prefix="." + os.path.basename(path) + ".old-", dir=parent)
            os.rmdir(old)
            os.replace(path, old)
        os.replace(tmp, path)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def load_folder(path, *, mmap: bool = True, batch_options: Optional[dict] = None
                ) -> MolecularDataset:
    """Open a data set folder written by :func:`save_folder`.

    Parameters
    ----------
    path : str or Path
    mmap : bool
        Memory-map the arrays read-only (default) instead of reading them into memory.
    batch_options : dict, optional
        Override the stored default batch options.

    Raises
    ------
    DataError
        Missing folder or file, unknown format version, or an array whose shape/dtype does
        not match ``dataset.json`` (a truncated or replaced file).
    """
    path = os.fspath(path)
    meta_path = os.path.join(path, METADATA_FILE)
    if not os.path.isdir(path):
        raise DataError(f"{path}: no such data set folder")
    if not os.path.exists(meta_path):
        raise DataError(f"{meta_path}: missing; {path} is not a cgmolct data set folder")
    try:
        with open(meta_path, encoding="utf-8") as fh:
            meta = json.load(fh)
    except (OSError, ValueError) as exc:
        raise DataError(f"{meta_path}: cannot read the JSON metadata ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != "cgmolct-dataset":
        raise DataError(f"{meta_path}: not a cgmolct data set description")
    version = meta.get("format_version")
    if version != DATASET_FORMAT_VERSION:
        raise DataError(f"{meta_path}: data set format version {version!r} is not supported "
                        f"(this cgmolct reads version {DATASET_FORMAT_VERSION})")
    info = meta.get("arrays") or {}
    arrays = {}
    for name, spec in info.items():
        if name not in ARRAY_NAMES + OPTIONAL_ARRAYS:
            raise DataError(f"{meta_path}: unknown array {name!r}")
        file = os.path.join(path, name + ".npy")
        if not os.path.exists(file):
            raise DataError(f"{file}: missing (listed in {METADATA_FILE})")
        try:
            arr = np.load(file, mmap_mode="r" if mmap else None, allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise DataError(f"{file}: cannot read the array (truncated or corrupt?): {exc}") from None
        if list(arr.shape) != list(spec.get("shape", [])) or arr.dtype.str != spec.get("dtype"):
            raise DataError(f"{file}: array {name} has shape {arr.shape} dtype {arr.dtype.str}; "
                            f"{METADATA_FILE} expects shape {tuple(spec.get('shape', []))} dtype "
                            f"{spec.get('dtype')}")
        arrays[name] = arr
    missing = [k for k in ARRAY_NAMES if k not in arrays]
    if missing:
        raise DataError(f"{meta_path}: the data set lacks the arrays {missing}")
    options = batch_options if batch_options is not None else meta.get("batch_options")
    return MolecularDataset(arrays, meta.get("metadata") or {}, batch_options=options)
