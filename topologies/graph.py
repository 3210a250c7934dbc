"""``CGGraph``: one molecular system at one resolution, with any number of frames.

The contract between ``topologies`` (which builds graphs) and ``cgmolct`` (which learns on
them).  All arrays are numpy; units are Å, amu, kcal/mol and kcal/mol/Å.

Beads (each ``(n_beads,)``)
    ``types`` int32 (global vocabulary, :mod:`topologies.vocabulary`), ``names`` str,
    ``residue_names`` str, ``residue_ids`` int64, ``insertion_codes`` str ('' when none),
    ``chain_ids`` str, ``masses`` float32 (amu).
Relations
    ``bonds`` (n_bonds, 2) int64 with i < j, sorted; ``bond_types`` (n_bonds,) int64
    (:data:`topologies.relations.BOND_TYPES`); per bead ``chain_index``, ``segment_index``,
    ``chain_position``, ``molecule_index`` int64 and ``polymer`` bool (meaning as in
    :mod:`topologies.relations`).
Frames
    ``positions`` (n_frames, n_beads, 3) float32 Å; ``forces`` same shape float32 kcal/mol/Å
    or None; ``energies`` (n_frames,) float64 kcal/mol or None; ``labels`` dict of arrays
    whose first axis is n_frames; ``box`` (n_frames, 6) float32 (a, b, c in Å, α, β, γ in
    degrees) or None.
Mapping and provenance
    ``mapping``: :class:`topologies.operator.MappingOperator` (atoms → beads) or None;
    ``provenance``: dict with keys source, trajectory, mapping, vocabulary_version,
    relation_version, units, warnings (list of str), format_version, created_by.

Saving and loading live in :mod:`topologies.storage` (``save``/``load`` here call it).
"""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from . import relations as _rel
from . import vocabulary as _voc
from .errors import TopologyError
from .operator import MappingOperator

__all__ = ["CGGraph", "FORMAT_VERSION", "UNITS", "BEAD_FIELDS", "FRAME_FIELDS", "MAX_COORDINATE"]

#: Version of the saved-graph format (see :mod:`topologies.storage`).
FORMAT_VERSION = "1"

#: Å: the largest coordinate magnitude accepted anywhere (files, arrays, graphs).  10 µm is
#: far beyond any simulated or crystal system (PDB columns stop at 9999.999 Å, GRO at
#: 99999.999 Å); larger values are corrupt data or wrong units, and are refused.
MAX_COORDINATE = 1.0e5

#: Units of every saved graph.
UNITS = {"length": "angstrom", "energy": "kcal/mol", "force": "kcal/mol/angstrom",
         "mass": "amu", "angle": "degree"}

#: Per-bead arrays: name -> dtype ("U" = unicode string).
BEAD_FIELDS = {
    "types": np.int32, "names": "U", "residue_names": "U", "residue_ids": np.int64,
    "insertion_codes": "U", "chain_ids": "U", "masses": np.float32,
    "chain_index": np.int64, "segment_index": np.int64, "chain_position": np.int64,
    "polymer": np.bool_, "molecule_index": np.int64,
}
#: Per-frame arrays (first axis n_frames) other than labels.
FRAME_FIELDS = ("positions", "forces", "energies", "box")


def _created_by() -> str:
    try:
        from importlib.metadata import version
        return f"topologies (cgmolct {version('cgmolct')})"
    except Exception:  # pragma: no cover - not installed
        return "topologies"


def _default_provenance(mapping_name: Optional[str]) -> Dict[str, Any]:
    return {
        "source": None,
        "trajectory": None,
        "mapping": mapping_name,
        "vocabulary_version": _voc.VOCABULARY_VERSION,
        "relation_version": _rel.RELATION_VERSION,
        "units": dict(UNITS),
        "warnings": [],
        "format_version": FORMAT_VERSION,
        "created_by": _created_by(),
    }


def _bead_array(name: str, value, n: int, dtype) -> np.ndarray:
    arr = np.asarray(value)
    if arr.shape != (n,):
        raise TopologyError(f"CGGraph: {name} has shape {arr.shape}; expected ({n},), one value per bead")
    if dtype == "U":
        if arr.dtype.kind != "U":
            arr = arr.astype(str)
        return arr
    if np.dtype(dtype).kind in "iu" and arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise TopologyError(f"CGGraph: {name} must hold integers; got non-integer values")
    if np.dtype(dtype) == np.bool_ and arr.dtype != np.bool_:
        if not np.all(np.isin(arr, (0, 1))):
            raise TopologyError(f"CGGraph: {name} must be boolean (True/False per bead)")
    return arr.astype(dtype, copy=False)


def _frame_array(name: str, value, n_frames: int, tail: tuple, dtype) -> Optional[np.ndarray]:
    if value is None:
        return None
    arr = np.asarray(value, dtype=dtype)
    if arr.ndim == len(tail) and n_frames == 1 and name != "energies":
        arr = arr[None]
    expected = (n_frames,) + tail
    if arr.shape != expected:
        shown = ", ".join(["n_frames"] + [str(t) for t in tail])
        raise TopologyError(f"CGGraph: {name} has shape {arr.shape}; expected ({shown}) = {expected}")
    step = max(1, 4_000_000 // max(1, int(np.prod(tail, dtype=np.int64))))
    for start in range(0, max(n_frames, 1), step):  # chunked: memory-mapped frames stay lazy
        part = np.asarray(arr[start:start + step])
        if not np.all(np.isfinite(part)):
            bad = np.argwhere(~np.isfinite(part))[0]
            bad[0] += start
            raise TopologyError(f"CGGraph: {name} holds a non-finite value (NaN or inf) at index "
                                f"{tuple(int(b) for b in bad)}")
        if name == "positions" and part.size and float(np.abs(part).max()) > MAX_COORDINATE:
            bad = np.argwhere(np.abs(part) > MAX_COORDINATE)[0]
            value = float(part[tuple(bad)])
            bad[0] += start
            raise TopologyError(f"CGGraph: positions hold {value:.4g} Å at index {tuple(int(b) for b in bad)}, "
                                f"beyond ±{MAX_COORDINATE:g} Å (corrupt data or wrong units)")
    return arr


class CGGraph:
    """A coarse-grained (or all-atom) molecular graph with frames; see the module docstring.

    Parameters
    ----------
    types : (n_beads,) int
        Global vocabulary ids (> 0).
    positions : (n_frames, n_beads, 3) or (n_beads, 3) float, Å
    names, residue_names, insertion_codes, chain_ids : (n_beads,) str, optional
        Defaults: the type name, ``''``, ``''``, ``''``.
    residue_ids : (n_beads,) int, optional
        Default ``0``.
    masses : (n_beads,) float, amu, optional
        Default: the element mass for element types, else 0.
    bonds : (n_bonds, 2) int, optional
        Bonded bead pairs (stored with i < j, sorted, without duplicates).
    bond_types : (n_bonds,) int, optional
        :data:`topologies.relations.BOND_TYPES` values; default ``unknown``.
    chain_index, segment_index, chain_position, molecule_index : (n_beads,) int, optional
        Default ``0`` (molecule_index) or ``0`` (others).
    polymer : (n_beads,) bool, optional
        Default False (a small molecule).
    forces : (n_frames, n_beads, 3) float, kcal/mol/Å, optional
    energies : (n_frames,) float, kcal/mol, optional
    labels : dict of str -> array with first axis n_frames, optional
    box : (n_frames, 6) float, optional
    mapping : MappingOperator, optional
    provenance : dict, optional
        Merged over the defaults (see the module docstring).
    """

    __hash__ = None  # mutable container of arrays

    def __init__(self, types, positions, *, names=None, residue_names=None, residue_ids=None,
                 insertion_codes=None, chain_ids=None, masses=None, bonds=None, bond_types=None,
                 chain_index=None, segment_index=None, chain_position=None, polymer=None,
                 molecule_index=None, forces=None, energies=None, labels=None, box=None,
                 mapping: Optional[MappingOperator] = None, provenance: Optional[dict] = None):
        types = np.asarray(types)
        if types.ndim != 1:
            raise TopologyError(f"CGGraph: types has shape {types.shape}; expected (n_beads,)")
        n = len(types)
        if n == 0:
            raise TopologyError("CGGraph: no beads (types is empty); a graph needs at least one bead")
        types = _bead_array("types", types, n, np.int32)
        bad = _voc.check_types(types)
        if len(bad) or np.any(types == _voc.PAD):
            first = int(bad[0]) if len(bad) else int(np.flatnonzero(types == _voc.PAD)[0])
            raise TopologyError(f"CGGraph: bead {first} has type {int(types[first])}, which is not a bead "
                                f"type of vocabulary version {_voc.VOCABULARY_VERSION}")
        self.types = types
        if names is None:
            names = np.array([_voc.type_name(t) for t in types], dtype=str)
        if masses is None:
            masses = _default_masses(types)
        defaults = {"names": names, "residue_names": residue_names, "residue_ids": residue_ids,
                    "insertion_codes": insertion_codes, "chain_ids": chain_ids, "masses": masses,
                    "chain_index": chain_index, "segment_index": segment_index,
                    "chain_position": chain_position, "polymer": polymer,
                    "molecule_index": molecule_index}
        for field, dtype in BEAD_FIELDS.items():
            if field == "types":
                continue
            value = defaults[field]
            if value is None:
                value = np.full(n, "", dtype=str) if dtype == "U" else np.zeros(n, dtype=dtype)
            setattr(self, field, _bead_array(field, value, n, dtype))
        if np.any(~np.isfinite(self.masses)) or np.any(self.masses < 0):
            raise TopologyError("CGGraph: masses must be finite and >= 0 amu")

        self.bonds, self.bond_types = _canonical_bonds(bonds, bond_types, n)

        pos = np.asarray(positions, dtype=np.float32)
        if pos.ndim == 2:
            pos = pos[None]
        if pos.ndim != 3 or pos.shape[1:] != (n, 3):
            raise TopologyError(f"CGGraph: positions has shape {np.shape(positions)}; expected "
                                f"(n_frames, n_beads, 3) with n_beads = {n}")
        if pos.shape[0] == 0:
            raise TopologyError("CGGraph: positions hold no frame; a graph needs at least one frame")
        self.positions = _frame_array("positions", pos, pos.shape[0], (n, 3), np.float32)
        nf = self.positions.shape[0]
        self.forces = _frame_array("forces", forces, nf, (n, 3), np.float32)
        self.energies = _frame_array("energies", energies, nf, (), np.float64)
        self.box = _frame_array("box", box, nf, (6,), np.float32)
        self.labels = {}
        for key, value in (labels or {}).items():
            _check_label_name(key)
            arr = np.asarray(value)
            if arr.ndim == 0 or arr.shape[0] != nf:
                raise TopologyError(f"CGGraph: label {key!r} has shape {arr.shape}; expected first axis "
                                    f"n_frames = {nf}")
            self.labels[str(key)] = arr

        if mapping is not None:
            if not isinstance(mapping, MappingOperator):
                raise TopologyError(f"CGGraph: mapping must be a MappingOperator, got {type(mapping).__name__}")
            if mapping.n_beads != n:
                raise TopologyError(f"CGGraph: mapping has {mapping.n_beads} beads; the graph has {n}")
        self.mapping = mapping
        prov = _default_provenance(mapping.name if mapping is not None else None)
        prov.update(provenance or {})
        prov["warnings"] = [str(w) for w in prov.get("warnings") or []]
        self.provenance = prov

    # ------------------------------------------------------------------ sizes
    @property
    def n_beads(self) -> int:
        """Number of beads."""
        return int(len(self.types))

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.positions.shape[0])

    @property
    def n_bonds(self) -> int:
        """Number of bonds."""
        return int(len(self.bonds))

    # ------------------------------------------------------------------ relations
    def relation_codes(self, pairs) -> np.ndarray:
        """(P,) int32 relation codes of bead pairs (P, 2); see :func:`topologies.relations.relation_codes`."""
        return _rel.relation_codes(
            pairs, n_beads=self.n_beads, bonds=self.bonds, bond_types=self.bond_types,
            chain_index=self.chain_index, segment_index=self.segment_index,
            chain_position=self.chain_position, polymer=self.polymer,
            molecule_index=self.molecule_index)

    def relational_pairs(self, max_separation: int = 3) -> np.ndarray:
        """(P, 2) int64 bonded + near-in-sequence pairs; see :func:`topologies.relations.relational_pairs`."""
        return _rel.relational_pairs(
            n_beads=self.n_beads, bonds=self.bonds, segment_index=self.segment_index,
            chain_position=self.chain_position, polymer=self.polymer,
            max_separation=max_separation)

    # ------------------------------------------------------------------ frames
    def select_frames(self, index) -> "CGGraph":
        """A graph with the same topology and the frames ``index`` (int, slice, ints or bool mask)."""
        nf = self.n_frames
        if isinstance(index, (int, np.integer)):
            if not -nf <= int(index) < nf:
                raise TopologyError(f"frame {int(index)} is out of range: the graph has {nf} frames")
            idx = np.array([int(index) % nf])
        elif isinstance(index, slice):
            idx = np.arange(nf)[index]
        else:
            idx = np.asarray(index)
            if idx.dtype == np.bool_:
                if idx.shape != (nf,):
                    raise TopologyError(f"frame mask has shape {idx.shape}; expected ({nf},)")
                idx = np.flatnonzero(idx)
            elif idx.dtype.kind not in "iu" and idx.size:
                raise TopologyError(f"frame index must be int, slice, ints or a boolean mask; got {idx.dtype}")
            idx = idx.astype(np.int64).reshape(-1)
            if idx.size and (idx.min() < -nf or idx.max() >= nf):
                raise TopologyError(f"frame index out of range [{-nf}, {nf}): got [{idx.min()}, {idx.max()}]")
        if idx.size == 0:
            raise TopologyError("select_frames selected no frame; a graph needs at least one frame")
        pick = (lambda a: None if a is None else a[idx])
        return self._replace(positions=self.positions[idx], forces=pick(self.forces),
                             energies=pick(self.energies), box=pick(self.box),
                             labels={k: v[idx] for k, v in self.labels.items()})

    def _replace(self, **changes) -> "CGGraph":
        kwargs = {field: getattr(self, field) for field in BEAD_FIELDS}
        kwargs.update(bonds=self.bonds, bond_types=self.bond_types, positions=self.positions,
                      forces=self.forces, energies=self.energies, box=self.box,
                      labels=dict(self.labels), mapping=self.mapping,
                      provenance=_copy_provenance(self.provenance))
        kwargs.update(changes)
        types = kwargs.pop("types")
        positions = kwargs.pop("positions")
        return CGGraph(types, positions, **kwargs)

    # ------------------------------------------------------------------ I/O
    def save(self, path) -> str:
        """Save losslessly: ``*.npz`` file, or a folder of ``.npy`` files + ``graph.json``.

        Returns the path written.  The write is atomic (temporary file/folder, then rename).
        """
        from .storage import save_graph
        return save_graph(self, path)

    @classmethod
    def load(cls, path, mmap: bool = False) -> "CGGraph":
        """Load a graph saved by :meth:`save`; ``mmap=True`` memory-maps frame arrays of a folder."""
        from .storage import load_graph
        return load_graph(path, mmap=mmap)

    # ------------------------------------------------------------------ views
    def to_networkx(self):
        """``networkx.Graph``: one node per bead (all per-bead attributes), one edge per bond."""
        import networkx as nx

        g = nx.Graph(mapping=self.provenance.get("mapping"), source=self.provenance.get("source"))
        for i in range(self.n_beads):
            g.add_node(i, **{field: getattr(self, field)[i].item() for field in BEAD_FIELDS})
        for (i, j), t in zip(self.bonds.tolist(), self.bond_types.tolist()):
            g.add_edge(i, j, bond_type=int(t), bond_type_name=_rel.BOND_TYPE_NAMES.get(int(t), "?"))
        return g

    def summary(self) -> Dict[str, Any]:
        """A JSON-able summary (sizes, chains, mapping, type counts, forces, warnings)."""
        chains = []
        for c in np.unique(self.chain_index):
            sel = self.chain_index == c
            poly = sel & self.polymer
            chains.append({"chain_id": str(self.chain_ids[sel][0]), "n_beads": int(sel.sum()),
                           "n_polymer_beads": int(poly.sum()),
                           "n_segments": int(len(np.unique(self.segment_index[poly]))),
                           "n_other_molecules": int(len(np.unique(self.molecule_index[sel & ~self.polymer])))})
        ids, counts = np.unique(self.types, return_counts=True)
        return {
            "n_beads": self.n_beads,
            "n_frames": self.n_frames,
            "n_bonds": self.n_bonds,
            "n_chains": len(chains),
            "chains": chains,
            "mapping": self.provenance.get("mapping"),
            "type_counts": {_voc.type_name(t): int(c) for t, c in zip(ids, counts)},
            "bond_type_counts": {_rel.BOND_TYPE_NAMES.get(int(t), str(int(t))): int(c)
                                 for t, c in zip(*np.unique(self.bond_types, return_counts=True))},
            "has_forces": self.forces is not None,
            "has_energies": self.energies is not None,
            "has_box": self.box is not None,
            "labels": sorted(self.labels),
            "source": self.provenance.get("source"),
            "trajectory": self.provenance.get("trajectory"),
            "vocabulary_version": self.provenance.get("vocabulary_version"),
            "relation_version": self.provenance.get("relation_version"),
            "units": self.provenance.get("units"),
            "warnings": list(self.provenance.get("warnings", [])),
        }

    def __repr__(self) -> str:
        return (f"CGGraph(n_beads={self.n_beads}, n_frames={self.n_frames}, n_bonds={self.n_bonds}, "
                f"mapping={self.provenance.get('mapping')!r}, forces={self.forces is not None})")

    def __eq__(self, other) -> bool:
        """Exact equality of every array (dtype included), the mapping and the provenance."""
        if not isinstance(other, CGGraph):
            return NotImplemented
        def same(a, b):
            if a is None or b is None:
                return a is None and b is None
            return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)
        fields = list(BEAD_FIELDS) + ["bonds", "bond_types"] + list(FRAME_FIELDS)
        if not all(same(getattr(self, f), getattr(other, f)) for f in fields):
            return False
        if sorted(self.labels) != sorted(other.labels):
            return False
        if not all(same(np.asarray(self.labels[k]), np.asarray(other.labels[k])) for k in self.labels):
            return False
        if (self.mapping is None) != (other.mapping is None):
            return False
        if self.mapping is not None and not self.mapping == other.mapping:
            return False
        return self.provenance == other.provenance


def _check_label_name(key) -> None:
    import re
    if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z0-9_\-]+", key):
        raise TopologyError(f"CGGraph: label name {key!r} must be letters, digits, '_' or '-'")


def _copy_provenance(prov: dict) -> dict:
    import copy
    return copy.deepcopy(prov)


def _default_masses(types: np.ndarray) -> np.ndarray:
    from .elements import element_masses
    return element_masses(types)


def _canonical_bonds(bonds, bond_types, n: int):
    if bonds is None:
        return np.zeros((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64)
    b = np.asarray(bonds)
    if b.size == 0:
        b = b.reshape(0, 2)
    if b.ndim != 2 or b.shape[1] != 2:
        raise TopologyError(f"CGGraph: bonds has shape {b.shape}; expected (n_bonds, 2)")
    if b.dtype.kind not in "iu":
        raise TopologyError(f"CGGraph: bonds must hold integer bead indices; got dtype {b.dtype}")
    b = b.astype(np.int64)
    if bond_types is None:
        t = np.full(len(b), _rel.BOND_TYPES["unknown"], dtype=np.int64)
    else:
        t = np.asarray(bond_types).astype(np.int64).reshape(-1)
        if t.shape != (len(b),):
            raise TopologyError(f"CGGraph: bond_types has shape {np.shape(bond_types)}; expected ({len(b)},)")
        unknown = sorted(set(t.tolist()) - set(_rel.BOND_TYPE_NAMES))
        if unknown:
            raise TopologyError(f"CGGraph: unknown bond type(s) {unknown}; known: {_rel.BOND_TYPES}")
    if len(b) == 0:
        return b.reshape(0, 2), t
    if b.min() < 0 or b.max() >= n:
        raise TopologyError(f"CGGraph: bond indices must lie in [0, {n}); got [{b.min()}, {b.max()}]")
    if np.any(b[:, 0] == b[:, 1]):
        k = int(np.flatnonzero(b[:, 0] == b[:, 1])[0])
        raise TopologyError(f"CGGraph: bond {k} joins bead {int(b[k, 0])} to itself")
    b = np.sort(b, axis=1)
    order = np.lexsort((b[:, 1], b[:, 0]))
    b, t = b[order], t[order]
    keep = np.ones(len(b), dtype=bool)
    keep[1:] = np.any(b[1:] != b[:-1], axis=1)
    return np.ascontiguousarray(b[keep]), t[keep]
