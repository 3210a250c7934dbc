"""Clustering of per-frame embeddings with scikit-learn, and its scores and plots.

``cluster(x, method, n_clusters)`` runs KMeans, agglomerative (Ward) clustering or DBSCAN;
when ``n_clusters`` is not given it is chosen by the silhouette score over ``k_range``
(DBSCAN finds its own number; its ``eps`` defaults to a nearest-neighbour distance
quantile).  Scores: silhouette and adjusted Rand index against reference labels.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence

import numpy as np

from ..errors import InputError

__all__ = ["METHODS", "cluster", "choose_n_clusters", "silhouette", "adjusted_rand",
           "populations", "representatives", "plot_embedding"]

METHODS = ("kmeans", "agglomerative", "dbscan")
_SILHOUETTE_SAMPLES = 4000


def _check_x(x) -> np.ndarray:
    x = np.asarray(x, np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise InputError(f"embedding has shape {x.shape}; expected (frames >= 2, dim)")
    if not np.isfinite(x).all():
        raise InputError("embedding has non-finite values")
    return x


def _model(method: str, k: Optional[int], seed: int, eps: Optional[float], min_samples: int):
    from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans

    if method == "kmeans":
        return KMeans(n_clusters=k, n_init=10, random_state=seed)
    if method == "agglomerative":
        return AgglomerativeClustering(n_clusters=k)
    return DBSCAN(eps=eps, min_samples=min_samples)


def silhouette(x: np.ndarray, labels: np.ndarray, seed: int = 0) -> float:
    """Silhouette score (−1…1; NaN for fewer than two clusters), on ≤ 4,000 sampled frames;
    DBSCAN noise (−1) is left out."""
    from sklearn.metrics import silhouette_score

    x = _check_x(x)
    labels = np.asarray(labels)
    keep = labels >= 0
    x, labels = x[keep], labels[keep]
    if len(np.unique(labels)) < 2 or len(np.unique(labels)) >= len(x):
        return float("nan")
    size = min(len(x), _SILHOUETTE_SAMPLES)
    return float(silhouette_score(x, labels, sample_size=size, random_state=seed))


def adjusted_rand(reference: np.ndarray, labels: np.ndarray) -> float:
    """Adjusted Rand index of a clustering against reference state labels (1 = identical)."""
    from sklearn.metrics import adjusted_rand_score

    reference, labels = np.asarray(reference), np.asarray(labels)
    if reference.shape != labels.shape:
        raise InputError(f"reference labels {reference.shape} and cluster labels "
                         f"{labels.shape} differ in shape")
    return float(adjusted_rand_score(reference, labels))


def choose_n_clusters(x: np.ndarray, method: str = "kmeans", k_range: Sequence[int] = range(2, 9),
                      seed: int = 0) -> Dict[str, object]:
    """Number of clusters with the best silhouette; returns ``{"k", "scores": {k: s}}``."""
    x = _check_x(x)
    scores = {}
    for k in k_range:
        if k >= len(x):
            break
        labels = _model(method, int(k), seed, None, 5).fit_predict(x)
        scores[int(k)] = silhouette(x, labels, seed)
    valid = {k: s for k, s in scores.items() if np.isfinite(s)}
    if not valid:
        raise InputError(f"cannot choose a number of clusters for {len(x)} frames")
    return {"k": max(valid, key=valid.get), "scores": scores}


def cluster(x: np.ndarray, method: str = "kmeans", n_clusters: Optional[int] = None, *,
            k_range: Sequence[int] = range(2, 9), eps: Optional[float] = None,
            min_samples: int = 5, seed: int = 0) -> Dict[str, object]:
    """Cluster per-frame embeddings.

    Parameters
    ----------
    x : (frames, dim) float
    method : {"kmeans", "agglomerative", "dbscan"}
    n_clusters : int, optional
        Default: chosen by silhouette over ``k_range`` (not used by DBSCAN).
    eps : float, optional
        DBSCAN radius in embedding units; default the 90 % quantile of the distance of each
        frame to its ``min_samples``-th neighbour.
    min_samples : int
        DBSCAN core-point size.
    seed : int

    Returns
    -------
    dict
        ``labels`` (frames,) int (−1 = DBSCAN noise), ``n_clusters``, ``silhouette``,
        ``silhouette_by_k`` (when chosen), ``method``.
    """
    x = _check_x(x)
    if method not in METHODS:
        raise InputError(f"unknown clustering method {method!r}; choose from {', '.join(METHODS)}")
    if n_clusters is not None and (not isinstance(n_clusters, (int, np.integer))
                                   or isinstance(n_clusters, bool)
                                   or not 1 <= n_clusters < len(x)):
        raise InputError(f"n_clusters must be an integer in [1, {len(x) - 1}], got {n_clusters!r}")
    info: Dict[str, object] = {"method": method}
    if method == "dbscan":
        if eps is None:
            from sklearn.neighbors import NearestNeighbors

            k = min(min_samples, len(x) - 1)
            dist, _ = NearestNeighbors(n_neighbors=k + 1).fit(x).kneighbors(x)
            eps = float(np.quantile(dist[:, -1], 0.9)) or 1e-6
        info["eps"] = float(eps)
        labels = _model(method, None, seed, eps, min_samples).fit_predict(x)
    else:
        if n_clusters is None:
            chosen = choose_n_clusters(x, method, k_range, seed)
            n_clusters = chosen["k"]
            info["silhouette_by_k"] = chosen["scores"]
        labels = _model(method, int(n_clusters), seed, None, min_samples).fit_predict(x)
    labels = np.asarray(labels, np.int64)
    info.update(labels=labels, n_clusters=int(len(set(labels.tolist()) - {-1})),
                silhouette=silhouette(x, labels, seed))
    return info


def populations(labels: np.ndarray) -> Dict[int, float]:
    """Fraction of frames per cluster label (noise −1 included when present)."""
    labels = np.asarray(labels)
    values, counts = np.unique(labels, return_counts=True)
    return {int(v): float(c) / len(labels) for v, c in zip(values, counts)}


def representatives(x: np.ndarray, labels: np.ndarray) -> Dict[int, int]:
    """Frame index nearest to each cluster's centroid (noise −1 skipped)."""
    x = _check_x(x)
    labels = np.asarray(labels)
    out = {}
    for c in sorted(set(labels.tolist()) - {-1}):
        idx = np.flatnonzero(labels == c)
        d = ((x[idx] - x[idx].mean(0)) ** 2).sum(1)
        out[int(c)] = int(idx[np.argmin(d)])
    return out


def plot_embedding(x: np.ndarray, labels: np.ndarray, path, title: str = "",
                   reference: Optional[np.ndarray] = None) -> str:
    """Scatter the first two principal components of ``x`` coloured by cluster (PNG).

    With ``reference`` labels a second panel shows them for comparison.  Returns the path.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = _check_x(x)
    xc = x - x.mean(0)
    if x.shape[1] >= 2:
        _, _, vt = np.linalg.svd(xc, full_matrices=False)
        xy = xc @ vt[:2].T
    else:
        xy = np.column_stack([xc[:, 0], np.zeros(len(x))])
    panels = [("clusters", labels)] + ([("reference states", reference)] if reference is not None else [])
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4.2), squeeze=False)
    for ax, (name, lab) in zip(axes[0], panels):
        sc = ax.scatter(xy[:, 0], xy[:, 1], c=np.asarray(lab), s=4, cmap="tab10", alpha=0.7)
        ax.set_xlabel("PC 1 of the embedding")
        ax.set_ylabel("PC 2")
        ax.set_title(name)
        ax.legend(*sc.legend_elements(), loc="best", fontsize=7, markerscale=0.8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return str(path)
