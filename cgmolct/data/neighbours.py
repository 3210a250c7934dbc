"""Neighbour lists with a cutoff: padded ``(frames, beads, K)`` indices and masks.

For each bead i of a frame, the neighbours are the other real beads j with
|r_j − r_i| <= cutoff (minimum image when a periodic box is given).  They are stored in
a padded layout that graph mode can compile once per capacity:

- ``indices`` (F, N, K) int32: neighbour j of bead i, sorted by j; padding entries are 0;
- ``mask`` (F, N, K) bool: True for real entries;
- ``shifts`` (F, N, K, 3) float32 Å, only with a box: r_ij = r_j − r_i + shift is the
  minimum-image vector (zero without a box).

The pair search uses an O(N) cell/tree routine: ``scipy.spatial.cKDTree`` without a box
and MDAnalysis' ``self_capped_distance`` (grid search, triclinic boxes) with one; a dense
all-pairs path (``method="dense"``) serves small molecules and ``cutoff=None`` (every
other bead is a neighbour).  The capacity K is the bucket (:mod:`cgmolct.data.buckets`)
of the largest neighbour count over all frames unless forced.

Truncation policy: with a forced capacity that is too small, ``overflow="error"``
(default) raises :class:`~cgmolct.errors.DataError` naming frame, bead and count;
``overflow="truncate"`` keeps the K nearest neighbours of each bead and warns once per
call with the number of dropped pairs.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from ..errors import DataError
from ._checks import check_array, check_positive
from .buckets import resolve_capacity

__all__ = ["Neighbours", "neighbour_list", "frame_pairs", "NeighbourList", "DENSE_LIMIT"]

#: With ``method="auto"``, frames with at most this many real beads use the dense path.
DENSE_LIMIT = 64
_METHODS = ("auto", "dense", "kdtree", "grid")
_OVERFLOW = ("error", "truncate")


@dataclass
class Neighbours:
    """A padded neighbour list (see the module docstring for the layout).

    Attributes
    ----------
    indices : (F, N, K) or (N, K) int32
    mask : (F, N, K) or (N, K) bool
    shifts : (F, N, K, 3) or (N, K, 3) float32 Å, or None without a box
    counts : (F, N) or (N,) int64
        Number of neighbours of each bead inside the cutoff (before any truncation).
    cutoff : float or None
        Cutoff in Å (None: all pairs).
    n_dropped : int
        Pairs dropped by truncation (0 unless ``overflow="truncate"``).
    """

    indices: np.ndarray
    mask: np.ndarray
    shifts: Optional[np.ndarray]
    counts: np.ndarray
    cutoff: Optional[float]
    n_dropped: int = 0

    @property
    def capacity(self) -> int:
        """K, the padded number of neighbour slots per bead."""
        return int(self.indices.shape[-1])

    @property
    def n_pairs(self) -> int:
        """Number of real (directed) neighbour entries."""
        return int(self.mask.sum())


def _check_box(box, n_frames: int) -> Optional[np.ndarray]:
    if box is None:
        return None
    b = np.asarray(box, dtype=np.float64)
    if b.shape == (6,):
        b = np.broadcast_to(b, (n_frames, 6))
    b = check_array(b, "box", (n_frames, 6))
    if np.any(b[:, :3] <= 0) or np.any(b[:, 3:] <= 0) or np.any(b[:, 3:] >= 180):
        raise DataError("box must hold lengths a, b, c > 0 Å and angles in (0, 180) degrees; "
                        f"got {b[0].tolist()}")
    return b


def _unique_pairs(x: np.ndarray, cutoff: Optional[float], box: Optional[np.ndarray],
                  method: str) -> tuple:
    """Pairs i < j within the cutoff and their distances, for one frame of real beads."""
    n = len(x)
    if n < 2:
        return np.zeros((0, 2), np.int64), np.zeros(0)
    if method == "dense" or cutoff is None:
        i, j = np.triu_indices(n, 1)
        if box is None:
            d = np.linalg.norm(x[j] - x[i], axis=1)
        else:
            from MDAnalysis.lib.distances import self_distance_array
            d = self_distance_array(x.astype(np.float32), box=box.astype(np.float32))
        keep = slice(None) if cutoff is None else d <= cutoff
        return np.stack([i[keep], j[keep]], 1).astype(np.int64), d[keep]
    if method == "kdtree":
        from scipy.spatial import cKDTree
        tree = cKDTree(x)
        pairs = tree.query_pairs(cutoff, output_type="ndarray").astype(np.int64)
        d = np.linalg.norm(x[pairs[:, 1]] - x[pairs[:, 0]], axis=1)
        return pairs, d
    from MDAnalysis.lib.distances import self_capped_distance
    pairs, d = self_capped_distance(x.astype(np.float32), cutoff,
                                    box=None if box is None else box.astype(np.float32),
                                    return_distances=True)
    pairs = np.sort(np.asarray(pairs, dtype=np.int64).reshape(-1, 2), axis=1)
    return pairs, np.asarray(d, dtype=np.float64)


def _directed(pairs: np.ndarray, d: np.ndarray, n: int) -> tuple:
    """Both directions of unique pairs, sorted by (i, j) in O(P + N) (a CSR conversion)."""
    if len(pairs) == 0:
        return np.zeros((0, 2), np.int64), np.zeros(0)
    from scipy.sparse import coo_matrix
    rows = np.concatenate([pairs[:, 0], pairs[:, 1]])
    cols = np.concatenate([pairs[:, 1], pairs[:, 0]])
    ids = np.arange(1, len(rows) + 1, dtype=np.int64)      # 1-based: no explicit zeros
    csr = coo_matrix((ids, (rows, cols)), shape=(n, n)).tocsr()
    csr.sort_indices()
    i = np.repeat(np.arange(n, dtype=np.int64), np.diff(csr.indptr))
    both = np.stack([i, csr.indices.astype(np.int64)], 1)
    return both, np.concatenate([d, d])[csr.data - 1]


def frame_pairs(positions, cutoff: Optional[float], *, mask=None, box=None,
                method: str = "auto") -> tuple:
    """Directed neighbour pairs of one frame, both orders, self pairs excluded.

    Parameters
    ----------
    positions : (N, 3) array, Å
    cutoff : float or None
        Cutoff in Å; None gives all pairs of real beads.
    mask : (N,) bool, optional
        Real beads; padded beads have no neighbours and are nobody's neighbour.
    box : (6,) array, optional
        Periodic box (a, b, c in Å, alpha, beta, gamma in degrees).
    method : {"auto", "dense", "kdtree", "grid"}

    Returns
    -------
    pairs : (P, 2) int64, sorted by (i, j)
    distances : (P,) float64, Å
    shifts : (P, 3) float64 Å, or None without a box
    """
    x = check_array(positions, "positions", ("beads", 3)).astype(np.float64)
    n = len(x)
    if mask is None:
        real = np.arange(n)
    else:
        m = check_array(mask, "mask", (n,), dtype_kind="b")
        real = np.flatnonzero(m)
    b = _check_box(box, 1)
    b = None if b is None else b[0]
    if method not in _METHODS:
        raise DataError(f"method must be one of {_METHODS}, got {method!r}")
    if method == "auto":
        method = ("dense" if cutoff is None or len(real) <= DENSE_LIMIT
                  else ("kdtree" if b is None else "grid"))
    elif method == "kdtree" and b is not None:
        method = "grid"  # cKDTree has no triclinic boxes; the grid search handles all boxes
    xr = x[real]
    pairs, d = _unique_pairs(xr, cutoff, b, method)
    pairs = real[pairs] if len(pairs) else pairs
    both, dist = _directed(pairs, d, n)
    shifts = None
    if b is not None:
        from MDAnalysis.lib.distances import minimize_vectors
        raw = x[both[:, 1]] - x[both[:, 0]]
        if len(raw):
            shifts = minimize_vectors(raw.astype(np.float64), b.astype(np.float64)) - raw
        else:
            shifts = np.zeros((0, 3))
    return both, dist, shifts


def _pad_rows(pairs, dist, shifts, n: int, capacity: int, overflow: str, frame: int,
              where: str):
    """Scatter sorted directed pairs into (n, capacity) rows."""
    counts = np.bincount(pairs[:, 0], minlength=n) if len(pairs) else np.zeros(n, np.int64)
    dropped = 0
    if len(pairs) and counts.max() > capacity:
        worst = int(np.argmax(counts))
        if overflow == "error":
            raise DataError(
                f"{where}frame {frame}: bead {worst} has {int(counts[worst])} neighbours but the "
                f"neighbour capacity is {capacity}; use a larger capacity, capacity='auto', or "
                "overflow='truncate' to keep the nearest ones")
        # keep the `capacity` nearest neighbours of each bead
        order = np.lexsort((dist, pairs[:, 0]))
        start = np.concatenate([[0], np.cumsum(counts)[:-1]])
        slot = np.arange(len(pairs)) - start[pairs[order, 0]]
        keep = np.sort(order[slot < capacity])
        dropped = len(pairs) - len(keep)
        pairs = pairs[keep]
        shifts = None if shifts is None else shifts[keep]
        counts_kept = np.bincount(pairs[:, 0], minlength=n)
    else:
        counts_kept = counts
    idx = np.zeros((n, capacity), np.int32)
    msk = np.zeros((n, capacity), bool)
    sh = None if shifts is None else np.zeros((n, capacity, 3), np.float32)
    if len(pairs):
        start = np.concatenate([[0], np.cumsum(counts_kept)[:-1]])
        slot = np.arange(len(pairs)) - start[pairs[:, 0]]
        idx[pairs[:, 0], slot] = pairs[:, 1]
        msk[pairs[:, 0], slot] = True
        if sh is not None:
            sh[pairs[:, 0], slot] = shifts
    return idx, msk, sh, counts, dropped


def neighbour_list(
    positions,
    cutoff: Optional[float],
    *,
    mask=None,
    box=None,
    capacity=None,
    buckets: Optional[Sequence[int]] = None,
    overflow: str = "error",
    method: str = "auto",
    where: str = "",
) -> Neighbours:
    """Padded neighbour list of every frame.

    Parameters
    ----------
    positions : (F, N, 3) or (N, 3) array, Å
    cutoff : float or None
        Cutoff in Å (pairs with distance <= cutoff); None: all pairs (dense path).
    mask : (N,) or (F, N) bool, optional
        Real beads (default all).  Padded beads get no neighbours.
    box : (6,) or (F, 6) array, optional
        Periodic box, MDAnalysis ``dimensions`` (Å, degrees); minimum image.
    capacity : int or "auto" or None
        Neighbour slots K.  None/"auto": bucket of the largest count; an int forces K.
    buckets : sequence of int, optional
        Capacity ladder (default :data:`cgmolct.data.buckets.DEFAULT_BUCKETS`).
    overflow : {"error", "truncate"}
        What to do when a forced capacity is too small (see the module docstring).
    method : {"auto", "dense", "kdtree", "grid"}
        Pair search: dense all pairs, scipy cKDTree (no box) or MDAnalysis grid search.
    where : str
        Context for error messages (a file name).

    Returns
    -------
    Neighbours
        Arrays of shape (F, N, K) (or (N, K) for a single (N, 3) frame).

    Raises
    ------
    DataError
        Bad shapes, NaN positions, bad box, or too many neighbours for a forced capacity.
    """
    if where and not where.endswith(": "):
        where = where + ": "
    x = np.asarray(positions)
    single = x.ndim == 2
    if single:
        x = check_array(x, "positions", ("beads", 3), where=where)[None]
    x = check_array(x, "positions", ("frames", "beads", 3), where=where)
    n_frames, n = x.shape[:2]
    if cutoff is not None:
        cutoff = check_positive(cutoff, "cutoff")
    if overflow not in _OVERFLOW:
        raise DataError(f"overflow must be one of {_OVERFLOW}, got {overflow!r}")
    if mask is None:
        m = np.ones((n_frames, n), bool)
    else:
        m = np.asarray(mask)
        if m.shape == (n,):
            m = np.broadcast_to(m, (n_frames, n))
        m = check_array(m, "mask", (n_frames, n), dtype_kind="b", where=where)
    boxes = _check_box(box, n_frames)
    per_frame = [frame_pairs(x[f], cutoff, mask=m[f],
                             box=None if boxes is None else boxes[f], method=method)
                 for f in range(n_frames)]
    needed = max((int(np.bincount(p[:, 0]).max()) if len(p) else 0) for p, _, _ in per_frame)
    cap = resolve_capacity(needed, capacity, "capacity", buckets=buckets)
    out_i = np.zeros((n_frames, n, cap), np.int32)
    out_m = np.zeros((n_frames, n, cap), bool)
    out_s = None if boxes is None else np.zeros((n_frames, n, cap, 3), np.float32)
    counts = np.zeros((n_frames, n), np.int64)
    dropped = 0
    for f, (p, d, s) in enumerate(per_frame):
        i_, m_, s_, c_, dr = _pad_rows(p, d, s, n, cap, overflow, f, where)
        out_i[f], out_m[f], counts[f] = i_, m_, c_
        if out_s is not None:
            out_s[f] = s_
        dropped += dr
    if dropped:
        warnings.warn(f"{where}neighbour capacity {cap} is too small: {dropped} pairs beyond "
                      "it were dropped (the nearest neighbours of each bead were kept)",
                      stacklevel=2)
    if single:
        out_i, out_m, counts = out_i[0], out_m[0], counts[0]
        out_s = None if out_s is None else out_s[0]
    return Neighbours(out_i, out_m, out_s, counts, cutoff, dropped)


def _widen(nl: Neighbours, capacity: int) -> Neighbours:
    """Pad the last axis of a single-frame list to ``capacity`` slots."""
    extra = capacity - nl.capacity
    idx = np.pad(nl.indices, ((0, 0), (0, extra)))
    msk = np.pad(nl.mask, ((0, 0), (0, extra)))
    sh = None if nl.shifts is None else np.pad(nl.shifts, ((0, 0), (0, extra), (0, 0)))
    return Neighbours(idx, msk, sh, nl.counts, nl.cutoff, nl.n_dropped)


class NeighbourList:
    """A neighbour list with a skin, rebuilt only when a bead has moved far enough.

    The list is built with radius ``cutoff + skin`` and reused while no bead has moved
    more than ``skin / 2`` since the last build (then no pair can have entered the
    cutoff unseen).  On every :meth:`update` the mask is refined to the pairs inside
    ``cutoff`` at the current positions (``refine=True``), an O(N·K) step.  The capacity
    stays fixed while the counts fit (constant shapes for a compiled model) and grows to
    the next bucket otherwise.

    Parameters
    ----------
    cutoff : float
        Cutoff in Å.
    skin : float
        Extra radius in Å (default 2.0; 0 rebuilds every step).
    capacity : int or "auto"
        Neighbour slots (forced int, or buckets).
    mask : (N,) bool, optional
        Real beads.
    refine : bool
        Mask out pairs beyond ``cutoff`` at the current positions.
    overflow, method, buckets
        As in :func:`neighbour_list`.

    Attributes
    ----------
    n_builds : int
        Number of pair searches done so far.
    n_updates : int
        Number of :meth:`update` calls.

    Examples
    --------
    >>> import numpy as np
    >>> nl = NeighbourList(cutoff=5.0, skin=1.0)
    >>> x = np.random.default_rng(0).uniform(0, 10, (50, 3))
    >>> _ = nl.update(x); _ = nl.update(x + 0.1)
    >>> nl.n_builds, nl.n_updates
    (1, 2)
    """

    def __init__(self, cutoff: float, *, skin: float = 2.0, capacity=None, mask=None,
                 refine: bool = True, overflow: str = "error", method: str = "auto",
                 buckets: Optional[Sequence[int]] = None):
        self.cutoff = check_positive(cutoff, "cutoff")
        self.skin = float(skin)
        if not np.isfinite(self.skin) or self.skin < 0:
            raise DataError(f"skin must be a finite number >= 0 Å, got {skin!r}")
        self.capacity = capacity
        self.mask = None if mask is None else np.asarray(mask, bool)
        self.refine = bool(refine)
        self.overflow = overflow
        self.method = method
        self.buckets = buckets
        self.n_builds = 0
        self.n_updates = 0
        self._ref = None
        self._box = None
        self._list: Optional[Neighbours] = None

    def needs_rebuild(self, positions: np.ndarray, box=None) -> bool:
        """True when no list exists, the box changed, or a bead moved > skin / 2."""
        if self._list is None or self._ref is None or positions.shape != self._ref.shape:
            return True
        if (box is None) != (self._box is None) or (
                box is not None and not np.allclose(box, self._box)):
            return True
        moved = positions - self._ref
        if self.mask is not None:
            moved = moved[self.mask]
        if moved.size == 0:
            return False
        return float(np.sqrt((moved ** 2).sum(-1).max())) > 0.5 * self.skin

    def update(self, positions, box=None) -> Neighbours:
        """Neighbour list for one frame ``positions`` (N, 3) Å; rebuilds when needed.

        Returns
        -------
        Neighbours
            (N, K) arrays; ``mask`` holds pairs within ``cutoff`` (``refine=True``) or
            within ``cutoff + skin``.
        """
        x = check_array(positions, "positions", ("beads", 3)).astype(np.float64)
        b = None if box is None else np.asarray(box, np.float64)
        self.n_updates += 1
        if self.needs_rebuild(x, b):
            built = neighbour_list(x, self.cutoff + self.skin, mask=self.mask, box=b,
                                   capacity=self.capacity, overflow=self.overflow,
                                   method=self.method, buckets=self.buckets)
            if self._list is not None and built.capacity < self._list.capacity:
                built = _widen(built, self._list.capacity)  # never shrink: keep shapes
            self._list, self._ref, self._box = built, x.copy(), b
            self.n_builds += 1
        nl = self._list
        if not self.refine:
            return nl
        x32 = x.astype(np.float32)
        rij = x32[nl.indices] - x32[:, None, :]
        if nl.shifts is not None:
            from MDAnalysis.lib.distances import minimize_vectors
            rij = minimize_vectors(rij.reshape(-1, 3), b).reshape(rij.shape)
        inside = nl.mask & ((rij ** 2).sum(-1) <= self.cutoff ** 2)
        shifts = None
        if nl.shifts is not None:
            shifts = (rij - (x32[nl.indices] - x32[:, None, :])).astype(np.float32)
        return Neighbours(nl.indices, inside, shifts, inside.sum(-1), self.cutoff, nl.n_dropped)
