"""priors.json round trip (bit-exact), refusal of broken files, and ``cgmolct priors`` exit codes."""
from __future__ import annotations

import json

import numpy as np
import pytest

ms = pytest.importorskip("mindspore")

from cgmolct.cli import main  # noqa: E402
from cgmolct.errors import CheckpointError  # noqa: E402
from cgmolct.priors import PriorFitter, load_priors, prior_forces, save_priors  # noqa: E402

from .helpers import alanine_like, graph_of  # noqa: E402


@pytest.fixture(scope="module")
def graph():
    pos, *_ = alanine_like(2000, seed=21)
    forces = np.random.default_rng(0).normal(size=pos.shape).astype(np.float32)
    return graph_of(pos, forces=forces)


@pytest.fixture(scope="module")
def priors(graph):
    return PriorFitter(temperature=300.0).fit(graph).fetch_model()


def test_roundtrip_is_exact(priors, graph, tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.json").write_text("{}")  # a saved model beside: left alone
    path = save_priors(priors, folder)
    assert path.endswith("priors.json") and (folder / "model.json").read_text() == "{}"
    back = load_priors(folder)
    assert back.term_names == priors.term_names
    assert back.n_beads == priors.n_beads and back.temperature == priors.temperature
    assert back.bead_labels == priors.bead_labels and back.metadata == priors.metadata
    for a, b in zip(priors.terms, back.terms):
        assert type(a) is type(b) and np.array_equal(a.indices, b.indices)
        for key in a.params:
            assert a.params[key].dtype == b.params[key].dtype == np.float32
            assert np.array_equal(a.params[key], b.params[key])
    assert back.term("repulsion").exponent == priors.term("repulsion").exponent
    e1, f1 = prior_forces(priors, graph.positions[:8])
    e2, f2 = prior_forces(back, graph.positions[:8])
    assert np.array_equal(e1, e2) and np.array_equal(f1, f2)
    record = json.loads((folder / "priors.json").read_text())
    assert record["format"] == "cgmolct-priors" and record["format_version"] == 1
    assert load_priors(folder / "priors.json").term_names == priors.term_names


def test_missing_and_broken_files(priors, tmp_path):
    assert load_priors(tmp_path) is None
    with pytest.raises(CheckpointError, match="no such folder"):
        load_priors(tmp_path / "nope")
    save_priors(priors, tmp_path)
    text = (tmp_path / "priors.json").read_text()
    (tmp_path / "priors.json").write_text(text[: len(text) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_priors(tmp_path)
    record = json.loads(text)
    record["format_version"] = 99
    (tmp_path / "priors.json").write_text(json.dumps(record))
    with pytest.raises(CheckpointError, match="version 99"):
        load_priors(tmp_path)
    record["format_version"] = 1
    record["terms"][0]["kind"] = "Torsion"
    (tmp_path / "priors.json").write_text(json.dumps(record))
    with pytest.raises(CheckpointError, match="unknown kind"):
        load_priors(tmp_path)
    (tmp_path / "priors.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(CheckpointError, match="not a cgmolct priors file"):
        load_priors(tmp_path)


def test_cli_fit_show_subtract(graph, tmp_path, capsys):
    gpath = graph.save(tmp_path / "g.npz")
    out = tmp_path / "priors"
    assert main(["priors", "fit", gpath, "--temperature", "300", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "HarmonicBonds" in text and "ALA2:N-ALA2:CA" in text and "k_sin" in text
    assert main(["priors", "fit", gpath, "-o", str(tmp_path / "p2"), "--terms", "bonds,angles", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["terms"]
    assert {r["term"] for r in rows} == {"bonds", "angles"}
    assert main(["priors", "fit", gpath, gpath, "-o", str(tmp_path / "p3"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["terms"][0]["term"] == "bonds"
    assert main(["priors", "show", str(out)]) == 0
    assert "FourierDihedrals" in capsys.readouterr().out
    assert main(["priors", "subtract", gpath, str(out), "-o", str(tmp_path / "delta.npz")]) == 0
    from topologies import CGGraph

    delta = CGGraph.load(tmp_path / "delta.npz")
    assert "delta_forces" in delta.provenance


@pytest.mark.parametrize("argv, message", [
    (["priors", "fit", "{tmp}/missing.npz", "-o", "{tmp}/o"], "no such file"),
    (["priors", "fit", "{graph}", "-o", "{tmp}/o", "--terms", "bonds,torsions"], "unknown prior terms"),
    (["priors", "fit", "{graph}", "-o", "{tmp}/o", "--temperature", "-3"], "temperature"),
    (["priors", "fit", "{tmp}/notagraph.txt", "-o", "{tmp}/o"], "not a saved CG graph"),
    (["priors", "show", "{tmp}"], "no priors.json"),
    (["priors", "subtract", "{noforces}", "{tmp}/p", "-o", "{tmp}/d.npz"], "no forces"),
    (["priors"], "sub-command"),
])
def test_cli_bad_input_exits_2(graph, priors, tmp_path, capsys, argv, message):
    gpath = graph.save(tmp_path / "g.npz")
    nf = graph_of(graph.positions[:50]).save(tmp_path / "nf.npz")
    (tmp_path / "notagraph.txt").write_text("x")
    save_priors(priors, tmp_path / "p")
    argv = [a.format(tmp=tmp_path, graph=gpath, noforces=nf) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("cgmolct: error:") and message in err and err.count("\n") == 1


def test_saved_model_carries_its_priors(priors, graph, tmp_path):
    """``cgmolct.save(model, folder, priors=...)`` keeps priors.json inside the model folder,
    also when a later save replaces the folder whole."""
    import cgmolct
    from cgmolct.models import SchNet
    from cgmolct.readouts import EnergyForceModel

    rep = SchNet(dim=8, dim_filter=8, n_interactions=1, n_basis=8)
    model = EnergyForceModel(rep)
    folder = cgmolct.save(model, tmp_path / "ff", priors=priors)
    cgmolct.save(model, folder, priors=priors)  # replace: priors survive
    back = load_priors(folder)
    assert back.term_names == priors.term_names
    e_ref, _ = prior_forces(priors, graph.positions[:3])
    e_back, _ = prior_forces(back, graph.positions[:3])
    np.testing.assert_array_equal(e_back, e_ref)
    assert cgmolct.load(folder) is not None
