"""Training entry (library Trainer): a short real run on three data/dssp chains, saved and reloaded."""
from __future__ import annotations

import pytest

ms = pytest.importorskip("mindspore")

from cgmolct.errors import ConfigError  # noqa: E402


def run_and_check(tmp_path, proteins, engine: str, epochs: int):
    """Train briefly with ``engine``; check the record, the saved model and its metrics."""
    import cgmolct
    from cgmolct.contacts.data import ContactDataset
    from cgmolct.contacts.model import ContactModel
    from cgmolct.contacts.predict import _forward
    from cgmolct.contacts.train import contact_metrics_fn, train_contact_model

    cfg = {"engine": engine, "n_valid": 1, "epochs": epochs, "batch_size": 2, "lr": 3e-3, "lr_final": 1e-3,
           "model": {"dim": 16, "n_heads": 2, "n_interactions": 1, "r_cut": 8.0},
           "output": str(tmp_path / "model")}
    lines = []
    model, record = train_contact_model(cfg, proteins=proteins, log=lines.append)
    assert len(record["history"]) == epochs and len(lines) >= epochs
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


def test_short_run_with_the_library_trainer(tmp_path, proteins):
    run_and_check(tmp_path, proteins, "trainer", 2)
    assert (tmp_path / "model.training" / "best.npz").exists()


def test_bad_config_keys(proteins):
    from cgmolct.contacts.train import train_contact_model

    with pytest.raises(ConfigError, match="unknown"):
        train_contact_model({"epochz": 3}, proteins=proteins)
    with pytest.raises(ConfigError, match="epochs"):
        train_contact_model({"epochs": 0}, proteins=proteins)
    with pytest.raises(ConfigError, match="noise"):
        train_contact_model({"noise": -1.0}, proteins=proteins)
    with pytest.raises(ConfigError, match="engine"):
        train_contact_model({"noise": 0.1}, proteins=proteins)
    with pytest.raises(ConfigError, match="engine"):
        train_contact_model({"engine": "sgd"}, proteins=proteins)
