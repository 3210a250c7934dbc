"""Lossless saving and loading of :class:`~topologies.graph.CGGraph` (no pickle).

Two layouts hold the same arrays and the same JSON metadata:

- ``PATH.npz``: one numpy archive; the metadata is the 0-d string array ``__graph_json__``;
- ``PATH/`` (any other path): a folder with one ``NAME.npy`` per array and ``graph.json``;
  frame arrays (positions, forces, ...) can then be memory-mapped (``load(..., mmap=True)``).

Array names: the per-bead fields, ``bonds``, ``bond_types``, ``positions`` and the optional
``forces``, ``energies``, ``box``, ``label.<name>`` and ``mapping.<field>``.  The metadata
records ``format`` (``"cgmolct-cggraph"``), ``format_version`` (the two header keys of every
cgmolct file; a legacy ``version`` key is read when ``format_version`` is absent), the array
names, the mapping name and sizes, and the provenance.  Writes are atomic (temporary file
or folder, then ``os.replace``).  Loading uses ``allow_pickle=False`` and checks the format version.
"""
from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path
from typing import Dict

import numpy as np

from .errors import GraphFormatError, TopologyError
from .graph import BEAD_FIELDS, FORMAT_VERSION, CGGraph
from .operator import MappingOperator

__all__ = ["save_graph", "load_graph", "FORMAT_NAME", "SUPPORTED_VERSIONS"]

FORMAT_NAME = "cgmolct-cggraph"
#: Format versions this code can read.
SUPPORTED_VERSIONS = ("1",)
_META_KEY = "__graph_json__"
_META_FILE = "graph.json"
_MAPPING_FIELDS = ("atom_to_bead", "position_weights", "force_weights", "rules")
_MMAP_OK = ("positions", "forces", "box")


def _arrays_and_meta(graph: CGGraph):
    arrays: Dict[str, np.ndarray] = {f: getattr(graph, f) for f in BEAD_FIELDS}
    arrays["bonds"] = graph.bonds
    arrays["bond_types"] = graph.bond_types
    arrays["positions"] = graph.positions
    for f in ("forces", "energies", "box"):
        if getattr(graph, f) is not None:
            arrays[f] = getattr(graph, f)
    for k, v in graph.labels.items():
        arr = np.asarray(v)
        if arr.dtype.kind == "O":
            raise TopologyError(f"label {k!r} holds Python objects; only numeric/string arrays can be saved")
        arrays[f"label.{k}"] = arr
    mapping = None
    if graph.mapping is not None:
        m = graph.mapping
        for f in _MAPPING_FIELDS:
            arrays[f"mapping.{f}"] = getattr(m, f)
        mapping = {"name": m.name, "n_atoms": m.n_atoms, "n_beads": m.n_beads}
    meta = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, "arrays": sorted(arrays),
            "labels": sorted(graph.labels), "mapping": mapping, "provenance": graph.provenance}
    try:
        text = json.dumps(meta, indent=1, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TopologyError(f"the graph provenance cannot be written as JSON: {exc}") from None
    return arrays, text


def save_graph(graph: CGGraph, path) -> str:
    """Write ``graph`` to ``path`` (``.npz`` file or folder); returns the path as str.

    Raises
    ------
    TopologyError
        The folder does not exist, the path is taken by something else, or the disk refuses
        the write (permissions, read-only or full file system).
    """
    path = Path(path)
    arrays, text = _arrays_and_meta(graph)
    if not path.parent.exists():
        raise TopologyError(f"cannot save graph to {path}: folder {path.parent} does not exist")
    try:
        return _write(path, arrays, text)
    except OSError as exc:
        raise TopologyError(f"cannot save graph to {path}: {exc.strerror or exc}") from None


def _write(path: Path, arrays: Dict[str, np.ndarray], text: str) -> str:
    if path.suffix == ".npz":
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        try:
            with open(tmp, "wb") as fh:
                np.savez(fh, **{_META_KEY: np.array(text)}, **arrays)
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
        return str(path)
    if path.exists() and (not path.is_dir() or (any(path.iterdir()) and not (path / _META_FILE).exists())):
        raise TopologyError(f"cannot save graph to {path}: it exists and is not a saved graph folder "
                            "(use a new name, or a name ending in .npz)")
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    old = path.with_name(f".{path.name}.old-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        for key, arr in arrays.items():
            np.save(tmp / f"{key}.npy", arr, allow_pickle=False)
        (tmp / _META_FILE).write_text(text)
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
        if old.exists():
            shutil.rmtree(old)
    return str(path)


def _parse_meta(text: str, where: str) -> dict:
    try:
        meta = json.loads(text)
    except ValueError as exc:
        raise GraphFormatError(f"{where}: graph metadata is not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
        raise GraphFormatError(f"{where} is not a saved CGGraph (metadata format is "
                               f"{meta.get('format') if isinstance(meta, dict) else None!r})")
    # ``format_version`` (the key of every cgmolct file header); a legacy ``version`` key is
    # read when it is absent, as cgmolct.storage.check_header does
    version = str(meta["format_version"] if "format_version" in meta else meta.get("version"))
    if version not in SUPPORTED_VERSIONS:
        raise GraphFormatError(f"{where}: CGGraph format version {version} is not supported "
                               f"(this code reads versions {', '.join(SUPPORTED_VERSIONS)}); "
                               "upgrade cgmolct")
    for key in ("arrays", "labels"):
        value = meta.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise GraphFormatError(f"{where}: graph metadata entry {key!r} must be a list of names; "
                                   f"got {type(value).__name__}")
    for key in ("provenance", "mapping"):
        value = meta.get(key)
        if value is not None and not isinstance(value, dict):
            raise GraphFormatError(f"{where}: graph metadata entry {key!r} must be a JSON object; "
                                   f"got {type(value).__name__}")
    return meta


_ZIP_MAGIC = b"PK"


def load_graph(path, mmap: bool = False) -> CGGraph:
    """Read a graph written by :func:`save_graph`.

    Raises
    ------
    GraphFormatError
        Missing file, not a saved graph, truncated/corrupt archive, unknown format version,
        missing or inconsistent arrays.
    """
    path = Path(path)
    if not path.exists():
        raise GraphFormatError(f"{path}: no such file or folder")
    arrays: Dict[str, np.ndarray] = {}
    if path.is_dir():
        meta_path = path / _META_FILE
        if not meta_path.exists():
            raise GraphFormatError(f"{path} is a folder without {_META_FILE}; not a saved CGGraph")
        try:
            text = meta_path.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise GraphFormatError(f"{meta_path}: cannot be read as graph metadata ({exc})") from None
        meta = _parse_meta(text, str(path))
        for key in meta.get("arrays", []):
            f = path / f"{key}.npy"
            if not f.exists():
                raise GraphFormatError(f"{path}: array file {f.name} is missing")
            mode = "r" if (mmap and key in _MMAP_OK) else None
            try:
                arrays[key] = np.load(f, mmap_mode=mode, allow_pickle=False)
            except (ValueError, OSError, EOFError) as exc:
                raise GraphFormatError(f"{f}: corrupt or truncated array file ({exc})") from None
    else:
        try:
            with open(path, "rb") as fh:
                head = fh.read(4)
        except OSError as exc:
            raise GraphFormatError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        if not head.startswith(_ZIP_MAGIC):
            what = "is empty" if not head else "does not start like a zip archive"
            raise GraphFormatError(f"{path} is not a saved CGGraph .npz: the file {what} "
                                   "(wrong file, or a truncated copy?)")
        try:
            with np.load(path, allow_pickle=False) as npz:
                if _META_KEY not in npz.files:
                    raise GraphFormatError(f"{path} is a numpy archive but not a saved CGGraph "
                                           f"(no {_META_KEY} entry)")
                meta = _parse_meta(str(npz[_META_KEY]), str(path))
                for key in meta.get("arrays", []):
                    if key not in npz.files:
                        raise GraphFormatError(f"{path}: array {key!r} is missing from the archive")
                    arrays[key] = npz[key]
        except GraphFormatError:
            raise
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as exc:
            raise GraphFormatError(f"{path} is not a readable CGGraph .npz (corrupt, truncated or "
                                   f"another format): {exc}") from None
    return _graph_from(arrays, meta, str(path))


def _graph_from(arrays: Dict[str, np.ndarray], meta: dict, where: str) -> CGGraph:
    required = list(BEAD_FIELDS) + ["bonds", "bond_types", "positions"]
    missing = [k for k in required if k not in arrays]
    if missing:
        raise GraphFormatError(f"{where}: required array(s) {', '.join(missing)} missing")
    mapping = None
    mmeta = meta.get("mapping")
    if mmeta is not None:
        try:
            mapping = MappingOperator(arrays["mapping.atom_to_bead"], arrays["mapping.position_weights"],
                                      arrays["mapping.force_weights"], arrays["mapping.rules"].tolist(),
                                      mmeta["name"], n_beads=mmeta["n_beads"], normalise=False)
        except KeyError as exc:
            raise GraphFormatError(f"{where}: mapping entry {exc} missing") from None
        except TopologyError as exc:
            raise GraphFormatError(f"{where}: saved mapping is inconsistent: {exc}") from None
    missing_labels = [k for k in meta.get("labels", []) if f"label.{k}" not in arrays]
    if missing_labels:
        raise GraphFormatError(f"{where}: label array(s) {', '.join(missing_labels)} listed in the "
                               "metadata are missing")
    labels = {k: arrays[f"label.{k}"] for k in meta.get("labels", [])}
    kwargs = {f: arrays[f] for f in BEAD_FIELDS if f != "types"}
    try:
        return CGGraph(arrays["types"], arrays["positions"], bonds=arrays["bonds"],
                       bond_types=arrays["bond_types"], forces=arrays.get("forces"),
                       energies=arrays.get("energies"), box=arrays.get("box"), labels=labels,
                       mapping=mapping, provenance=meta.get("provenance") or {}, **kwargs)
    except GraphFormatError:
        raise
    except TopologyError as exc:
        raise GraphFormatError(f"{where}: saved graph is inconsistent: {exc}") from None
