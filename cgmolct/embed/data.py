"""Fixed-shape batches of frames and of frame pairs for the embedding objectives.

:class:`FrameData` holds one or several ``CGGraph`` objects (trajectories; any molecules)
and makes batches with the keys of :data:`cgmolct.embed.model.EMBED_INPUTS` plus
``sample_mask``, padded to capacities fixed for the whole data set (bead, neighbour,
relational and dihedral capacities are computed once), so one compiled graph serves every
batch.  Relational rows and dihedral quadruples are computed once per graph; geometric
neighbours of a batch in one vectorised all-pairs pass (O(B·N²) memory; the batch size is
lowered for large graphs).

:class:`PairData` pairs frames: time-lagged pairs (t, t + τ) inside each trajectory (VAMP)
or random pairs with a structural distance target (metric learning).  Its batches hold the
keys of the first frame, the same keys with the suffix ``_b`` for the second frame,
``sample_mask`` and ``target_distance`` (Å).  Both follow the trainer's data-set contract:
``__len__`` and ``batch(indices) -> dict of numpy arrays``.
"""
from __future__ import annotations

from typing import Dict, List, Optional

import numpy as np

from ..data import keys as K
from ..data.batch import dense_batch_neighbours, rows_from_pairs
from ..data.buckets import bucket_capacity
from ..errors import DataError, InputError
from .geometry import dihedral_quads, kabsch_rmsd, pairwise_distances
from .model import DIHEDRAL_MASK, DIHEDRALS, EMBED_INPUTS

__all__ = ["FrameData", "PairData", "as_graphs", "SECOND", "TARGET_DISTANCE", "PAIR_INPUTS"]

#: Suffix of the second frame's keys in a pair batch.
SECOND = "_b"
#: (B,) float32 structural distance of a pair in Å (metric learning).
TARGET_DISTANCE = "target_distance"
#: Keys of a pair batch in the order the objectives take them.
PAIR_INPUTS = (tuple(EMBED_INPUTS) + tuple(k + SECOND for k in EMBED_INPUTS)
               + (K.SAMPLE_MASK, TARGET_DISTANCE))
_MAX_DENSE = 2 ** 24  # frames × beads² entries per neighbour pass


def as_graphs(x) -> List:
    """A list of ``CGGraph`` from one graph or a sequence of them (InputError otherwise)."""
    from topologies.graph import CGGraph

    graphs = [x] if isinstance(x, CGGraph) else list(x) if isinstance(x, (list, tuple)) else None
    if not graphs or not all(isinstance(g, CGGraph) for g in graphs):
        raise InputError(f"expected a topologies.CGGraph or a list of them, got {type(x).__name__}")
    return graphs


class FrameData:
    """Frames of CG graphs as fixed-shape embedding batches (module docstring).

    Parameters
    ----------
    graphs : CGGraph or list of CGGraph
    cutoff : float
        Geometric neighbour cutoff in Å (the model's ``r_cut``).
    max_separation : int
        Sequence separation of the relational pairs.
    """

    def __init__(self, graphs, cutoff: float = 10.0, max_separation: int = 3):
        self.graphs = as_graphs(graphs)
        if not cutoff or cutoff <= 0:
            raise InputError(f"cutoff must be > 0 Å, got {cutoff!r}")
        self.cutoff = float(cutoff)
        sizes = [g.n_frames for g in self.graphs]
        self.system = np.repeat(np.arange(len(sizes)), sizes)
        self.frame = np.concatenate([np.arange(s) for s in sizes])
        self.offsets = np.concatenate([[0], np.cumsum(sizes)])
        self.n_beads = max(g.n_beads for g in self.graphs)
        self.bead_capacity = bucket_capacity(self.n_beads)
        rel, quads = [], []
        for g in self.graphs:
            if not np.isfinite(g.positions).all():
                raise DataError("graph positions have non-finite values")
            pairs = np.asarray(g.relational_pairs(max_separation), np.int64).reshape(-1, 2)
            rel.append((pairs, np.asarray(g.relation_codes(pairs), np.int32)))
            quads.append(dihedral_quads(g.bonds, g.n_beads))
        self.rel_capacity = bucket_capacity(max(
            [int(np.bincount(p[:, 0]).max()) if len(p) else 1 for p, _ in rel]))
        self.quad_capacity = max(1, max(len(q) for q in quads))
        self._rel = [rows_from_pairs(p, c, g.n_beads, self.rel_capacity)
                     for (p, c), g in zip(rel, self.graphs)]
        self._quads = quads
        self.neighbour_capacity = bucket_capacity(max(self._max_neighbours(g) for g in self.graphs))

    def __len__(self) -> int:
        return len(self.system)

    def _max_neighbours(self, g) -> int:
        step = max(1, _MAX_DENSE // max(g.n_beads ** 2, 1))
        best = 1
        mask = np.ones((1, g.n_beads), bool)
        for s in range(0, g.n_frames, step):
            x = np.asarray(g.positions[s:s + step])
            _, _, counts = dense_batch_neighbours(x, np.broadcast_to(mask, x.shape[:2]), self.cutoff)
            best = max(best, int(counts.max()))
        return best

    def default_batch_size(self, wanted: int) -> int:
        """``wanted`` lowered so that one neighbour pass stays within ~16 M entries."""
        return int(max(1, min(int(wanted), _MAX_DENSE // self.bead_capacity ** 2)))

    def positions(self, indices) -> np.ndarray:
        """(len(indices), n, 3) positions (one system only)."""
        idx = np.asarray(indices, np.int64)
        s = self.system[idx]
        if len(set(s.tolist())) != 1:
            raise DataError("positions(): indices from several graphs")
        return np.asarray(self.graphs[int(s[0])].positions[self.frame[idx]], np.float32)

    def batch(self, indices, batch_capacity: Optional[int] = None) -> Dict[str, np.ndarray]:
        """Padded batch of the frames ``indices`` (global frame numbers, any graphs)."""
        idx = np.atleast_1d(np.asarray(indices, np.int64))
        if len(idx) == 0:
            raise DataError("cannot make a batch of zero frames")
        if idx.min() < 0 or idx.max() >= len(self):
            raise DataError(f"frame indices must lie in [0, {len(self)})")
        b_cap = len(idx) if batch_capacity is None else int(batch_capacity)
        if b_cap < len(idx):
            raise DataError(f"batch_capacity {b_cap} < {len(idx)} frames")
        n_cap, k_cap, r_cap, q_cap = (self.bead_capacity, self.neighbour_capacity,
                                      self.rel_capacity, self.quad_capacity)
        out = {K.TYPES: np.zeros((b_cap, n_cap), np.int32),
               K.POSITIONS: np.zeros((b_cap, n_cap, 3), np.float32),
               K.ATOM_MASK: np.zeros((b_cap, n_cap), bool),
               K.NEIGHBOURS: np.zeros((b_cap, n_cap, k_cap), np.int32),
               K.NEIGHBOUR_MASK: np.zeros((b_cap, n_cap, k_cap), bool),
               K.REL_NEIGHBOURS: np.zeros((b_cap, n_cap, r_cap), np.int32),
               K.REL_CODES: np.zeros((b_cap, n_cap, r_cap), np.int32),
               K.REL_MASK: np.zeros((b_cap, n_cap, r_cap), bool),
               DIHEDRALS: np.zeros((b_cap, q_cap, 4), np.int32),
               DIHEDRAL_MASK: np.zeros((b_cap, q_cap), bool),
               K.SAMPLE_MASK: np.arange(b_cap) < len(idx)}
        for s in np.unique(self.system[idx]):
            rows = np.flatnonzero(self.system[idx] == s)
            g = self.graphs[int(s)]
            n = g.n_beads
            out[K.TYPES][rows, :n] = g.types
            out[K.POSITIONS][rows, :n] = g.positions[self.frame[idx[rows]]]
            out[K.ATOM_MASK][rows, :n] = True
            rn, rc, rm = self._rel[int(s)]
            out[K.REL_NEIGHBOURS][rows, :n], out[K.REL_CODES][rows, :n] = rn, rc
            out[K.REL_MASK][rows, :n] = rm
            q = self._quads[int(s)]
            out[DIHEDRALS][rows, :len(q)] = q
            out[DIHEDRAL_MASK][rows, :len(q)] = True
            order, ok, _ = dense_batch_neighbours(out[K.POSITIONS][rows, :n],
                                                  out[K.ATOM_MASK][rows, :n], self.cutoff)
            w = min(k_cap, n)
            out[K.NEIGHBOURS][rows, :n, :w] = np.where(ok[..., :w], order[..., :w], 0)
            out[K.NEIGHBOUR_MASK][rows, :n, :w] = ok[..., :w]
        return out


class PairData:
    """Pairs of frames of a :class:`FrameData` (module docstring).

    Parameters
    ----------
    frames : FrameData
    pairs : (P, 2) int
        Global frame numbers (same graph in each pair).
    targets : (P,) float, optional
        Structural distance of each pair in Å.
    """

    def __init__(self, frames: FrameData, pairs: np.ndarray, targets: Optional[np.ndarray] = None):
        pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
        if len(pairs) == 0:
            raise DataError("no frame pairs (trajectories shorter than the lag?)")
        self.frames, self.pairs = frames, pairs
        self.targets = None if targets is None else np.asarray(targets, np.float32).reshape(-1)
        if self.targets is not None and len(self.targets) != len(pairs):
            raise DataError(f"{len(self.targets)} targets for {len(pairs)} pairs")

    @classmethod
    def lagged(cls, frames: FrameData, lag: int) -> "PairData":
        """Every (t, t + lag) inside each graph (trajectory)."""
        if not isinstance(lag, (int, np.integer)) or isinstance(lag, bool) or lag < 1:
            raise InputError(f"lag must be a positive integer (frames), got {lag!r}")
        out = []
        for s in range(len(frames.graphs)):
            start, stop = frames.offsets[s], frames.offsets[s + 1]
            t = np.arange(start, stop - lag)
            out.append(np.column_stack([t, t + lag]))
        pairs = np.concatenate(out) if out else np.zeros((0, 2), np.int64)
        if len(pairs) == 0:
            raise InputError(f"no trajectory is longer than the lag ({lag} frames)")
        return cls(frames, pairs)

    @classmethod
    def random(cls, frames: FrameData, n_pairs: int, distance: str = "rmsd",
               seed: int = 0) -> "PairData":
        """``n_pairs`` random pairs inside each graph (proportional to its frames) with targets.

        ``distance``: ``"rmsd"`` (after the best proper rotation, Å; tells mirror images
        apart) or ``"drmsd"`` (RMS difference of the bead–bead distances, Å; blind to them).
        """
        if distance not in ("rmsd", "drmsd"):
            raise InputError(f"distance must be 'rmsd' or 'drmsd', got {distance!r}")
        rng = np.random.default_rng(seed)
        a = rng.integers(0, len(frames), int(n_pairs))
        s = frames.system[a]
        lo, hi = frames.offsets[s], frames.offsets[s + 1]
        b = lo + (rng.integers(0, 1 << 62, len(a)) % (hi - lo))
        pairs = np.column_stack([a, b])
        targets = np.zeros(len(pairs))
        for sys in np.unique(s):
            rows = np.flatnonzero(s == sys)
            g = frames.graphs[int(sys)]
            xa = g.positions[frames.frame[pairs[rows, 0]]]
            xb = g.positions[frames.frame[pairs[rows, 1]]]
            if distance == "rmsd":
                targets[rows] = kabsch_rmsd(xa, xb)
            else:
                da, db = pairwise_distances(xa), pairwise_distances(xb)
                targets[rows] = np.sqrt(((da - db) ** 2).mean(1))
        return cls(frames, pairs, targets)

    def __len__(self) -> int:
        return len(self.pairs)

    def batch(self, indices, batch_capacity: Optional[int] = None) -> Dict[str, np.ndarray]:
        idx = np.atleast_1d(np.asarray(indices, np.int64))
        first = self.frames.batch(self.pairs[idx, 0], batch_capacity)
        second = self.frames.batch(self.pairs[idx, 1], batch_capacity)
        out = {k: first[k] for k in EMBED_INPUTS}
        out.update({k + SECOND: second[k] for k in EMBED_INPUTS})
        out[K.SAMPLE_MASK] = first[K.SAMPLE_MASK]
        t = np.zeros(len(first[K.SAMPLE_MASK]), np.float32)
        if self.targets is not None:
            t[:len(idx)] = self.targets[idx]
        out[TARGET_DISTANCE] = t
        return out

