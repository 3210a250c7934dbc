"""Neighbour lists of the replicas of a simulation, with fixed shapes for the compiled loop.

Two regimes:

- **all pairs** (systems of at most ``dense_limit`` beads, default
  :data:`cgmolct.data.neighbours.DENSE_LIMIT` = 64, or no cutoff): every other bead is listed
  once, K = N − 1; the list never changes.
- **list with a skin**: each replica's list holds the pairs within ``cutoff + skin`` at the
  positions of its last build (:func:`cgmolct.data.neighbours.neighbour_list`), padded to
  the bucket capacity K (:mod:`cgmolct.data.buckets`) shared by all replicas; K never
  shrinks, so the compiled loop is reused until a replica needs a larger bucket.  The loop
  masks pairs beyond ``cutoff`` at every step and reports each replica's largest
  displacement since its build; the host rebuilds a replica's list when that displacement
  (plus the largest growth seen over one call, so that the next call stays safe) exceeds
  half the skin.  No pair can enter the cutoff unlisted while no bead has moved more than
  half the skin.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from ..data.buckets import bucket_capacity
from ..data.neighbours import DENSE_LIMIT, neighbour_list
from ..errors import InputError

__all__ = ["ReplicaNeighbours"]


class ReplicaNeighbours:
    """Neighbour lists (B, N, K) of B replicas of one N-bead system.

    Parameters
    ----------
    n_replicas, n_beads : int
    cutoff : float or None
        The model's cutoff in Å (None: all pairs).
    skin : float
        Extra list radius in Å (default 2).
    dense_limit : int
        Systems with at most this many beads use all pairs.

    Attributes
    ----------
    dense : bool
        True for the all-pairs regime.
    indices : (B, N, K) int32
    mask : (B, N, K) bool
    build_positions : (B, N, 3) float32
        Positions (Å) of each replica's last build (zeros in the all-pairs regime).
    n_builds : int
        Replica list builds so far.
    growth : float
        Largest increase (Å) of a replica's displacement over one call seen so far.
    """

    def __init__(self, n_replicas: int, n_beads: int, cutoff: Optional[float], *,
                 skin: float = 2.0, dense_limit: int = DENSE_LIMIT):
        self.n_replicas, self.n_beads = int(n_replicas), int(n_beads)
        self.cutoff = None if cutoff is None else float(cutoff)
        self.skin = float(skin)
        if not np.isfinite(self.skin) or self.skin <= 0:
            raise InputError(f"skin must be a positive number of Å, got {skin!r}")
        self.dense = self.cutoff is None or self.n_beads <= int(dense_limit)
        self.n_builds = 0
        self.growth = 0.0
        b, n = self.n_replicas, self.n_beads
        self.build_positions = np.zeros((b, n, 3), np.float32)
        self._last_shift = np.zeros(b, np.float64)
        if self.dense:
            k = max(n - 1, 1)
            rows = np.array([[j for j in range(n) if j != i] for i in range(n)], np.int32)
            idx = np.zeros((n, k), np.int32)
            msk = np.zeros((n, k), bool)
            if n > 1:
                idx[:] = rows
                msk[:] = True
            self.indices = np.ascontiguousarray(np.broadcast_to(idx, (b, n, k)))
            self.mask = np.ascontiguousarray(np.broadcast_to(msk, (b, n, k)))
        else:
            self.indices = np.zeros((b, n, 1), np.int32)
            self.mask = np.zeros((b, n, 1), bool)

    @property
    def capacity(self) -> int:
        """K, the padded number of neighbour slots per bead."""
        return int(self.indices.shape[-1])

    def build(self, positions: np.ndarray, replicas=None) -> bool:
        """(Re)build the lists of ``replicas`` (default all) at ``positions`` (B, N, 3) Å.

        Returns
        -------
        bool
            True when the capacity K grew (the compiled loop sees a new shape).
        """
        if self.dense:
            return False
        x = np.asarray(positions, np.float64)
        which = range(self.n_replicas) if replicas is None else [int(r) for r in replicas]
        built = {}
        for r in which:
            built[r] = neighbour_list(x[r], self.cutoff + self.skin, capacity="auto",
                                      where=f"replica {r}")
        need = max([nl.capacity for nl in built.values()] + [self.capacity])
        grew = need > self.capacity
        if grew:
            self._widen(bucket_capacity(need))
        k = self.capacity
        for r, nl in built.items():
            self.indices[r] = 0
            self.mask[r] = False
            self.indices[r, :, :nl.capacity] = nl.indices
            self.mask[r, :, :nl.capacity] = nl.mask
            self.build_positions[r] = x[r]
            self._last_shift[r] = 0.0
        self.n_builds += len(built)
        assert self.indices.shape[-1] == k
        return grew

    def _widen(self, capacity: int) -> None:
        pad = ((0, 0), (0, 0), (0, int(capacity) - self.capacity))
        self.indices = np.pad(self.indices, pad)
        self.mask = np.pad(self.mask, pad)

    def unsafe(self, max_shift: np.ndarray) -> np.ndarray:
        """Replicas whose largest displacement over the last call exceeded half the skin."""
        if self.dense:
            return np.zeros(0, np.int64)
        return np.flatnonzero(np.asarray(max_shift) > 0.5 * self.skin)

    def due(self, max_shift: np.ndarray) -> np.ndarray:
        """Replicas to rebuild before the next call, given the displacements of the last one.

        Records the growth of each replica's displacement over the call; a replica is due when
        its displacement plus the largest growth seen so far exceeds half the skin.
        """
        if self.dense:
            return np.zeros(0, np.int64)
        shift = np.asarray(max_shift, np.float64)
        self.growth = max(self.growth, float(np.max(shift - self._last_shift, initial=0.0)))
        self._last_shift = shift.copy()
        return np.flatnonzero(shift + self.growth > 0.5 * self.skin)

    def state(self) -> dict:
        """Arrays that make a restart rebuild exactly the same lists."""
        return {"build_positions": self.build_positions.copy(),
                "last_shift": self._last_shift.copy(),
                "growth": np.array(self.growth), "capacity": np.array(self.capacity)}

    def restore(self, state: dict) -> None:
        """Rebuild the lists recorded by :meth:`state` (same positions, same capacity)."""
        if self.dense:
            return
        self.build(np.asarray(state["build_positions"]))
        k = int(state["capacity"])
        if k > self.capacity:
            self._widen(k)
        self._last_shift = np.asarray(state["last_shift"], np.float64).copy()
        self.growth = float(state["growth"])
