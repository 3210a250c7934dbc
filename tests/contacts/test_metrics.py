"""Contact metrics on hand-made cases; the two baselines on real structures."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from cgmolct.contacts.baselines import LogisticContactBaseline, ca_distance_scores, residue_index
from cgmolct.contacts.labels import contact_maps, read_structure, separation_matrix
from cgmolct.contacts.metrics import contact_metrics, mean_metrics, precision_at
from cgmolct.contacts.pairs import contact_pairs, pairs_to_map
from cgmolct.contacts.sources import dssp_files, mdanalysis_data, split_proteins
from cgmolct.errors import InputError


def _chain(n):
    idx = np.arange(n)
    return np.abs(idx[:, None] - idx[None])


def test_precision_at_hand_made():
    s = np.array([0.9, 0.8, 0.7, 0.1])
    t = np.array([1, 0, 1, 0], bool)
    assert precision_at(s, t, 1) == 1.0
    assert precision_at(s, t, 2) == 0.5
    assert precision_at(s, t, 3) == pytest.approx(2 / 3)
    assert precision_at(s, t, 0) == 1.0  # at least one pair
    assert np.isnan(precision_at(np.zeros(0), np.zeros(0, bool), 3))


def test_perfect_and_inverted_scores():
    n = 40
    sep = _chain(n)
    rng = np.random.default_rng(0)
    truth = np.triu(rng.random((n, n)) < 0.1, 1)
    truth = truth | truth.T
    perfect = contact_metrics(truth.astype(float), truth, sep)
    for cls in ("short", "medium", "long", "all"):
        assert perfect[cls]["ap"] == pytest.approx(1.0)
        assert perfect[cls]["auc"] == pytest.approx(1.0)
    inverted = contact_metrics(-truth.astype(float), truth, sep)
    assert inverted["all"]["auc"] == pytest.approx(0.0)
    # hand count: L = 40, long-range pairs i < j with |i-j| >= 24
    m = np.triu(sep >= 24, 1)
    assert perfect["long"]["n_pairs"] == int(m.sum())
    assert perfect["long"]["n_contacts"] == int(truth[m].sum())
    k = max(1, 40 // 5)
    expected = min(k, int(truth[m].sum())) / k
    assert perfect["long"]["p@L/5"] == pytest.approx(expected)


def test_ap_hand_made_value():
    # one class ("all"): 3 pairs at separation >= 6, scores 0.9 (pos), 0.5 (neg), 0.4 (pos)
    n = 10
    sep = _chain(n)
    scores = np.full((n, n), -1.0)
    truth = np.zeros((n, n), bool)
    scores[0, 7], truth[0, 7] = 0.9, True
    scores[0, 8] = 0.5
    scores[1, 9], truth[1, 9] = 0.4, True
    scores[0, 6] = scores[0, 9] = scores[1, 7] = scores[1, 8] = scores[2, 8] = scores[2, 9] = \
        scores[3, 9] = -2.0
    res = contact_metrics(scores, truth, sep, classes=("all",))["all"]
    # AP = sum_k (R_k - R_{k-1}) P_k = 0.5 * 1 + 0.5 * 2/3
    assert res["ap"] == pytest.approx(0.5 + 0.5 * 2 / 3)
    assert res["n_contacts"] == 2


def test_nan_scores_rank_lowest_and_empty_classes():
    n = 12
    sep = _chain(n)
    truth = np.zeros((n, n), bool)
    truth[0, 8] = True
    scores = np.full((n, n), np.nan)
    scores[0, 8] = 0.2
    res = contact_metrics(scores, truth, sep, classes=("short", "long"))
    assert res["short"]["ap"] == pytest.approx(1.0)
    assert np.isnan(res["long"]["ap"])  # no pair at separation >= 24
    mean = mean_metrics([res, res])
    assert mean["short"]["ap"] == pytest.approx(1.0)
    with pytest.raises(InputError):
        contact_metrics(scores[:5], truth, sep)


def test_pairs_and_maps():
    n = 8
    sep = _chain(n)
    pairs = np.array([[0, 5], [2, 7]])
    m = pairs_to_map(n, pairs, np.array([0.3, 0.6]), sep, 3)
    assert m[5, 0] == m[0, 5] == pytest.approx(0.3) and m[7, 2] == pytest.approx(0.6)
    assert np.isnan(m[0, 2]) and np.isnan(m[4, 4]) and m[0, 7] == 0.0


def test_baselines_on_real_proteins():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        files = dssp_files()[:3]
        ex = []
        for f in files:
            s = read_structure(f)
            ex.append((s.graph, contact_maps(s)[0]))
        test = read_structure(mdanalysis_data() / "cobrotoxin.pdb")
    truth = contact_maps(test)[0]
    sep = separation_matrix(test.graph)
    ca = contact_metrics(ca_distance_scores(test.graph), truth, sep)["all"]
    assert 0.5 < ca["ap"] < 1.0 and ca["auc"] > 0.9
    lr = LogisticContactBaseline().fit(ex)
    p = lr.predict_scores(test.graph)
    finite = p[np.isfinite(p)]
    assert finite.min() >= 0 and finite.max() <= 1
    np.testing.assert_array_equal(np.isnan(p), sep < 3)
    assert contact_metrics(p, truth, sep)["all"]["ap"] > 0.5
    pairs = contact_pairs(test.graph)
    assert (pairs[:, 0] < pairs[:, 1]).all() and len(pairs) > 100
    assert residue_index(np.array([120, 139, 140, 6])).tolist() == [0, 19, 20, 20]


def test_split_is_by_protein_and_seeded():
    names = [f"p{k}" for k in range(20)]
    tr, va = split_proteins(names, 5, seed=3)
    assert len(va) == 5 and not set(tr) & set(va) and sorted(tr + va) == sorted(names)
    assert split_proteins(names, 5, seed=3) == (tr, va)
    test_names = {"adk", "cobrotoxin", "villin", "4e43", "1a28", "1hvr", "1osm"}
    assert not {f.name[:4].lower() for f in dssp_files()} & test_names


def test_plot_contact_map(tmp_path):
    from cgmolct.contacts.plot import plot_contact_map

    n = 20
    sep = _chain(n)
    prob = np.where(sep < 3, np.nan, np.exp(-sep / 5.0))
    truth = (sep >= 3) & (sep < 6)
    out = plot_contact_map(tmp_path / "m.png", prob, truth, sep, "toy")
    assert open(out, "rb").read(4) == b"\x89PNG"
    assert plot_contact_map(tmp_path / "ca.png", prob).endswith("ca.png")
    with pytest.raises(InputError):
        plot_contact_map(tmp_path / "x.png", prob[:5], truth)
    with pytest.raises(InputError):
        plot_contact_map(tmp_path / "x.png", prob, truth[:5])
