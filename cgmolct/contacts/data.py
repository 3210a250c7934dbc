"""Contact data: CA-level graphs with pair lists and pair labels, batched at fixed shapes.

A :class:`ContactDataset` holds one sample per (protein, frame): the CA graph of the
frame, the pairs of :func:`~cgmolct.contacts.pairs.contact_pairs` (of the protein's first
frame, or given) and their labels (0/1 contacts, or frequencies in [0, 1] for the ensemble
mode).  ``batch(indices)`` returns a dict with the keys of :mod:`cgmolct.data.keys`
(the eight model inputs, ``pairs``, ``pair_codes``, ``pair_mask``, ``contacts``) padded to
capacities fixed at construction, so every batch has the same shapes (one compilation).
"""
from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np

from ..data import keys as K
from ..data.batch import collate
from ..data.buckets import resolve_capacity
from ..errors import DataError
from .pairs import MIN_SEPARATION, R_PAIR, contact_pairs

__all__ = ["ContactDataset", "frame_sample", "BATCH_KEYS"]

#: Keys a contact batch carries for the objective (model inputs + pairs + labels).
BATCH_KEYS = K.MODEL_INPUTS + (K.PAIRS, K.PAIR_CODES, K.PAIR_MASK, K.CONTACTS)


def frame_sample(graph, frame: int, pairs: np.ndarray, rel: Optional[tuple] = None,
                 labels: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
    """One sample dict of :func:`cgmolct.data.batch.collate` for frame ``frame`` of ``graph``.

    ``rel`` is ``(rel_pairs, rel_codes)`` (computed with ``max_separation=3`` when None);
    ``labels`` (P,) are the pair labels.
    """
    if rel is None:
        rp = np.asarray(graph.relational_pairs(3), np.int64).reshape(-1, 2)
        rel = (rp, np.asarray(graph.relation_codes(rp), np.int32))
    pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
    s = {"types": np.asarray(graph.types, np.int32),
         "positions": np.asarray(graph.positions[int(frame)], np.float32),
         "rel_pairs": rel[0], "rel_codes": rel[1], "pairs": pairs,
         "pair_codes": np.asarray(graph.relation_codes(pairs), np.int32)}
    if labels is not None:
        s["contacts"] = np.asarray(labels, np.float32).reshape(-1)
    return s


class ContactDataset:
    """Frames of CA graphs with pair labels; ``len`` and fixed-shape ``batch(indices)``.

    Parameters
    ----------
    graphs : sequence of CGGraph
        CA-level graphs (one bead per residue).
    labels : sequence of arrays
        Per graph ``(F, n, n)`` (per-frame contacts, 0/1) or ``(n, n)`` (one map for every
        frame: static contacts, or ensemble frequencies).
    names : sequence of str, optional
        Protein names (for reports).
    frames : sequence of index, optional
        Frames of each graph to use (default all).
    r_pair, min_separation : float, int
        Pair list (see :mod:`cgmolct.contacts.pairs`), taken from each frame.
    cutoff : float
        Geometric neighbour cutoff in Å (the representation's ``r_cut``).
    batch_size : int
        Rows of every batch (a shorter index list is padded with empty samples).
    capacities : dict, optional
        ``bead_capacity``, ``neighbour_capacity``, ``rel_capacity``, ``pair_capacity``;
        default: bucket-rounded maxima over this data set.
    """

    def __init__(self, graphs: Sequence, labels: Sequence[np.ndarray],
                 names: Optional[Sequence[str]] = None, frames: Optional[Sequence] = None,
                 r_pair: float = R_PAIR, min_separation: int = MIN_SEPARATION,
                 cutoff: float = 10.0, batch_size: int = 4,
                 capacities: Optional[Dict[str, int]] = None):
        graphs = list(graphs)
        if not graphs or len(labels) != len(graphs):
            raise DataError(f"ContactDataset needs one label array per graph; got {len(graphs)} "
                            f"graphs and {len(labels)} label arrays")
        self.names = [str(n) for n in (names or [f"protein {k}" for k in range(len(graphs))])]
        self.graphs, self.cutoff, self.batch_size = graphs, float(cutoff), int(batch_size)
        self.r_pair, self.min_separation = float(r_pair), int(min_separation)
        self.labels = [np.asarray(lab, np.float32) for lab in labels]
        self._rel: List[tuple] = []
        self._items: List[tuple] = []  # (graph index, frame, pairs, pair labels)
        for g, (graph, lab) in enumerate(zip(graphs, labels)):
            n = graph.n_beads
            lab = np.asarray(lab, np.float32)
            if lab.shape not in ((n, n), (graph.n_frames, n, n)):
                raise DataError(f"{self.names[g]}: labels have shape {lab.shape}; expected "
                                f"({n}, {n}) or ({graph.n_frames}, {n}, {n})")
            rp = np.asarray(graph.relational_pairs(3), np.int64).reshape(-1, 2)
            self._rel.append((rp, np.asarray(graph.relation_codes(rp), np.int32)))
            sel = np.arange(graph.n_frames)
            if frames is not None and frames[g] is not None:
                sel = np.atleast_1d(sel[frames[g]])
            for f in sel:
                pairs = contact_pairs(graph, int(f), self.r_pair, self.min_separation)
                m = lab if lab.ndim == 2 else lab[int(f)]
                self._items.append((g, int(f), pairs, m[pairs[:, 0], pairs[:, 1]]))
        self.capacities = dict(capacities or self._capacities())

    def _capacities(self) -> Dict[str, int]:
        n = max(g.n_beads for g in self.graphs)
        p = max(len(it[2]) for it in self._items)
        probe = collate([self._sample(k) for k in range(len(self._items))], cutoff=self.cutoff)
        return {"bead_capacity": resolve_capacity(n, None, "bead_capacity"),
                "pair_capacity": resolve_capacity(p, None, "pair_capacity"),
                "neighbour_capacity": int(probe[K.NEIGHBOURS].shape[2]),
                "rel_capacity": int(probe[K.REL_NEIGHBOURS].shape[2])}

    def _sample(self, k: int) -> Dict[str, np.ndarray]:
        g, f, pairs, lab = self._items[k]
        s = frame_sample(self.graphs[g], f, pairs, self._rel[g], lab)
        s["sample"], s["system"], s["frame"] = k, g, f
        return s

    def __len__(self) -> int:
        return len(self._items)

    def item(self, k: int) -> tuple:
        """(graph index, frame, pairs (P, 2), pair labels (P,)) of sample ``k``."""
        return self._items[int(k)]

    def truth(self, k: int) -> np.ndarray:
        """(n, n) label map of sample ``k`` (contacts or frequencies)."""
        g, f, _, _ = self._items[int(k)]
        lab = self.labels[g]
        return lab if lab.ndim == 2 else lab[f]

    def batch(self, indices: Iterable[int]) -> Dict[str, np.ndarray]:
        """Padded batch of samples ``indices`` with the shapes fixed at construction."""
        idx = [int(i) for i in np.atleast_1d(indices)]
        if not idx or len(idx) > self.batch_size:
            raise DataError(f"a batch takes 1..{self.batch_size} samples; got {len(idx)}")
        if min(idx) < 0 or max(idx) >= len(self):
            raise DataError(f"sample indices must lie in [0, {len(self)}); got {idx}")
        return collate([self._sample(k) for k in idx], cutoff=self.cutoff,
                       batch_capacity=self.batch_size, **self.capacities)
