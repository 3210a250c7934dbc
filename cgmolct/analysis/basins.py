"""Conformational basins of alanine-dipeptide-like backbones and their populations.

Basins in the (φ, ψ) plane, degrees:

- ``beta_C7eq``: φ < 0 and (ψ > 100° or ψ < −150°);
- ``alphaR``:    φ < 0 otherwise;
- ``alphaL``:    φ ≥ 0.

Errors are from a **block bootstrap**: the trajectory is cut into ``n_blocks`` contiguous
blocks of equal length (frames left over at the end are dropped), blocks are drawn with
replacement ``n_resamples`` times, and the error is the standard deviation of the pooled
population over the resamples.  Contiguous blocks keep the time correlation inside a block,
so the error accounts for it when blocks are longer than the correlation time.
"""
from __future__ import annotations

from typing import Dict

import numpy as np

from ..errors import InputError

__all__ = ["BASINS", "assign_basins", "basin_populations", "BOOTSTRAP_METHOD"]

#: Basin names, in the order of their codes 0, 1, 2.
BASINS = ("beta_C7eq", "alphaR", "alphaL")
BOOTSTRAP_METHOD = ("block bootstrap: {n_blocks} contiguous blocks of {block_length} frames "
                    "resampled with replacement {n_resamples} times (seed {seed}); error = standard "
                    "deviation of the population over resamples")


def assign_basins(phi, psi) -> np.ndarray:
    """Basin code per frame (0 β/C7eq, 1 αR, 2 αL; see :data:`BASINS`) of φ, ψ in degrees."""
    phi = np.asarray(phi, dtype=np.float64)
    psi = np.asarray(psi, dtype=np.float64)
    if phi.shape != psi.shape:
        raise InputError(f"assign_basins: phi {phi.shape} and psi {psi.shape} differ in shape")
    phi = np.mod(phi + 180.0, 360.0) - 180.0
    psi = np.mod(psi + 180.0, 360.0) - 180.0
    beta = (phi < 0) & ((psi > 100.0) | (psi < -150.0))
    return np.where(phi >= 0, 2, np.where(beta, 0, 1)).astype(np.int64)


def basin_populations(phi, psi, n_blocks: int = 20, n_resamples: int = 500,
                      seed: int = 0) -> Dict[str, object]:
    """Basin populations (fractions) with block-bootstrap errors.

    Parameters
    ----------
    phi, psi : (F,) arrays
        Degrees, in time order.
    n_blocks : int
        Contiguous blocks (reduced to F if the trajectory is shorter).
    n_resamples : int
        Bootstrap resamples.
    seed : int
        Seed of the resampling.

    Returns
    -------
    dict
        ``populations`` {basin: fraction}, ``errors`` {basin: standard error}, ``n_frames``,
        ``method`` (a sentence stating the bootstrap).
    """
    codes = assign_basins(np.asarray(phi).reshape(-1), np.asarray(psi).reshape(-1))
    f = len(codes)
    if f == 0:
        raise InputError("basin_populations: no frames")
    if int(n_blocks) < 1 or int(n_resamples) < 1:
        raise InputError("n_blocks and n_resamples must be >= 1")
    counts = np.bincount(codes, minlength=len(BASINS)).astype(np.float64)
    pops = counts / f
    nb = min(int(n_blocks), f)
    length = f // nb
    blocks = np.stack([np.bincount(codes[b * length:(b + 1) * length], minlength=len(BASINS))
                       for b in range(nb)]).astype(np.float64)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, nb, size=(int(n_resamples), nb))
    sums = blocks[draws].sum(axis=1)
    boot = sums / sums.sum(axis=1, keepdims=True)
    errors = boot.std(axis=0, ddof=1) if n_resamples > 1 else np.zeros(len(BASINS))
    return {"populations": {b: float(p) for b, p in zip(BASINS, pops)},
            "errors": {b: float(e) for b, e in zip(BASINS, errors)},
            "n_frames": int(f),
            "method": BOOTSTRAP_METHOD.format(n_blocks=nb, block_length=length,
                                              n_resamples=int(n_resamples), seed=seed)}
