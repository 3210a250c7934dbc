"""The shipped contact model: loads, never saw the test proteins, beats the CA distance."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

pytest.importorskip("mindspore")

from cgmolct.contacts.baselines import ca_distance_scores  # noqa: E402
from cgmolct.contacts.labels import contact_maps, separation_matrix  # noqa: E402
from cgmolct.contacts.metrics import contact_metrics  # noqa: E402
from cgmolct.contacts.sources import TEST_STRUCTURES, dssp_files, load_test_structure  # noqa: E402


def test_shipped_model_card_and_split():
    from cgmolct.contacts.shipped import SHIPPED_MODEL

    assert (SHIPPED_MODEL / "model.json").exists() and (SHIPPED_MODEL.parent / "MODEL_CARD.md").exists()
    assert (SHIPPED_MODEL / "weights.ckpt").stat().st_size < 1_000_000
    import json

    info = json.loads((SHIPPED_MODEL / "model.json").read_text())
    training = info["metadata"]["training"]
    dssp = {f.name.split(".")[0] for f in dssp_files()}
    assert set(training["train_proteins"]) | set(training["valid_proteins"]) <= dssp
    assert not set(training["train_proteins"]) & set(training["valid_proteins"])


def test_shipped_model_beats_ca_distance_on_a_held_out_protein():
    from cgmolct.contacts import load_shipped, predict_contacts

    assert "cobrotoxin" in TEST_STRUCTURES
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = load_test_structure("cobrotoxin")
    truth, sep = contact_maps(s)[0], separation_matrix(s.graph)
    model = load_shipped()
    p = predict_contacts(model, s.graph)
    assert np.nanmax(p) <= 1 and np.nanmin(p) >= 0
    ours = contact_metrics(p, truth, sep)["all"]["ap"]
    base = contact_metrics(ca_distance_scores(s.graph), truth, sep)["all"]["ap"]
    assert ours > base


def test_shipped_ensemble_model_split_and_prediction():
    import json

    from cgmolct.contacts import load_shipped, predict_contacts
    from cgmolct.contacts.shipped import SHIPPED_ENSEMBLE_MODEL, SHIPPED_MODEL

    info = json.loads((SHIPPED_ENSEMBLE_MODEL / "model.json").read_text())
    training = info["metadata"]["training"]
    static = json.loads((SHIPPED_MODEL / "model.json").read_text())["metadata"]["training"]
    dssp = {f.name.split(".")[0] for f in dssp_files()}
    assert training["config"]["labels"] == "ensemble" and training["config"]["init"] == "shipped"
    assert set(training["train_proteins"]) | set(training["valid_proteins"]) <= dssp
    # no protein that selected one model was trained on by the other
    assert set(training["valid_proteins"]) <= set(static["valid_proteins"])
    assert not set(training["train_proteins"]) & set(static["valid_proteins"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = load_test_structure("cobrotoxin")
    p = predict_contacts(load_shipped("ensemble"), s.graph)
    sep = separation_matrix(s.graph)
    m = np.triu(sep >= 6, 1)
    assert np.all((p[m] >= 0) & (p[m] <= 1)) and np.allclose(p[m], p.T[m])
    ap = contact_metrics(p, contact_maps(s)[0], sep, classes=("all",))["all"]["ap"]
    assert ap > 0.8  # still a contact predictor after fine-tuning on frequencies
