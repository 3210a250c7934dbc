"""``from_arrays``: CGGraphs for data sets that come as arrays (MD17, QM9, OpenMM output).

The result is an atom-level graph (one bead per atom, element types, the ``all-atom``
identity mapping) so that it follows the same code path as graphs built from files.
"""
from __future__ import annotations

from typing import Dict, Optional, Union

import numpy as np

from . import vocabulary as _voc
from .bonds import guess_bonds
from .errors import TopologyError
from .graph import MAX_COORDINATE, CGGraph
from .operator import MappingOperator

__all__ = ["from_arrays"]


def _types_from(types_or_elements) -> np.ndarray:
    arr = np.asarray(types_or_elements)
    if arr.ndim != 1:
        raise TopologyError(f"types has shape {arr.shape}; expected (n_atoms,) atomic numbers or element symbols")
    if arr.dtype.kind in "US":
        out = np.empty(len(arr), dtype=np.int32)
        for k, sym in enumerate(arr.astype(str)):
            try:
                out[k] = _voc.element_type(sym)
            except TopologyError:
                raise TopologyError(f"atom {k}: {sym!r} is not a chemical element symbol") from None
        return out
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise TopologyError("types must be integer type ids (atomic numbers) or element symbols")
    elif arr.dtype.kind not in "iu":
        raise TopologyError(f"types must be integers or element symbols; got dtype {arr.dtype}")
    out = arr.astype(np.int32)
    if np.any(out == _voc.PAD):
        k = int(np.flatnonzero(out == _voc.PAD)[0])
        raise TopologyError(f"atom {k} has type 0 (padding); remove padding atoms before from_arrays "
                            "(e.g. types[types > 0] and the matching positions)")
    bad = _voc.check_types(out)
    if len(bad):
        k = int(bad[0])
        raise TopologyError(f"atom {k} has type {int(out[k])}, which is not in vocabulary version "
                            f"{_voc.VOCABULARY_VERSION}")
    return out


def _copy(value):
    """A private copy of an array argument (None stays None)."""
    return None if value is None else np.array(value, copy=True)


def _check_magnitude(pos: np.ndarray) -> None:
    """Refuse non-finite positions and positions beyond :data:`topologies.graph.MAX_COORDINATE`."""
    bad = ~np.isfinite(pos)
    if bad.any():
        f, a, c = (int(v) for v in np.argwhere(bad)[0])
        raise TopologyError(f"positions[{f}, {a}, {c}] is {pos[f, a, c]} (NaN or infinite); "
                            "positions must be finite (Å)")
    big = np.abs(pos) > MAX_COORDINATE
    if big.any():
        f, a, c = (int(v) for v in np.argwhere(big)[0])
        raise TopologyError(f"positions[{f}, {a}, {c}] is {pos[f, a, c]:.4g} Å, beyond ±{MAX_COORDINATE:g} Å; "
                            "positions must be in Å (convert nm ×10) and within a sane range")


def from_arrays(types_or_elements, positions, *, forces=None, energies=None,
                labels: Optional[Dict[str, np.ndarray]] = None,
                bonds: Union[str, None, np.ndarray] = "guess", bond_types=None, masses=None,
                names=None, box=None, source: str = "arrays", mapping: Optional[str] = "all-atom",
                provenance: Optional[dict] = None) -> CGGraph:
    """Build an atom-level :class:`CGGraph` from arrays.

    Parameters
    ----------
    types_or_elements : (n_atoms,) int or str
        Atomic numbers (any id of :mod:`topologies.vocabulary` is accepted) or element
        symbols (``"C"``, ``"h"``).  Type 0 (padding) is refused: strip it first.
    positions : (n_frames, n_atoms, 3) or (n_atoms, 3) float, Å
    forces : same shape as positions, kcal/mol/Å, optional
    energies : (n_frames,) float, kcal/mol, optional
    labels : dict of name -> array with first axis n_frames, optional
        Per-frame properties (QM9 targets ...), in the units of the data set.
    bonds : ``"guess"``, None or (n_bonds, 2) int
        ``"guess"``: from elements and the first frame's distances (type ``unknown``;
        needs element types); None: no bonds; an array: these bonds.
    bond_types : (n_bonds,) int, optional
        With an explicit ``bonds`` array (:data:`topologies.relations.BOND_TYPES`).
    masses : (n_atoms,) float, amu, optional
        Default: element masses.
    names : (n_atoms,) str, optional
        Default: element symbols.
    box : (n_frames, 6) float, optional
    source : str
        Recorded in ``provenance["source"]``.
    mapping : str or None
        Name of the identity mapping recorded (``"all-atom"``); None stores no mapping.
    provenance : dict, optional
        Extra provenance entries.

    Returns
    -------
    CGGraph
        One bead per atom; all beads non-polymer, one molecule.
    """
    types = _types_from(types_or_elements)
    n = len(types)
    if n == 0:
        raise TopologyError("types is empty: a graph needs at least one atom")
    try:  # a copy: the graph never shares memory with the caller's arrays
        pos = np.array(positions, dtype=np.float64 if not isinstance(positions, np.ndarray) else None,
                       copy=True)
    except (TypeError, ValueError) as exc:
        raise TopologyError(f"positions cannot be read as an array of numbers ({exc})") from None
    if pos.dtype.kind not in "fiu":
        raise TopologyError(f"positions must hold numbers (Å); got dtype {pos.dtype}")
    if pos.ndim == 2:
        pos = pos[None]
    if pos.ndim != 3 or pos.shape[1:] != (n, 3):
        raise TopologyError(f"positions has shape {np.shape(positions)}; expected (n_frames, n_atoms, 3) "
                            f"or (n_atoms, 3) with n_atoms = {n} (the length of types)")
    if pos.shape[0] == 0:
        raise TopologyError(f"positions has shape {pos.shape}: no frames; a graph needs at least one "
                            "frame of positions")
    _check_magnitude(pos)
    forces, energies, box, masses = (_copy(a) for a in (forces, energies, box, masses))
    labels = {k: _copy(v) for k, v in labels.items()} if labels else labels
    if not isinstance(bonds, str):
        bonds = _copy(bonds)
    if isinstance(bonds, str):
        if bonds != "guess":
            raise TopologyError(f"bonds must be 'guess', None or an (n_bonds, 2) array; got {bonds!r}")
        if bond_types is not None:
            raise TopologyError("bond_types needs an explicit bonds array (not bonds='guess')")
        if np.any(types > 118):
            raise TopologyError("bonds='guess' needs element types (atomic numbers 1-118); "
                                "pass bonds=None or an explicit bonds array for CG types")
        first = np.asarray(pos[0], dtype=np.float64)
        if not np.all(np.isfinite(first)):
            raise TopologyError("positions of frame 0 contain NaN or inf; cannot guess bonds")
        bonds = guess_bonds(types, first)
    if names is None:
        names = np.array([_voc.type_name(t) for t in types], dtype=str)
    prov = {"source": str(source), "trajectory": None}
    prov.update(provenance or {})
    op = MappingOperator.identity(n, name=mapping) if mapping else None
    if op is None:
        prov.setdefault("mapping", None)
    return CGGraph(types, pos, names=names, masses=masses, bonds=bonds, bond_types=bond_types,
                   forces=forces, energies=energies, labels=labels, box=box, mapping=op,
                   provenance=prov)
