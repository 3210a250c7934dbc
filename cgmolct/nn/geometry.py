"""Gathering neighbour features and neighbour distances with a safe value for padding.

``ops.gather_elements`` breaks second-order gradients in graph mode, so neighbours are read
with :func:`mindspore.ops.gather` along axis 0 of a flattened ``(B * N, F)`` array, the
indices offset by ``b * N``.
"""
from __future__ import annotations

from mindspore import ops

__all__ = ["gather_neighbours", "gather_pairs", "neighbour_vectors", "SAFE_DISTANCE"]

#: Distance (Å) put in place of masked / self pairs before sqrt and log.
SAFE_DISTANCE = 1.0


def _offsets(batch: int, n: int, like):
    return (ops.arange(batch) * n).astype(like.dtype)


def gather_neighbours(x, index):
    """Features of neighbours.

    Parameters
    ----------
    x : (B, N, F) tensor
    index : (B, N, K) int32 tensor of bead indices into the same molecule

    Returns
    -------
    (B, N, K, F) tensor, ``out[b, i, k] = x[b, index[b, i, k]]``.
    """
    b, n, f = x.shape
    k = index.shape[2]
    flat = x.reshape(b * n, f)
    idx = index + _offsets(b, n, index).reshape(b, 1, 1)
    return ops.gather(flat, idx.reshape(-1), 0).reshape(b, index.shape[1], k, f)


def gather_pairs(x, index):
    """Features of listed beads: x (B, N, F), index (B, P) → (B, P, F)."""
    b, n, f = x.shape
    p = index.shape[1]
    idx = index + _offsets(b, n, index).reshape(b, 1)
    return ops.gather(x.reshape(b * n, f), idx.reshape(-1), 0).reshape(b, p, f)


def neighbour_vectors(positions, neighbours, neighbour_mask):
    """Difference vectors and distances to neighbours, safe for gradients.

    Parameters
    ----------
    positions : (B, N, 3) float tensor, Å
    neighbours : (B, N, K) int32 tensor
    neighbour_mask : (B, N, K) bool tensor

    Returns
    -------
    vectors : (B, N, K, 3) tensor ``r_j - r_i`` (Å)
    distances : (B, N, K) tensor (Å); masked entries hold :data:`SAFE_DISTANCE`, so that
        sqrt/log never see zero and gradients stay finite.
    """
    vectors = gather_neighbours(positions, neighbours) - positions[:, :, None, :]
    d2 = (vectors * vectors).sum(-1)
    d2 = ops.where(neighbour_mask, d2, ops.ones_like(d2) * SAFE_DISTANCE)
    return vectors, ops.sqrt(d2)
