"""A data set of frames of one or many molecules, stored as flat ("ragged") numpy arrays.

Molecules of different sizes (QM9) and many frames of one molecule (MD17, a CG
trajectory) share one layout, which a folder of ``.npy`` files can memory-map
(:mod:`cgmolct.data.folder`):

================  ===========  ======================================================
array             shape        meaning
================  ===========  ======================================================
system_types      (T,) int32   bead types of every system, concatenated
system_offsets    (S+1,)       system s owns ``system_types[o[s]:o[s+1]]``
rel_pairs         (Q, 2) int32 relational pairs (local bead indices), both orders
rel_codes         (Q,) int32   their relation codes (``CGGraph.relation_codes``)
rel_offsets       (S+1,)       system s owns ``rel_pairs[r[s]:r[s+1]]``
edge_pairs        (Qe, 2)      optional pairs for the edge readout (local indices)
edge_codes        (Qe,)        their relation codes
edge_offsets      (S+1,)
sample_system     (M,) int64   system of each sample (frame)
sample_frame      (M,) int64   frame index of the sample in its source graph
sample_offsets    (M+1,)       sample m owns ``positions[p[m]:p[m+1]]``
positions         (Ta, 3) f32  Å
forces            (Ta, 3) f32  kcal/mol/Å, optional
energy            (M,) f64     kcal/mol, optional
labels            (M, L) f32   optional graph-level labels (units in the metadata)
contacts          (Tc,) f32    optional 0/1 labels of the edge pairs, per sample
box               (M, 6) f32   optional periodic box
================  ===========  ======================================================

Relational pairs and their codes are computed once per graph, not per frame.  A data set
is a *view*: :meth:`MolecularDataset.subset` selects samples without copying arrays.
"""
from __future__ import annotations

import copy
from typing import Any, Dict, Iterable, List, Optional, Sequence

import numpy as np

from topologies.vocabulary import VOCABULARY_VERSION, check_types

from ..errors import DataError
from ..units import UNITS
from .batch import collate

__all__ = ["MolecularDataset", "DATASET_FORMAT_VERSION", "ARRAY_NAMES", "OPTIONAL_ARRAYS"]

DATASET_FORMAT_VERSION = 1

#: Arrays every data set has.
ARRAY_NAMES = ("system_types", "system_offsets", "rel_pairs", "rel_codes", "rel_offsets",
               "sample_system", "sample_frame", "sample_offsets", "positions")
#: Arrays a data set may have.
OPTIONAL_ARRAYS = ("edge_pairs", "edge_codes", "edge_offsets", "forces", "energy", "labels",
                   "contacts", "box")

_DEFAULT_BATCH = {"cutoff": 10.0}


def _offsets(sizes: Sequence[int]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(np.asarray(sizes, dtype=np.int64))]).astype(np.int64)


def _rows(offsets: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(offsets[m], offsets[m + 1])`` for m in ``index`` (vectorised)."""
    index = np.asarray(index, np.int64)
    starts = offsets[index]
    lengths = offsets[index + 1] - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    first = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return np.repeat(starts - first, lengths) + np.arange(total, dtype=np.int64)


class MolecularDataset:
    """Frames of molecular systems with targets; iterate samples or make padded batches.

    Build one with :meth:`from_graphs`, :func:`cgmolct.data.loaders.load_md17`,
    :func:`~cgmolct.data.loaders.load_qm9` or :func:`cgmolct.data.folder.load_folder`.

    Parameters
    ----------
    arrays : dict of str -> ndarray
        The arrays of the module docstring (checked for consistency).
    metadata : dict, optional
        JSON-able: ``name``, ``source``, ``label_names``, ``label_units``,
        ``label_modes``, ``units`` ...
    index : (M',) int array, optional
        Samples of this view (default all).
    batch_options : dict, optional
        Default keyword arguments of :func:`cgmolct.data.batch.collate` used by
        :meth:`batch` (default ``{"cutoff": 10.0}`` Å).
    """

    def __init__(self, arrays: Dict[str, np.ndarray], metadata: Optional[dict] = None,
                 index=None, batch_options: Optional[dict] = None, *, validate: bool = True):
        self.arrays = dict(arrays)
        self.metadata = dict(metadata or {})
        self.metadata.setdefault("units", dict(UNITS))
        self.metadata.setdefault("label_names", [])
        self.metadata.setdefault("label_units", [])
        if validate:
            self._validate()
        total = len(self.arrays["sample_system"])
        self.index = (np.arange(total, dtype=np.int64) if index is None
                      else np.asarray(index, dtype=np.int64))
        if len(self.index) and (self.index.min() < 0 or self.index.max() >= total):
            raise DataError(f"sample index out of range [0, {total})")
        self.batch_options = dict(_DEFAULT_BATCH if batch_options is None else batch_options)
        self._rel_cache: Dict[int, tuple] = {}
        self._contacts_at: Optional[np.ndarray] = None

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_graphs(cls, graphs, *, frames=None, pairs=None, contacts=None,
                    max_separation: int = 3, metadata: Optional[dict] = None,
                    batch_options: Optional[dict] = None) -> "MolecularDataset":
        """A data set of the frames of one or several ``CGGraph`` objects.

        Parameters
        ----------
        graphs : CGGraph or sequence of CGGraph
        frames : index or sequence of indices, optional
            Frames to take (one index for every graph, or one per graph); default all.
        pairs : (P, 2) int array or a list of them (one per graph), optional
            Pairs for the edge readout, which may lie beyond the cutoff; one array is used
            for every graph.
        contacts : (frames, P) array, or a list of them (one per graph), optional
            0/1 labels of ``pairs`` for each selected frame.
        max_separation : int
            Sequence separation of the relational pairs (``CGGraph.relational_pairs``).
        metadata, batch_options : dict, optional
            See the class docstring.

        Returns
        -------
        MolecularDataset
        """
        if hasattr(graphs, "types") and hasattr(graphs, "positions"):
            graphs = [graphs]
        graphs = list(graphs)
        if not graphs:
            raise DataError("from_graphs needs at least one graph")
        one = len(graphs) == 1
        if frames is None or one or not (
                isinstance(frames, (list, tuple)) and len(frames) == len(graphs)
                and all(f is None or isinstance(f, (slice, list, tuple, np.ndarray)) for f in frames)):
            frame_sel = [frames] * len(graphs)
        else:
            frame_sel = list(frames)
        same_pairs = pairs is None or one or (isinstance(pairs, np.ndarray) and pairs.ndim == 2)
        pair_sel = [pairs] * len(graphs) if same_pairs else list(pairs)
        if contacts is not None and not one and isinstance(contacts, np.ndarray):
            raise DataError("contacts for several graphs must be a list with one (frames, pairs) "
                            "array per graph")
        contact_sel = [contacts] * len(graphs) if contacts is None or one else list(contacts)
        if len(pair_sel) != len(graphs) or len(contact_sel) != len(graphs):
            raise DataError(f"pairs/contacts need one entry per graph ({len(graphs)} graphs)")

        chunks: Dict[str, List[np.ndarray]] = {k: [] for k in (
            "system_types", "rel_pairs", "rel_codes", "edge_pairs", "edge_codes", "sample_system",
            "sample_frame", "positions", "forces", "energy", "labels", "contacts", "box")}
        sys_sizes, rel_sizes, edge_sizes, sample_sizes = [], [], [], []
        label_names: Optional[List[str]] = None
        has = {"forces": None, "energy": None, "box": None, "edge": None, "contacts": None}
        sources = []
        for g, (graph, fsel, psel, csel) in enumerate(zip(graphs, frame_sel, pair_sel, contact_sel)):
            where = f"graph {g}"
            n = int(graph.n_beads)
            idx = np.arange(graph.n_frames) if fsel is None else np.arange(graph.n_frames)[fsel]
            idx = np.atleast_1d(idx)
            chunks["system_types"].append(np.asarray(graph.types, np.int32))
            sys_sizes.append(n)
            rp = np.asarray(graph.relational_pairs(max_separation), np.int64).reshape(-1, 2)
            chunks["rel_pairs"].append(rp.astype(np.int32))
            chunks["rel_codes"].append(np.asarray(graph.relation_codes(rp), np.int32))
            rel_sizes.append(len(rp))
            for key, value in (("forces", graph.forces), ("energy", graph.energies),
                               ("box", graph.box), ("edge", psel), ("contacts", csel)):
                present = value is not None
                if has[key] is None:
                    has[key] = present
                elif has[key] != present:
                    raise DataError(f"{where} {'has' if present else 'has no'} {key} but graph 0 "
                                    f"{'has not' if present else 'has'}; all graphs must agree")
            if psel is not None:
                ep = np.asarray(psel, np.int64).reshape(-1, 2)
                if len(ep) and (ep.min() < 0 or ep.max() >= n):
                    raise DataError(f"{where}: pairs index beads outside [0, {n})")
                chunks["edge_pairs"].append(ep.astype(np.int32))
                chunks["edge_codes"].append(np.asarray(graph.relation_codes(ep), np.int32))
                edge_sizes.append(len(ep))
            if csel is not None:
                c = np.asarray(csel, np.float32)
                if c.shape != (len(idx), edge_sizes[-1]):
                    raise DataError(f"{where}: contacts has shape {c.shape}; expected "
                                    f"(frames, pairs) = ({len(idx)}, {edge_sizes[-1]})")
                chunks["contacts"].append(c.reshape(-1))
            chunks["sample_system"].append(np.full(len(idx), g, np.int64))
            chunks["sample_frame"].append(idx.astype(np.int64))
            sample_sizes += [n] * len(idx)
            pos = _frames(graph.positions, fsel, idx)
            _check_finite(pos, "positions", where, idx)
            chunks["positions"].append(pos.reshape(-1, 3))
            if graph.forces is not None:
                frc = _frames(graph.forces, fsel, idx)
                _check_finite(frc, "forces", where, idx)
                chunks["forces"].append(frc.reshape(-1, 3))
            if graph.energies is not None:
                ene = np.asarray(graph.energies[idx], np.float64)
                _check_finite(ene, "energies", where, idx)
                chunks["energy"].append(ene)
            if graph.box is not None:
                chunks["box"].append(np.asarray(graph.box[idx], np.float32))
            names = sorted(graph.labels)
            if label_names is None:
                label_names = names
            elif names != label_names:
                raise DataError(f"{where} has labels {names}; graph 0 has {label_names}")
            for k in names:
                if np.asarray(graph.labels[k]).dtype.kind not in "biuf":
                    raise DataError(f"{where}: label {k!r} has dtype "
                                    f"{np.asarray(graph.labels[k]).dtype}; labels must be numbers")
            if names:
                cols = [np.asarray(graph.labels[k], np.float64)[idx].reshape(len(idx), -1)
                        for k in names]
                chunks["labels"].append(np.concatenate(cols, axis=1).astype(np.float64))
            sources.append(str(graph.provenance.get("source", "")))

        arrays = {
            "system_types": np.concatenate(chunks["system_types"]),
            "system_offsets": _offsets(sys_sizes),
            "rel_pairs": np.concatenate(chunks["rel_pairs"]).reshape(-1, 2),
            "rel_codes": np.concatenate(chunks["rel_codes"]),
            "rel_offsets": _offsets(rel_sizes),
            "sample_system": np.concatenate(chunks["sample_system"]),
            "sample_frame": np.concatenate(chunks["sample_frame"]),
            "sample_offsets": _offsets(sample_sizes),
            "positions": _joined(chunks["positions"]),
        }
        if has["edge"]:
            arrays["edge_pairs"] = np.concatenate(chunks["edge_pairs"]).reshape(-1, 2)
            arrays["edge_codes"] = np.concatenate(chunks["edge_codes"])
            arrays["edge_offsets"] = _offsets(edge_sizes)
        for key in ("forces", "energy", "box", "contacts"):
            if has[key] and chunks[key]:
                arrays[key] = _joined(chunks[key])
        if label_names:
            arrays["labels"] = np.concatenate(chunks["labels"])
        meta = {"name": "graphs", "source": sources[0] if len(set(sources)) == 1 else sources,
                "max_separation": int(max_separation), "label_names": _label_columns(
                    graphs[0], label_names or []), "label_units": []}
        meta.update(metadata or {})
        return cls(arrays, meta, batch_options=batch_options)

    # ------------------------------------------------------------------ checks
    def _validate(self) -> None:
        a = self.arrays
        missing = [k for k in ARRAY_NAMES if k not in a]
        if missing:
            raise DataError(f"data set is missing the arrays {missing}")
        unknown = [k for k in a if k not in ARRAY_NAMES + OPTIONAL_ARRAYS]
        if unknown:
            raise DataError(f"data set has unknown arrays {unknown}")

        def need(name, shape):
            arr = a[name]
            ok = arr.ndim == len(shape) and all(s is None or arr.shape[k] == s
                                                for k, s in enumerate(shape))
            if not ok:
                text = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
                raise DataError(f"data set array {name} has shape {arr.shape}; expected {text}")

        for off, data in (("system_offsets", "system_types"), ("rel_offsets", "rel_codes"),
                          ("sample_offsets", "positions"), ("edge_offsets", "edge_codes")):
            if off not in a:
                continue
            need(off, (None,))
            o = a[off]
            if len(o) == 0 or o[0] != 0 or np.any(np.diff(o) < 0) or o[-1] != len(a[data]):
                raise DataError(f"data set array {off} must rise from 0 to len({data}) = "
                                f"{len(a[data])}; got {o[:3].tolist()}...{o[-2:].tolist()}")
        n_sys = len(a["system_offsets"]) - 1
        m = len(a["sample_system"])
        need("system_types", (None,))
        need("rel_pairs", (len(a["rel_codes"]), 2))
        need("rel_offsets", (n_sys + 1,))
        need("sample_frame", (m,))
        need("sample_offsets", (m + 1,))
        need("positions", (None, 3))
        if m and (a["sample_system"].min() < 0 or a["sample_system"].max() >= n_sys):
            raise DataError(f"sample_system must index the {n_sys} systems")
        sizes = np.diff(a["system_offsets"])[a["sample_system"]]
        if not np.array_equal(np.diff(a["sample_offsets"]), sizes):
            bad = int(np.flatnonzero(np.diff(a["sample_offsets"]) != sizes)[0])
            raise DataError(f"sample {bad} has {int(np.diff(a['sample_offsets'])[bad])} positions "
                            f"but its system has {int(sizes[bad])} beads")
        if "forces" in a:
            need("forces", (len(a["positions"]), 3))
        if "energy" in a:
            need("energy", (m,))
        if "labels" in a:
            need("labels", (m, None))
        if "box" in a:
            need("box", (m, 6))
        if "edge_pairs" in a:
            need("edge_pairs", (len(a["edge_codes"]), 2))
            need("edge_offsets", (n_sys + 1,))
        if "contacts" in a:
            if "edge_pairs" not in a:
                raise DataError("data set has contacts but no edge_pairs")
            need("contacts", (int(np.diff(a["edge_offsets"])[a["sample_system"]].sum()),))
        types = np.asarray(a["system_types"])
        bad = check_types(types)
        if len(bad) or np.any(types == 0):
            first = int(bad[0]) if len(bad) else int(np.flatnonzero(types == 0)[0])
            system = int(np.searchsorted(a["system_offsets"], first, side="right") - 1)
            raise DataError(f"system_types[{first}] = {int(types[first])} (system {system}) is not a "
                            f"bead type of vocabulary version {VOCABULARY_VERSION}")

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return int(len(self.index))

    @property
    def n_systems(self) -> int:
        """Number of molecular systems (graphs)."""
        return int(len(self.arrays["system_offsets"]) - 1)

    @property
    def label_names(self) -> List[str]:
        return list(self.metadata.get("label_names") or [])

    @property
    def label_units(self) -> List[str]:
        return list(self.metadata.get("label_units") or [])

    def has(self, name: str) -> bool:
        """True when the optional array ``name`` ("forces", "energy", "labels", ...) exists."""
        return name in self.arrays

    def n_beads(self) -> np.ndarray:
        """(len(self),) number of beads of each sample of the view."""
        sizes = np.diff(self.arrays["system_offsets"])
        return sizes[self.arrays["sample_system"][self.index]]

    def system_types(self, system: int) -> np.ndarray:
        """(n,) int32 bead types of ``system``."""
        o = self.arrays["system_offsets"]
        return np.asarray(self.arrays["system_types"][o[system]:o[system + 1]])

    def _relational(self, system: int) -> tuple:
        if system not in self._rel_cache:
            r = self.arrays["rel_offsets"]
            pairs = np.asarray(self.arrays["rel_pairs"][r[system]:r[system + 1]], np.int64)
            codes = np.asarray(self.arrays["rel_codes"][r[system]:r[system + 1]], np.int32)
            edge = None
            if "edge_offsets" in self.arrays:
                e = self.arrays["edge_offsets"]
                edge = (np.asarray(self.arrays["edge_pairs"][e[system]:e[system + 1]], np.int64),
                        np.asarray(self.arrays["edge_codes"][e[system]:e[system + 1]], np.int32))
            self._rel_cache[system] = (self.system_types(system), pairs, codes, edge)
        return self._rel_cache[system]

    def _contact_offsets(self) -> np.ndarray:
        if self._contacts_at is None:
            a = self.arrays
            sizes = np.diff(np.asarray(a["edge_offsets"]))[np.asarray(a["sample_system"])]
            self._contacts_at = _offsets(sizes)
        return self._contacts_at

    def sample(self, i: int) -> Dict[str, Any]:
        """Sample ``i`` of the view as a dict (see :mod:`cgmolct.data.batch`)."""
        if not -len(self) <= int(i) < len(self):
            raise DataError(f"sample {i} is out of range: the data set has {len(self)} samples")
        m = int(self.index[int(i)])
        a = self.arrays
        system = int(a["sample_system"][m])
        types, rel_pairs, rel_codes, edge = self._relational(system)
        lo, hi = int(a["sample_offsets"][m]), int(a["sample_offsets"][m + 1])
        out: Dict[str, Any] = {"types": types, "positions": np.asarray(a["positions"][lo:hi]),
                               "rel_pairs": rel_pairs, "rel_codes": rel_codes, "sample": m,
                               "system": system, "frame": int(a["sample_frame"][m])}
        if "forces" in a:
            out["forces"] = np.asarray(a["forces"][lo:hi])
        if "energy" in a:
            out["energy"] = float(a["energy"][m])
        if "labels" in a:
            out["labels"] = np.asarray(a["labels"][m])
        if "box" in a:
            out["box"] = np.asarray(a["box"][m], np.float64)
        if edge is not None:
            out["pairs"], out["pair_codes"] = edge
            if "contacts" in a:
                start = int(self._contact_offsets()[m])
                out["contacts"] = np.asarray(a["contacts"][start:start + len(edge[0])])
        return out

    def __getitem__(self, i: int) -> Dict[str, Any]:
        return self.sample(i)

    def __iter__(self):
        for i in range(len(self)):
            yield self.sample(i)

    def batch(self, indices: Iterable[int], **options) -> Dict[str, np.ndarray]:
        """Padded batch of the samples ``indices`` of the view (:func:`collate`).

        ``options`` override :attr:`batch_options` (cutoff, capacities, ...).
        """
        kwargs = dict(self.batch_options)
        kwargs.update(options)
        return collate([self.sample(int(i)) for i in np.atleast_1d(indices)], **kwargs)

    # ------------------------------------------------------------------ views
    def subset(self, indices) -> "MolecularDataset":
        """A view of the samples ``indices`` (ints or bool mask, relative to this view)."""
        idx = np.asarray(indices)
        if idx.dtype == np.bool_:
            if idx.shape != (len(self),):
                raise DataError(f"subset mask has shape {idx.shape}; expected ({len(self)},)")
            idx = np.flatnonzero(idx)
        idx = idx.astype(np.int64).reshape(-1)
        if len(idx) and (idx.min() < -len(self) or idx.max() >= len(self)):
            raise DataError(f"subset indices must lie in [0, {len(self)}); got range "
                            f"[{idx.min()}, {idx.max()}]")
        view = copy.copy(self)
        view.index = self.index[idx]
        view._rel_cache = self._rel_cache
        return view

    def with_options(self, **options) -> "MolecularDataset":
        """A view with other default batch options (``cutoff=5.0``, capacities ...)."""
        view = copy.copy(self)
        view.batch_options = {**self.batch_options, **options}
        return view

    def targets(self) -> Dict[str, np.ndarray]:
        """Energies (M',), labels (M', L) of the view, whichever exist (copies)."""
        a, out = self.arrays, {}
        if "energy" in a:
            out["energy"] = np.asarray(a["energy"])[self.index].astype(np.float64)
        if "labels" in a:
            out["labels"] = np.asarray(a["labels"])[self.index].astype(np.float64)
        return out

    def type_counts(self) -> tuple:
        """Bead counts per type of each sample of the view.

        Returns
        -------
        types : (T,) int
            The bead types present in the data set, sorted.
        counts : (M', T) int64
            ``counts[m, t]`` beads of type ``types[t]`` in sample m.
        """
        o = np.asarray(self.arrays["system_offsets"])
        all_types = np.asarray(self.arrays["system_types"])
        types, inverse = np.unique(all_types, return_inverse=True)
        per_system = np.zeros((self.n_systems, len(types)), np.int64)
        sys_of_bead = np.repeat(np.arange(self.n_systems), np.diff(o))
        np.add.at(per_system, (sys_of_bead, inverse.reshape(-1)), 1)
        return types, per_system[np.asarray(self.arrays["sample_system"])[self.index]]

    def bead_rows(self) -> np.ndarray:
        """(sum of n_beads,) rows of ``positions``/``forces`` that belong to the view."""
        return _rows(np.asarray(self.arrays["sample_offsets"]), self.index)

    def materialise(self) -> Dict[str, np.ndarray]:
        """Arrays holding exactly the samples of the view (copies; used to save a subset)."""
        a = self.arrays
        if np.array_equal(self.index, np.arange(len(a["sample_system"]))):
            return {k: np.asarray(v) for k, v in a.items()}
        out = {k: np.asarray(a[k]) for k in ("system_types", "system_offsets", "rel_pairs",
                                             "rel_codes", "rel_offsets", "edge_pairs",
                                             "edge_codes", "edge_offsets") if k in a}
        idx = self.index
        out["sample_system"] = np.asarray(a["sample_system"])[idx]
        out["sample_frame"] = np.asarray(a["sample_frame"])[idx]
        so = np.asarray(a["sample_offsets"])
        rows = _rows(so, idx)
        out["sample_offsets"] = _offsets(np.diff(so)[idx])
        out["positions"] = np.asarray(a["positions"])[rows].reshape(-1, 3)
        if "forces" in a:
            out["forces"] = np.asarray(a["forces"])[rows].reshape(-1, 3)
        for k in ("energy", "labels", "box"):
            if k in a:
                out[k] = np.asarray(a[k])[idx]
        if "contacts" in a:
            out["contacts"] = np.asarray(a["contacts"])[_rows(self._contact_offsets(), idx)]
        return out

    def __repr__(self) -> str:
        parts = [f"{len(self)} samples", f"{self.n_systems} systems"]
        parts += [k for k in ("forces", "energy", "labels", "edge_pairs", "box") if k in self.arrays]
        return f"MolecularDataset({', '.join(parts)})"


def _frames(arr, selection, idx: np.ndarray) -> np.ndarray:
    """Frames ``idx`` of a (frames, beads, 3) array as float32; all frames of a float32 array
    (a memory-mapped graph folder) stay a view, so a trajectory bigger than memory is read
    page by page when batches are made, never copied whole."""
    if selection is None and getattr(arr, "dtype", None) == np.float32 and arr.flags.c_contiguous:
        return arr
    return np.asarray(arr[idx], np.float32)


def _joined(parts: List[np.ndarray]) -> np.ndarray:
    """One array of ``parts`` (one part is returned as it is: no copy of a memory map)."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def _check_finite(arr: np.ndarray, name: str, where: str, frames: np.ndarray,
                  chunk: int = 4096) -> None:
    """Refuse NaN/inf, naming the first bad frame; reads ``chunk`` frames at a time."""
    for start in range(0, len(arr), chunk):
        part = np.asarray(arr[start:start + chunk])
        bad = ~np.isfinite(part)
        if bad.any():
            first = np.argwhere(bad)[0]
            detail = f", bead {int(first[1])}" if part.ndim > 1 else ""
            raise DataError(f"{where}: {name} of frame {int(frames[start + first[0]])}{detail} "
                            f"is NaN or infinite ({int(bad.sum())} bad values in this block)")


def _label_columns(graph, names: List[str]) -> List[str]:
    """Column names of the flattened labels: ``name`` or ``name[k]`` for vector labels."""
    cols: List[str] = []
    for name in names:
        arr = np.asarray(graph.labels[name])
        width = int(np.prod(arr.shape[1:])) if arr.ndim > 1 else 1
        cols += [name] if width == 1 and arr.ndim == 1 else [f"{name}[{k}]" for k in range(width)]
    return cols
