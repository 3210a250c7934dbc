"""Loaders for the npz layouts of ``../shared/data``: MD17 ethanol and QM9.

Units are converted at load (internal units: Å, kcal/mol, kcal/mol/Å):

- MD17 (``z`` (1, n), ``R`` (F, n, 3) Å, ``E`` (F, 1) kcal/mol, ``F`` (F, n, 3)
  kcal/mol/Å): already in internal units; one graph with all frames.
- QM9 (``atom_type`` (M, 29) zero-padded, ``coordinate`` (M, 29, 3) **nm**, ``label``
  (M, 12)): coordinates × 10 → Å; the energy columns (HOMO, LUMO, gap, ZPVE, U0, U, H, G)
  kJ/mol → kcal/mol; dipole (Debye), α (Bohr³), R² (Bohr²) and Cv (cal/mol/K) keep their
  units.  One graph per molecule (padding atoms removed).

Graphs are built with ``topologies.from_arrays`` (bonds guessed from elements and the
first frame), so relational pairs and codes come from the topology package.
"""
from __future__ import annotations

import os
import zipfile
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..errors import DataError
from ..units import convert
from .dataset import MolecularDataset

__all__ = ["QM9_LABELS", "QM9_FILE_UNITS", "QM9_UNITS", "QM9_MODES", "read_npz", "detect_format",
           "load_graph_files", "open_dataset",
           "md17_graph", "qm9_graphs", "load_md17", "load_qm9"]

#: Column names of the QM9 ``label`` array.
QM9_LABELS = ("mu", "alpha", "homo", "lumo", "gap", "r2", "zpve", "U0", "U", "H", "G", "Cv")
#: Units of the columns in the npz file.
QM9_FILE_UNITS = ("debye", "bohr^3", "kJ/mol", "kJ/mol", "kJ/mol", "bohr^2", "kJ/mol",
                  "kJ/mol", "kJ/mol", "kJ/mol", "kJ/mol", "cal/mol/K")
#: Units after loading (energies in kcal/mol).
QM9_UNITS = tuple("kcal/mol" if u == "kJ/mol" else u for u in QM9_FILE_UNITS)
#: Extensive (``atomwise``) or intensive (``graph``) scale/shift mode of each column.
QM9_MODES = ("graph",) * 7 + ("atomwise",) * 4 + ("graph",)


def read_npz(path, required: Sequence[str]) -> Dict[str, np.ndarray]:
    """Read the arrays ``required`` from an npz file without unpickling.

    Raises
    ------
    DataError
        Missing file, not a zip/npz, truncated or corrupt member, or a missing key.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in required if k not in data.files]
            if missing:
                raise DataError(f"{path}: missing array(s) {missing}; the file has {sorted(data.files)}")
            return {k: np.asarray(data[k]) for k in data.files}
    except DataError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        raise DataError(f"{path}: not a readable .npz file (truncated or corrupt?): {exc}") from None


def _check(arr: np.ndarray, name: str, shape: tuple, path: str, finite: bool = True) -> np.ndarray:
    ok = arr.ndim == len(shape) and all(s is None or arr.shape[k] == s for k, s in enumerate(shape))
    if not ok:
        text = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
        raise DataError(f"{path}: array {name} has shape {arr.shape}; expected {text}")
    if finite and arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        first = tuple(int(v) for v in np.argwhere(~np.isfinite(arr))[0])
        raise DataError(f"{path}: array {name} contains NaN/inf, first at index {first}")
    return arr


def _from_arrays():
    import topologies
    fn = getattr(topologies, "from_arrays", None)
    if fn is None:  # older topologies without the re-export
        from topologies.arrays import from_arrays as fn
    return fn


def _check_types(z: np.ndarray, path: str, name: str) -> None:
    bad = (z < 0) | (z > 118)
    if np.any(bad):
        first = tuple(int(v) for v in np.argwhere(bad)[0])
        raise DataError(f"{path}: array {name} holds {int(z[first])} at {first}, which is not an "
                        "atomic number (1..118, 0 = padding)")


def md17_graph(path, *, frames=None):
    """The MD17 npz file ``path`` as one ``CGGraph`` (all-atom, bonds guessed).

    Parameters
    ----------
    path : str or Path
        npz with ``z`` (1, n) or (n,), ``R`` (F, n, 3) Å, ``E`` (F, 1) or (F,) kcal/mol,
        ``F`` (F, n, 3) kcal/mol/Å.
    frames : index, optional
        Frames to keep.
    """
    path = os.fspath(path)
    d = read_npz(path, ("z", "R", "E", "F"))
    z = np.asarray(d["z"]).reshape(-1).astype(np.int64)
    n = len(z)
    _check_types(z, path, "z")
    if np.any(z == 0):
        raise DataError(f"{path}: array z contains 0 (padding) in a fixed-size MD17 molecule")
    r = _check(d["R"], "R", (None, n, 3), path)
    nf = len(r)
    e = np.asarray(d["E"])
    if e.shape not in ((nf,), (nf, 1)):
        raise DataError(f"{path}: array E has shape {e.shape}; expected ({nf}, 1) or ({nf},), "
                        "one energy per frame of R")
    e = _check(e.reshape(nf), "E", (nf,), path)
    f = _check(d["F"], "F", (nf, n, 3), path)
    if frames is not None:
        sel = np.arange(nf)[frames]
        r, e, f = r[sel], e[sel], f[sel]
    return _from_arrays()(z, r, forces=f, energies=e.astype(np.float64), bonds="guess",
                          source=os.path.basename(path))


def qm9_graphs(path, *, limit: Optional[int] = None) -> List:
    """The QM9 npz file ``path`` as a list of one-frame ``CGGraph`` objects.

    Coordinates are converted nm → Å and energy labels kJ/mol → kcal/mol; each graph has
    the 12 labels as ``graph.labels[name]`` of shape (1,) (names :data:`QM9_LABELS`).

    Parameters
    ----------
    limit : int, optional
        Read only the first ``limit`` molecules.
    """
    path = os.fspath(path)
    d = read_npz(path, ("atom_type", "coordinate", "label"))
    types = _check(np.asarray(d["atom_type"]), "atom_type", (None, None), path)
    m, width = types.shape
    _check_types(types, path, "atom_type")
    coords = _check(d["coordinate"], "coordinate", (m, width, 3), path)
    labels = _check(d["label"], "label", (m, len(QM9_LABELS)), path)
    length_unit = str(d.get("length_unit", "nm"))
    energy_unit = str(d.get("energy_unit", "kj/mol"))
    coords = np.asarray(convert(coords.astype(np.float64), length_unit, "angstrom"))
    factors = np.array([convert(1.0, energy_unit, "kcal/mol") if u == "kJ/mol" else 1.0
                        for u in QM9_FILE_UNITS])
    labels = labels.astype(np.float64) * factors
    build = _from_arrays()
    graphs = []
    for k in range(m if limit is None else min(int(limit), m)):
        real = types[k] > 0
        if not real.any():
            raise DataError(f"{path}: molecule {k} has no atoms (atom_type row is all zero)")
        lab = {name: labels[k:k + 1, c] for c, name in enumerate(QM9_LABELS)}
        graphs.append(build(types[k][real], coords[k][real][None], labels=lab, bonds="guess",
                            source=f"{os.path.basename(path)}#{k}"))
    return graphs


def load_md17(path, *, frames=None, max_separation: int = 3,
              batch_options: Optional[dict] = None) -> MolecularDataset:
    """MD17 npz → :class:`MolecularDataset` (energy + forces, one system)."""
    graph = md17_graph(path, frames=frames)
    meta = {"name": "md17", "source": os.fspath(path)}
    return MolecularDataset.from_graphs(graph, max_separation=max_separation, metadata=meta,
                                        batch_options=batch_options)


def load_qm9(path, *, limit: Optional[int] = None, max_separation: int = 3,
             batch_options: Optional[dict] = None) -> MolecularDataset:
    """QM9 npz → :class:`MolecularDataset` (12 labels in the column order of the file).

    ``metadata["label_names"]``, ``["label_units"]`` and ``["label_modes"]`` give the
    columns' names, units after conversion and atomwise/graph scale-shift mode.
    """
    graphs = qm9_graphs(path, limit=limit)
    ds = MolecularDataset.from_graphs(graphs, max_separation=max_separation,
                                      batch_options=batch_options)
    # from_graphs sorts label names; put the columns back into the file's order
    order = [ds.label_names.index(name) for name in QM9_LABELS]
    ds.arrays["labels"] = np.ascontiguousarray(ds.arrays["labels"][:, order])
    ds.metadata.update({"name": "qm9", "source": os.fspath(path),
                        "label_names": list(QM9_LABELS), "label_units": list(QM9_UNITS),
                        "label_modes": list(QM9_MODES)})
    return ds


def detect_format(path) -> str:
    """``"dataset"``, ``"graph"``, ``"md17"`` or ``"qm9"`` for a data path (by content).

    A folder with ``dataset.json`` is a data set folder, one with ``graph.json`` a saved
    CGGraph; an ``.npz`` is a saved CGGraph (``__graph_json__``), MD17 (``z``, ``R``,
    ``E``, ``F``) or QM9 (``atom_type``, ``coordinate``, ``label``).
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        if os.path.exists(os.path.join(path, "dataset.json")):
            return "dataset"
        if os.path.exists(os.path.join(path, "graph.json")):
            return "graph"
        raise DataError(f"{path}: a folder without dataset.json or graph.json is not a data set")
    if not os.path.exists(path):
        raise DataError(f"{path}: no such file or folder")
    try:
        with np.load(path, allow_pickle=False) as data:
            names = set(data.files)
    except Exception as exc:
        raise DataError(f"{path}: not a readable .npz file (truncated or corrupt?): {exc}") from None
    if "__graph_json__" in names:
        return "graph"
    if {"z", "R", "E", "F"} <= names:
        return "md17"
    if {"atom_type", "coordinate", "label"} <= names:
        return "qm9"
    raise DataError(f"{path}: unknown npz layout with arrays {sorted(names)}; expected a saved "
                    "CGGraph, MD17 (z, R, E, F) or QM9 (atom_type, coordinate, label)")


def load_graph_files(paths, *, frames=None, max_separation: int = 3, mmap: bool = False,
                     batch_options: Optional[dict] = None) -> MolecularDataset:
    """A data set of the frames of saved CGGraph files (``.npz`` or folders).

    Raises
    ------
    DataError
        For a missing or unreadable file (the topology error is named in the message).
    """
    from topologies import TopologyError
    from topologies.graph import CGGraph
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    graphs = []
    for p in paths:
        try:
            graphs.append(CGGraph.load(os.fspath(p), mmap=mmap))
        except TopologyError as exc:
            raise DataError(f"{os.fspath(p)}: cannot load the graph: {exc}") from None
    meta = {"name": "graphs", "source": [os.fspath(p) for p in paths]}
    return MolecularDataset.from_graphs(graphs, frames=frames, max_separation=max_separation,
                                        metadata=meta, batch_options=batch_options)


def open_dataset(path, *, format: str = "auto", mmap: bool = True, max_separation: int = 3,
                 batch_options: Optional[dict] = None) -> MolecularDataset:
    """Open any supported data path as a :class:`MolecularDataset`.

    Parameters
    ----------
    path : str or Path, or a list of saved-graph paths
    format : {"auto", "dataset", "graph", "md17", "qm9"}
        ``"auto"`` detects it with :func:`detect_format`.
    mmap : bool
        Memory-map data set folders and graph folders.
    """
    if isinstance(path, (list, tuple)):
        return load_graph_files(path, max_separation=max_separation, mmap=mmap,
                                batch_options=batch_options)
    fmt = detect_format(path) if format == "auto" else format
    if fmt == "dataset":
        from .folder import load_folder
        return load_folder(path, mmap=mmap, batch_options=batch_options)
    if fmt == "graph":
        return load_graph_files([path], max_separation=max_separation, mmap=mmap,
                                batch_options=batch_options)
    if fmt == "md17":
        return load_md17(path, max_separation=max_separation, batch_options=batch_options)
    if fmt == "qm9":
        return load_qm9(path, max_separation=max_separation, batch_options=batch_options)
    raise DataError(f"format must be auto, dataset, graph, md17 or qm9; got {format!r}")
