"""A data set as a folder of ``.npy`` arrays + ``dataset.json``: memory-mappable, atomic.

Layout::

    my_set/
        dataset.json          header (format ``cgmolct-dataset``, format_version, units),
                              metadata, array names/shapes/dtypes
        positions.npy         (and every other array of cgmolct.data.dataset)
        ...

``.npz`` files cannot be memory-mapped; ``.npy`` files can, so
``load_folder(path, mmap=True)`` opens a data set larger than memory and still iterates
(pages are read on demand).  :func:`save_folder` writes into a temporary sibling folder
and renames it into place, so a crash never leaves a half-written data set under the
final name.  :func:`write_folder` streams the frames of many saved graphs into such a
folder chunk by chunk, so a data set larger than memory can be built as well as read.
Nothing is ever unpickled.
"""
from __future__ import annotations

import json
import os
import shutil
from typing import Dict, Iterable, Optional

import numpy as np

from ..errors import DataError
from ..storage import atomic_write_text, check_header, make_header, swap_in_folder, temporary_folder
from ..units import UNITS
from .dataset import (ARRAY_NAMES, DATASET_FORMAT_VERSION, OPTIONAL_ARRAYS, MolecularDataset,
                      _check_finite, _label_columns, _offsets)

__all__ = ["save_folder", "write_folder", "load_folder", "METADATA_FILE", "DATASET_FORMAT",
           "DATASET_SUPPORTED_VERSIONS"]

METADATA_FILE = "dataset.json"
#: Format name in ``dataset.json`` and the versions :func:`load_folder` reads.
DATASET_FORMAT = "cgmolct-dataset"
DATASET_SUPPORTED_VERSIONS = (1,)


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
    path = _check_target(path, overwrite)
    arrays = dataset.materialise()
    tmp = str(temporary_folder(path))
    try:
        for name, arr in arrays.items():
            np.save(os.path.join(tmp, name + ".npy"), np.ascontiguousarray(arr), allow_pickle=False)
        _finish(tmp, path, dataset.metadata, dataset.batch_options)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _check_target(path, overwrite: bool) -> str:
    path = os.path.abspath(os.fspath(path))
    if os.path.exists(path) and not overwrite:
        raise DataError(f"{path} exists; pass overwrite=True to replace it")
    if os.path.exists(path) and not os.path.isdir(path):
        raise DataError(f"{path} exists and is not a folder")
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        raise DataError(f"{parent}: no such folder to write the data set into")
    return path


def _finish(tmp: str, path: str, metadata: dict, batch_options: Optional[dict]) -> None:
    """Describe the arrays of ``tmp`` in dataset.json, then move ``tmp`` to ``path``."""
    info = {}
    for file in sorted(os.listdir(tmp)):
        if file.endswith(".npy"):
            arr = np.load(os.path.join(tmp, file), mmap_mode="r", allow_pickle=False)
            info[file[:-4]] = {"shape": list(arr.shape), "dtype": arr.dtype.str}
            del arr
    meta = make_header(DATASET_FORMAT, DATASET_FORMAT_VERSION, units=UNITS, arrays=info,
                       metadata={k: v for k, v in metadata.items() if k != "units"},
                       batch_options=batch_options)
    atomic_write_text(os.path.join(tmp, METADATA_FILE),
                      json.dumps(meta, indent=1, default=_json_default))
    swap_in_folder(tmp, path)


def write_folder(graphs: Iterable, path, *, frames=None, max_separation: int = 3,
                 chunk_frames: int = 256, overwrite: bool = False,
                 metadata: Optional[dict] = None, batch_options: Optional[dict] = None) -> str:
    """Stream the frames of many graphs into a data set folder, never holding them all.

    Frame arrays are written through ``np.lib.format.open_memmap`` ``chunk_frames`` frames
    at a time, so a data set larger than memory can be built from saved graphs (paths are
    opened memory-mapped one at a time).

    Parameters
    ----------
    graphs : sequence of CGGraph or of paths to saved graphs
    path : str or Path
        Target folder (written atomically).
    frames : index, optional
        Frames of each graph (default all).
    max_separation : int
        Sequence separation of the relational pairs.
    chunk_frames : int
        Frames copied at a time.

    Returns
    -------
    str
        The folder path; open it with :func:`load_folder`.
    """
    from numpy.lib.format import open_memmap

    path = _check_target(path, overwrite)
    items = list(graphs)
    if not items:
        raise DataError("write_folder needs at least one graph")

    def opened(item):
        if hasattr(item, "positions"):
            return item
        from topologies import TopologyError
        from topologies.graph import CGGraph
        try:
            return CGGraph.load(os.fspath(item), mmap=True)
        except TopologyError as exc:
            raise DataError(f"{os.fspath(item)}: cannot load the graph: {exc}") from None

    # pass 1: topology, sizes and which optional arrays exist
    small: Dict[str, list] = {k: [] for k in ("system_types", "rel_pairs", "rel_codes",
                                              "sample_system", "sample_frame", "energy",
                                              "labels", "box")}
    sys_sizes, rel_sizes, sample_sizes, plan = [], [], [], []
    has_forces = label_names = None
    for g, item in enumerate(items):
        graph = opened(item)
        idx = np.atleast_1d(np.arange(graph.n_frames) if frames is None
                            else np.arange(graph.n_frames)[frames])
        n = graph.n_beads
        small["system_types"].append(np.asarray(graph.types, np.int32))
        rp = np.asarray(graph.relational_pairs(max_separation), np.int64).reshape(-1, 2)
        small["rel_pairs"].append(rp.astype(np.int32))
        small["rel_codes"].append(np.asarray(graph.relation_codes(rp), np.int32))
        sys_sizes.append(n)
        rel_sizes.append(len(rp))
        small["sample_system"].append(np.full(len(idx), g, np.int64))
        small["sample_frame"].append(idx.astype(np.int64))
        sample_sizes += [n] * len(idx)
        if has_forces is None:
            has_forces = graph.forces is not None
            label_names = sorted(graph.labels)
            label_columns = _label_columns(graph, label_names)
        if has_forces != (graph.forces is not None) or sorted(graph.labels) != label_names:
            raise DataError(f"graph {g} differs from graph 0 in forces or label names")
        if graph.energies is not None:
            small["energy"].append(np.asarray(graph.energies[idx], np.float64))
        if graph.box is not None:
            small["box"].append(np.asarray(graph.box[idx], np.float32))
        if label_names:
            small["labels"].append(np.concatenate(
                [np.asarray(graph.labels[k], np.float64)[idx].reshape(len(idx), -1)
                 for k in label_names], axis=1))
        plan.append(idx)
    n_samples = len(sample_sizes)
    for key in ("energy", "box"):
        if small[key] and len(small[key]) != len(items):
            raise DataError(f"some graphs have {key} and others not; all graphs must agree")

    tmp = str(temporary_folder(path))
    try:
        def put(name, arr):
            np.save(os.path.join(tmp, name + ".npy"), np.ascontiguousarray(arr), allow_pickle=False)

        put("system_types", np.concatenate(small["system_types"]))
        put("system_offsets", _offsets(sys_sizes))
        put("rel_pairs", np.concatenate(small["rel_pairs"]).reshape(-1, 2))
        put("rel_codes", np.concatenate(small["rel_codes"]))
        put("rel_offsets", _offsets(rel_sizes))
        put("sample_system", np.concatenate(small["sample_system"]))
        put("sample_frame", np.concatenate(small["sample_frame"]))
        offsets = _offsets(sample_sizes)
        put("sample_offsets", offsets)
        for key in ("energy", "labels", "box"):
            if small[key]:
                put(key, np.concatenate(small[key]))
        total = int(offsets[-1])
        pos = open_memmap(os.path.join(tmp, "positions.npy"), "w+", np.float32, (total, 3))
        frc = (open_memmap(os.path.join(tmp, "forces.npy"), "w+", np.float32, (total, 3))
               if has_forces else None)
        # pass 2: copy frames in chunks
        sample = 0
        step = max(int(chunk_frames), 1)
        for g, (item, idx) in enumerate(zip(items, plan)):
            graph = opened(item)
            n = graph.n_beads
            for start in range(0, len(idx), step):
                sel = idx[start:start + step]
                lo = int(offsets[sample])
                hi = lo + len(sel) * n
                chunk = np.asarray(graph.positions[sel], np.float32)
                _check_finite(chunk, "positions", f"graph {g}", sel)
                pos[lo:hi] = chunk.reshape(-1, 3)
                if frc is not None:
                    chunk = np.asarray(graph.forces[sel], np.float32)
                    _check_finite(chunk, "forces", f"graph {g}", sel)
                    frc[lo:hi] = chunk.reshape(-1, 3)
                sample += len(sel)
        assert sample == n_samples
        pos.flush()
        del pos
        if frc is not None:
            frc.flush()
            del frc
        meta = {"name": "graphs", "max_separation": int(max_separation),
                "label_names": label_columns, "label_units": []}
        meta.update(metadata or {})
        _finish(tmp, path, meta, dict(batch_options or {"cutoff": 10.0}))
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
    check_header(meta, meta_path, DATASET_FORMAT, DATASET_SUPPORTED_VERSIONS, DataError,
                 what="cgmolct data set description")
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
