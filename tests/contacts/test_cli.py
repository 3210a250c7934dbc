"""``cgmolct contacts labels|predict|train`` on real files: outputs and exit codes."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from cgmolct.cli import main
from cgmolct.contacts.sources import mdanalysis_data

DATA = mdanalysis_data()
COBRO = str(DATA / "cobrotoxin.pdb")


def _load(path):
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def test_labels_writes_maps_and_q(tmp_path, capsys):
    out = tmp_path / "labels.npz"
    assert main(["contacts", "labels", str(DATA / "adk.psf"), str(DATA / "adk_dims.dcd"),
                 "--frames", "0:4", "--definition", "closest-heavy", "--q", "-o", str(out)]) == 0
    z = _load(out)
    head = json.loads(str(z["__json__"]))
    assert head["format"] == "cgmolct-contact-labels" and head["format_version"] == 1
    from cgmolct.commands.contacts import read_contacts

    meta, arrays = read_contacts(out)
    assert meta == head and set(arrays) == set(z) - {"__json__"}
    assert z["contacts"].shape == (4, 214, 214) and z["frequency"].shape == (214, 214)
    assert z["q"][0] == pytest.approx(1.0, abs=1e-4) and (z["q"] <= 1).all()
    np.testing.assert_allclose(z["frequency"], z["contacts"].mean(0), atol=1e-6)
    assert "214 residues" in capsys.readouterr().out


@pytest.mark.parametrize("argv, text", [
    (["contacts", "labels", "missing.pdb", "-o", "x.npz"], "no such file"),
    (["contacts", "labels", COBRO, "-o", "x.txt"], ".npz"),
    (["contacts", "labels", COBRO, "--select", "resname XYZ", "-o", "x.npz"], ""),
    (["contacts", "predict", "no_model_here", COBRO, "-o", "m.npz"], "no saved model"),
    (["contacts", "train", "missing.yaml"], ""),
])
def test_bad_inputs_exit_2_one_line(tmp_path, monkeypatch, capsys, argv, text):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cgmolct: error:") and len(err.splitlines()) == 1 and text in err


def test_malformed_structure_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.pdb"
    bad.write_text("ATOM      1  CA  ALA A   1      xx.xxx   0.000   0.000  1.00  0.00           C\n")
    assert main(["contacts", "labels", str(bad), "-o", str(tmp_path / "l.npz")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    ms = pytest.importorskip("mindspore")
    import cgmolct
    from cgmolct.contacts.model import build_contact_model

    ms.set_seed(0)
    return cgmolct.save(build_contact_model(dim=16, n_heads=2, n_interactions=1),
                        tmp_path_factory.mktemp("m") / "model")


def test_predict_all_atom_and_ca_only(tmp_path, capsys, saved_model):
    out, png = tmp_path / "map.npz", tmp_path / "map.png"
    assert main(["contacts", "predict", saved_model, COBRO, "-o", str(out), "--png", str(png),
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["has_truth"] and 0 <= summary["metrics"]["all"]["ap"] <= 1
    z = _load(out)
    p = z["probability"]
    assert p.shape == (62, 62) and z["truth"].shape == (62, 62)
    assert png.read_bytes()[:4] == b"\x89PNG"
    # a CA-only input (saved CA graph) predicts the same map, without truth
    from topologies import build_graph

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = build_graph(COBRO, mapping="ca", selection="protein")
    graph.save(tmp_path / "ca.npz")
    out2 = tmp_path / "map2.npz"
    assert main(["contacts", "predict", saved_model, str(tmp_path / "ca.npz"), "-o", str(out2),
                 "--png", str(tmp_path / "ca.png")]) == 0
    z2 = _load(out2)
    assert "truth" not in z2
    np.testing.assert_allclose(z2["probability"], p, atol=1e-6, equal_nan=True)
    assert "pairs with p > 0.5" in capsys.readouterr().out


def test_predict_rejects_non_contact_model(tmp_path, capsys):
    pytest.importorskip("mindspore")
    import cgmolct
    from cgmolct.models.molct import MolCT

    folder = cgmolct.save(MolCT(dim=16, n_heads=2, n_interactions=1), tmp_path / "rep")
    assert main(["contacts", "predict", folder, COBRO, "-o", str(tmp_path / "m.npz")]) == 2
    assert "not a contact model" in capsys.readouterr().err
