"""Force-matching noise floor from nearest neighbours in CG configuration space.

Mapped forces are the mean force (the gradient of the CG free energy, what force matching can
learn) plus a fluctuation from the degrees of freedom the map removes.  For two frames with
nearly equal CG coordinates the mean forces nearly agree, so after optimal superposition of
frame j on frame i (proper rotation, Kabsch) the force difference is (mostly) two independent
fluctuations: E|F_i − R F_j|² ≈ 2 σ².  The estimate

    σ² = ½ · mean over pairs and components of (F_i − R F_j)²   (kcal/mol/Å)²

is the smallest mean-squared force error a model can reach (per component); it is an upper
bound, since neighbours are not exactly equal (the median neighbour RMSD is reported).
"""
from __future__ import annotations

from typing import Dict, Optional

import numpy as np

from ..errors import DataError, InputError

__all__ = ["force_noise_floor"]


def _pair_distances(x: np.ndarray) -> np.ndarray:
    i, j = np.triu_indices(x.shape[1], 1)
    return np.linalg.norm(x[:, i] - x[:, j], axis=-1)


def _kabsch(a: np.ndarray, b: np.ndarray):
    """Rotation R (proper) minimising |a_c − b_c R^T| for centred (N, 3) arrays; and the RMSD."""
    h = b.T @ a
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(vt.T @ u.T))
    r = vt.T @ np.diag([1.0, 1.0, d]) @ u.T
    rmsd = float(np.sqrt(np.mean(np.sum((a - b @ r.T) ** 2, axis=1))))
    return r, rmsd


def force_noise_floor(graph, n_frames: int = 2000, k: int = 8, seed: int = 0,
                      forces: Optional[np.ndarray] = None) -> Dict[str, float]:
    """Estimate the force-matching noise floor of a CG graph with forces.

    Parameters
    ----------
    graph : topologies.CGGraph
        CG frames (positions Å) with forces (kcal/mol/Å), e.g. delta forces.
    n_frames : int
        Frames drawn at random whose nearest neighbour is searched among all frames.
    k : int
        Candidates by inter-bead distance vector; the one with the smallest proper-rotation
        RMSD is the neighbour (distances alone cannot tell mirror images apart).
    seed : int
        Seed of the frame draw.
    forces : (F, N, 3) array, optional
        Forces to use instead of ``graph.forces``.

    Returns
    -------
    dict
        ``mse`` ((kcal/mol/Å)², per component), ``rmse`` (kcal/mol/Å), ``mae_gaussian``
        (√(2/π)·rmse, the MAE of Gaussian noise of that RMSE), ``neighbour_rmsd_median_A``,
        ``pairs``, ``method``.
    """
    from sklearn.neighbors import NearestNeighbors

    f = graph.forces if forces is None else np.asarray(forces)
    if f is None:
        raise DataError("force_noise_floor: the graph has no forces")
    x = np.asarray(graph.positions, dtype=np.float64)
    f = np.asarray(f, dtype=np.float64)
    if x.shape[0] < k + 2:
        raise InputError(f"force_noise_floor needs more than {k + 1} frames, got {x.shape[0]}")
    feats = _pair_distances(x)
    rng = np.random.default_rng(seed)
    picks = rng.choice(x.shape[0], size=min(n_frames, x.shape[0]), replace=False)
    nn = NearestNeighbors(n_neighbors=k + 1).fit(feats)
    _, cand = nn.kneighbors(feats[picks])
    sq, rmsds = [], []
    for i, row in zip(picks, cand):
        a = x[i] - x[i].mean(0)
        best = None
        for j in row:
            if j == i:
                continue
            r, rmsd = _kabsch(a, x[j] - x[j].mean(0))
            if best is None or rmsd < best[1]:
                best = (r, rmsd, j)
        r, rmsd, j = best
        diff = f[i] - f[j] @ r.T
        sq.append(np.mean(diff ** 2))
        rmsds.append(rmsd)
    mse = 0.5 * float(np.mean(sq))
    return {"mse": mse, "rmse": float(np.sqrt(mse)), "mae_gaussian": float(np.sqrt(2 / np.pi * mse)),
            "neighbour_rmsd_median_A": float(np.median(rmsds)), "pairs": int(len(sq)),
            "method": ("half the mean squared force difference (per component) between each of "
                       f"{len(sq)} random frames and its nearest neighbour in CG configuration "
                       f"space (best proper-rotation RMSD among {k} nearest by inter-bead "
                       "distances), forces rotated onto the frame; an upper bound")}
