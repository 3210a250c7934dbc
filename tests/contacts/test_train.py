"""Training entry: a short real run on three data/dssp chains, saved and reloaded."""
from __future__ import annotations

import warnings

import pytest

ms = pytest.importorskip("mindspore")

from cgmolct.contacts.labels import contact_maps, read_structure  # noqa: E402
from cgmolct.contacts.sources import dssp_files  # noqa: E402
from cgmolct.errors import ConfigError  # noqa: E402


@pytest.fixture(scope="module")
def proteins():
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in dssp_files()[:3]:
            s = read_structure(f)
            out[f.name.split(".")[0]] = (s.graph, contact_maps(s)[0])
    return out


def test_short_training_run_saves_a_loadable_model(tmp_path, proteins):
    import cgmolct
    from cgmolct.contacts.data import ContactDataset
    from cgmolct.contacts.model import ContactModel
    from cgmolct.contacts.predict import _forward
    from cgmolct.contacts.train import contact_metrics_fn, train_contact_model

    cfg = {"n_valid": 1, "epochs": 3, "batch_size": 2, "lr": 3e-3, "lr_final": 1e-3,
           "model": {"dim": 16, "n_heads": 2, "n_interactions": 1, "r_cut": 8.0},
           "output": str(tmp_path / "model")}
    lines = []
    model, record = train_contact_model(cfg, proteins=proteins, log=lines.append)
    assert len(record["history"]) == 3 and len(lines) == 3
    losses = [h["loss"] for h in record["history"]]
    assert losses[-1] < losses[0]
    assert not set(record["train_proteins"]) & set(record["valid_proteins"])
    assert record["best_valid_ap"] == max(h["valid_ap"] for h in record["history"])
    back = cgmolct.load(tmp_path / "model")
    assert isinstance(back, ContactModel)
    assert back.saved_info["metadata"]["training"]["valid_proteins"] == record["valid_proteins"]
    name = record["valid_proteins"][0]
    ds = ContactDataset([proteins[name][0]], [proteins[name][1]], names=[name], batch_size=2,
                        cutoff=8.0)
    m = contact_metrics_fn(_forward(back), ds, 2)
    assert m["contacts"]["ap"] == pytest.approx(record["best_valid_ap"], abs=1e-5)
    assert m["contacts"]["mae"] == pytest.approx(1 - m["contacts"]["ap"])


def test_bad_config_keys(proteins):
    from cgmolct.contacts.train import train_contact_model

    with pytest.raises(ConfigError, match="unknown"):
        train_contact_model({"epochz": 3}, proteins=proteins)
    with pytest.raises(ConfigError, match="epochs"):
        train_contact_model({"epochs": 0}, proteins=proteins)
    with pytest.raises(ConfigError, match="noise"):
        train_contact_model({"noise": -1.0}, proteins=proteins)
