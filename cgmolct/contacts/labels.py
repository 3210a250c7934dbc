"""Residue contact labels from all-atom structures (numpy only; no MindSpore).

Definitions (mdtraj / CASP conventions), for residues i ≠ j, distances in Å:

==================  ==========================================================  ========
definition          distance between residues                                   cut-off
==================  ==========================================================  ========
``ca``              CA–CA                                                        8.0
``cb``              CB–CB (CA for glycine and residues without CB)               8.0
``closest-heavy``   smallest distance between any two heavy (non-H) atoms        4.5
==================  ==========================================================  ========

Per frame a contact map is an (n, n) bool matrix (symmetric, diagonal False); over a
trajectory the *frequency* is the fraction of frames in contact.  Residues are the beads
of a ``ca`` graph built with :func:`topologies.build_graph`, so a label matrix lines up
with the CA-level graph a contact model sees.

Sequence separation s_ij = |chain_position_i − chain_position_j| inside one chain (across
chain breaks too); pairs in different chains get :data:`OTHER_CHAIN_SEPARATION` (they
count as long range).  Classes (CASP): short 6–11, medium 12–23, long ≥ 24.
"""
from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Dict, Optional, Sequence, Union

import numpy as np

from ..errors import InputError

__all__ = ["DEFINITIONS", "CUTOFFS", "SEPARATION_CLASSES", "OTHER_CHAIN_SEPARATION",
           "ResidueStructure", "read_structure", "structure_from_graphs", "residue_distances",
           "contact_maps", "contact_frequency", "separation_matrix", "separation_class_mask"]

#: Contact definitions understood by :func:`contact_maps`.
DEFINITIONS = ("ca", "cb", "closest-heavy")
#: Default cut-off of each definition in Å.
CUTOFFS: Dict[str, float] = {"ca": 8.0, "cb": 8.0, "closest-heavy": 4.5}
#: Sequence-separation classes: name -> (smallest, largest) |i − j|, inclusive.
SEPARATION_CLASSES: Dict[str, tuple] = {"short": (6, 11), "medium": (12, 23),
                                        "long": (24, np.iinfo(np.int32).max),
                                        "all": (6, np.iinfo(np.int32).max)}
#: Separation given to pairs in different chains.
OTHER_CHAIN_SEPARATION = 10_000


@dataclasses.dataclass
class ResidueStructure:
    """Residues (the beads of a ``ca`` graph) with their heavy atoms over frames.

    Attributes
    ----------
    graph : topologies.CGGraph
        The CA-level graph (one bead per residue), positions (F, n, 3) Å.
    atom_positions : (F, A, 3) float32 or None
        Heavy-atom positions in Å (None for a CA-only input).
    atom_residue : (A,) int64 or None
        Residue (bead of ``graph``) of each heavy atom.
    atom_names : (A,) str or None
        Atom names (``CA``, ``CB`` ...).
    """

    graph: "object"
    atom_positions: Optional[np.ndarray] = None
    atom_residue: Optional[np.ndarray] = None
    atom_names: Optional[np.ndarray] = None

    @property
    def n_residues(self) -> int:
        """Number of residues n."""
        return int(self.graph.n_beads)

    @property
    def n_frames(self) -> int:
        """Number of frames F."""
        return int(self.graph.n_frames)

    @property
    def has_atoms(self) -> bool:
        """True when heavy atoms beyond CA are known (labels can be computed)."""
        if self.atom_names is None:
            return False
        return bool(np.any(self.atom_names != "CA"))


def _check_definition(definition: str) -> str:
    if definition not in DEFINITIONS:
        raise InputError(f"unknown contact definition {definition!r}; choose one of "
                         f"{', '.join(DEFINITIONS)}")
    return definition


def structure_from_graphs(ca_graph, atom_graph=None) -> ResidueStructure:
    """Pair a ``ca`` graph with an ``all-atom`` (or ``heavy``) graph of the same source.

    Atoms are matched to residues through the source-atom indices of both mapping
    operators; hydrogens and atoms outside every residue bead are dropped.

    Parameters
    ----------
    ca_graph : CGGraph
        Built with ``mapping="ca"`` (one bead per residue).
    atom_graph : CGGraph, optional
        Built with ``mapping="all-atom"`` from the same files and selection.

    Returns
    -------
    ResidueStructure
    """
    if atom_graph is None:
        return ResidueStructure(ca_graph)
    cm, am = ca_graph.mapping, atom_graph.mapping
    if cm is None or am is None or cm.n_atoms != am.n_atoms:
        raise InputError("structure_from_graphs: both graphs need mapping operators over the "
                         "same source atoms (build them from the same files and selection)")
    if ca_graph.n_frames != atom_graph.n_frames:
        raise InputError(f"structure_from_graphs: {ca_graph.n_frames} CA frames but "
                         f"{atom_graph.n_frames} atom frames")
    bead_of_source = np.full(am.n_atoms, -1, np.int64)
    source = np.flatnonzero(am.atom_to_bead >= 0)
    bead_of_source[source] = am.atom_to_bead[source]
    atom_bead = np.full(atom_graph.n_beads, -1, np.int64)
    atom_bead[bead_of_source[source]] = source  # source atom of each atom bead
    residue = cm.atom_to_bead[atom_bead]
    heavy = (np.asarray(atom_graph.types) != 1) & (residue >= 0)
    return ResidueStructure(ca_graph, np.asarray(atom_graph.positions[:, heavy], np.float32),
                            residue[heavy].astype(np.int64),
                            np.asarray(atom_graph.names)[heavy].astype(str))


def read_structure(topology: Union[str, Path], trajectory=None, *,
                   selection: Optional[str] = "protein", frames: Optional[slice] = None,
                   strict: bool = False) -> ResidueStructure:
    """Read residues and their heavy atoms with ``topologies.build_graph``.

    Parameters
    ----------
    topology : path
        Any structure MDAnalysis reads (PDB, PSF, GRO, ...), or a saved CGGraph
        (``.npz`` or folder): then only that graph is used (no atoms unless it is an
        all-atom graph, so no labels for a CA-only graph).
    trajectory : path or list of paths, optional
    selection : str, optional
        MDAnalysis selection (default ``"protein"``).
    frames : slice, optional
    strict : bool
        Passed to ``build_graph``.

    Returns
    -------
    ResidueStructure
    """
    from topologies import build_graph
    from topologies.graph import CGGraph

    path = Path(topology)
    if path.suffix == ".npz" or (path.is_dir() and (path / "graph.json").exists()):
        graph = CGGraph.load(path)
        if graph.mapping is not None and graph.mapping.name in ("all-atom", "heavy", "atoms"):
            raise InputError(f"{path}: an atom-level saved graph; give the structure file instead "
                             "so residues can be built")
        return ResidueStructure(graph)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ca = build_graph(path, trajectory, mapping="ca", selection=selection, frames=frames,
                         strict=strict)
        atoms = build_graph(path, trajectory, mapping="all-atom", selection=selection,
                            frames=frames, strict=strict)
    if not np.any(ca.names == "CA"):
        raise InputError(f"{path}: no protein residue with a CA atom (selection {selection!r})")
    return structure_from_graphs(ca, atoms)


def _residue_points(s: ResidueStructure, name: str) -> np.ndarray:
    """(F, n, 3) position of atom ``name`` per residue, CA where it is missing."""
    pos = np.array(s.graph.positions, np.float64)
    if s.atom_positions is None:
        return pos
    rows = np.flatnonzero(s.atom_names == name)
    res = s.atom_residue[rows]
    pos[:, res] = s.atom_positions[:, rows]
    return pos


def _pairwise(x: np.ndarray) -> np.ndarray:
    d = x[:, :, None, :] - x[:, None, :, :]
    return np.sqrt((d * d).sum(-1))


def residue_distances(structure: ResidueStructure, definition: str = "closest-heavy") -> np.ndarray:
    """(F, n, n) residue–residue distance in Å under ``definition`` (diagonal 0).

    ``closest-heavy`` uses a KD-tree per frame, so memory stays O(atoms); pairs with no
    heavy atoms within 2 × the cut-off + 20 Å get +inf instead of their exact distance.
    """
    _check_definition(definition)
    s = structure
    if definition == "ca":
        return _pairwise(np.asarray(s.graph.positions, np.float64))
    if definition == "cb":
        if not s.has_atoms:
            raise InputError("cb contacts need the CB atoms; this input has only CA")
        return _pairwise(_residue_points(s, "CB"))
    if not s.has_atoms:
        raise InputError("closest-heavy contacts need all heavy atoms; this input has only CA")
    from scipy.spatial import cKDTree

    n = s.n_residues
    reach = 2 * CUTOFFS["closest-heavy"] + 20.0
    out = np.full((s.n_frames, n, n), np.inf)
    for f in range(s.n_frames):
        x = np.asarray(s.atom_positions[f], np.float64)
        pairs = cKDTree(x).query_pairs(reach, output_type="ndarray")
        d = np.linalg.norm(x[pairs[:, 0]] - x[pairs[:, 1]], axis=1)
        ri, rj = s.atom_residue[pairs[:, 0]], s.atom_residue[pairs[:, 1]]
        m = out[f]
        np.minimum.at(m, (ri, rj), d)
        np.minimum.at(m, (rj, ri), d)
        np.fill_diagonal(m, 0.0)
    return out


def contact_maps(structure: ResidueStructure, definition: str = "closest-heavy",
                 cutoff: Optional[float] = None) -> np.ndarray:
    """(F, n, n) bool contacts per frame: distance < ``cutoff`` (Å), diagonal False.

    Parameters
    ----------
    structure : ResidueStructure
    definition : {"ca", "cb", "closest-heavy"}
    cutoff : float, optional
        Default :data:`CUTOFFS` of the definition.
    """
    cut = CUTOFFS[_check_definition(definition)] if cutoff is None else float(cutoff)
    if not cut > 0:
        raise InputError(f"contact cutoff must be > 0 Å, got {cutoff}")
    c = residue_distances(structure, definition) < cut
    idx = np.arange(structure.n_residues)
    c[:, idx, idx] = False
    return c


def contact_frequency(maps: np.ndarray, weights: Optional[Sequence[float]] = None) -> np.ndarray:
    """(n, n) float32 fraction of frames in contact (optionally weighted per frame)."""
    maps = np.asarray(maps)
    if maps.ndim != 3:
        raise InputError(f"contact maps have shape {maps.shape}; expected (frames, n, n)")
    w = np.ones(len(maps)) if weights is None else np.asarray(weights, np.float64)
    if w.shape != (len(maps),) or np.any(w < 0) or w.sum() <= 0:
        raise InputError(f"weights need {len(maps)} non-negative values with a positive sum")
    return (np.tensordot(w / w.sum(), maps.astype(np.float64), axes=1)).astype(np.float32)


def separation_matrix(graph) -> np.ndarray:
    """(n, n) int sequence separation |i − j| (see module docstring for other chains)."""
    pos = np.asarray(graph.chain_position, np.int64)
    chain = np.asarray(graph.chain_index)
    same = chain[:, None] == chain[None, :]
    sep = np.abs(pos[:, None] - pos[None, :])
    return np.where(same, sep, OTHER_CHAIN_SEPARATION)


def separation_class_mask(separation: np.ndarray, name: str) -> np.ndarray:
    """Bool mask of the pairs i < j whose separation lies in class ``name``."""
    if name not in SEPARATION_CLASSES:
        raise InputError(f"unknown separation class {name!r}; choose one of "
                         f"{', '.join(SEPARATION_CLASSES)}")
    lo, hi = SEPARATION_CLASSES[name]
    sep = np.asarray(separation)
    upper = np.triu(np.ones(sep.shape, bool), 1)
    return upper & (sep >= lo) & (sep <= hi)
