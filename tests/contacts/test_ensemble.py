"""Ensemble mode: contact frequencies over a (short) real OpenMM trajectory, and training on them."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

pytest.importorskip("openmm")

from cgmolct.contacts.sources import dssp_files  # noqa: E402
from cgmolct.errors import ConfigError, InputError  # noqa: E402

TINY = {"n_steps": 100, "save_every": 25, "chunk_frames": 2, "equilibration_steps": 0}


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory):
    from cgmolct.contacts.ensemble import simulate_ensemble

    folder = tmp_path_factory.mktemp("ens") / "2cviA"
    f = next(f for f in dssp_files() if f.name.startswith("2cviA"))
    header = simulate_ensemble(f, folder, settings=TINY)
    return folder, header


def test_frequencies_come_from_the_trajectory(ensemble):
    from cgmolct.commands.contacts import read_contacts
    from cgmolct.contacts.ensemble import load_ensemble
    from cgmolct.contacts.labels import contact_frequency, contact_maps, read_structure

    folder, header = ensemble
    assert header["n_frames"] == 4 and header["n_residues"] == 83
    assert header["ensemble"]["settings"]["hydrogen_mass"] == 4.0
    _, arrays = read_contacts(folder / "labels.npz")
    # recompute from the DCD written through MDAnalysis: the same frequencies
    s = read_structure(folder / "run" / "system.pdb", folder / "trajectory.dcd")
    np.testing.assert_array_equal(contact_frequency(contact_maps(s)), arrays["frequency"])
    assert set(np.unique(arrays["frequency"])) <= {0.0, 0.25, 0.5, 0.75, 1.0}
    graph, freq, static = load_ensemble(folder)
    start = read_structure(folder / "input.pdb")
    np.testing.assert_array_equal(static, contact_maps(start)[0])
    np.testing.assert_allclose(graph.positions[0], start.graph.positions[0])
    assert freq.shape == (83, 83) and np.allclose(freq, freq.T)


def test_a_finished_folder_is_kept(ensemble):
    from cgmolct.contacts.ensemble import simulate_ensemble

    folder, header = ensemble
    stamp = (folder / "labels.npz").stat().st_mtime_ns
    assert simulate_ensemble("ignored.pdb", folder) == header
    assert (folder / "labels.npz").stat().st_mtime_ns == stamp


def test_not_an_ensemble(tmp_path):
    from cgmolct.contacts.ensemble import load_ensemble, simulate_ensemble

    with pytest.raises(InputError, match="not a finished contact ensemble"):
        load_ensemble(tmp_path)
    with pytest.raises(InputError, match="unknown ensemble settings"):
        simulate_ensemble(dssp_files()[0], tmp_path / "x", settings={"tempreature": 300})


def test_training_on_frequencies_selects_by_their_error(tmp_path, ensemble, proteins):
    pytest.importorskip("mindspore")
    import cgmolct
    from cgmolct.contacts.ensemble import load_ensemble
    from cgmolct.contacts.train import load_ensemble_proteins, train_contact_model

    folder, _ = ensemble
    graph, freq, _ = load_ensemble(folder)
    assert set(load_ensemble_proteins(folder.parent)) == {"2cviA"}
    data = dict(proteins, **{"2cviA": (graph, freq)})
    cfg = {"engine": "step", "labels": "ensemble", "init": "shipped", "valid_proteins": ["2cviA"],
           "epochs": 2, "batch_size": 2, "lr": 1e-3, "lr_final": 1e-4, "output": str(tmp_path / "m")}
    model, record = train_contact_model(cfg, proteins=data, log=lambda s: None)
    assert record["valid_proteins"] == ["2cviA"] and "2cviA" not in record["train_proteins"]
    assert record["best_valid_mae"] == min(h["valid_mae"] for h in record["history"])
    assert 0.0 < record["best_valid_mae"] < 0.5
    back = cgmolct.load(tmp_path / "m")
    assert back.saved_info["metadata"]["training"]["config"]["labels"] == "ensemble"
    with pytest.raises(ConfigError, match="valid_proteins"):
        train_contact_model(dict(cfg, valid_proteins=["nope"]), proteins=data)
    with pytest.raises(ConfigError, match="ensembles"):
        train_contact_model({"labels": "ensemble"})
    with pytest.raises(ConfigError, match="labels"):
        train_contact_model({"labels": "frequencies"}, proteins=data)


def test_cli_ensemble_and_shipped_ensemble_names(tmp_path, ensemble):
    from cgmolct.cli import main
    from cgmolct.contacts.shipped import SHIPPED_MODELS

    folder, _ = ensemble
    assert main(["contacts", "ensemble", "unused.pdb", "-o", str(folder)]) == 0  # finished: kept
    assert set(SHIPPED_MODELS) == {"shipped", "shipped-ensemble"}
    assert main(["contacts", "ensemble", "nothing.pdb", "-o", str(tmp_path / "e"), "--ps", "-1"]) != 0
