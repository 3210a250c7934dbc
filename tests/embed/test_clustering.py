"""Clustering helpers: methods, silhouette choice of k, scores, representatives, plot."""
from __future__ import annotations

import numpy as np
import pytest

from cgmolct.analysis.clustering import (adjusted_rand, choose_n_clusters, cluster,
                                         plot_embedding, populations, representatives,
                                         silhouette)
from cgmolct.errors import InputError


@pytest.fixture(scope="module")
def blobs():
    from sklearn.datasets import make_blobs

    return make_blobs(n_samples=300, centers=3, cluster_std=0.5, random_state=0)


@pytest.mark.parametrize("method", ["kmeans", "agglomerative", "dbscan"])
def test_methods_recover_blobs(blobs, method):
    x, y = blobs
    res = cluster(x, method, 3 if method != "dbscan" else None)
    assert res["n_clusters"] == 3
    assert adjusted_rand(y, res["labels"]) > 0.9
    assert res["silhouette"] > 0.5


def test_number_of_clusters_by_silhouette(blobs):
    x, y = blobs
    assert choose_n_clusters(x)["k"] == 3
    res = cluster(x, "kmeans")
    assert res["n_clusters"] == 3 and set(res["silhouette_by_k"]) == set(range(2, 9))


def test_populations_representatives_plot(blobs, tmp_path):
    x, y = blobs
    pops = populations(y)
    assert sum(pops.values()) == pytest.approx(1.0)
    reps = representatives(x, y)
    for c, frame in reps.items():
        assert y[frame] == c
    path = plot_embedding(x, y, tmp_path / "e.png", title="t", reference=y)
    assert (tmp_path / "e.png").stat().st_size > 1000 and path.endswith("e.png")
    assert np.isnan(silhouette(x, np.zeros(len(x), int)))


def test_bad_inputs(blobs):
    x, _ = blobs
    with pytest.raises(InputError):
        cluster(x, "spectral")
    with pytest.raises(InputError):
        cluster(x, "kmeans", 0)
    with pytest.raises(InputError):
        cluster(np.zeros(3), "kmeans")
    with pytest.raises(InputError):
        cluster(np.full((5, 2), np.nan), "kmeans", 2)
    with pytest.raises(InputError):
        adjusted_rand(np.zeros(3), np.zeros(4))
