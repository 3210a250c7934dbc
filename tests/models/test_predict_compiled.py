"""cgmolct.predict: compiled once per shape and reused across calls; no padding beyond the
frames asked for; clear errors for empty selections, empty graphs and coincident beads."""
from __future__ import annotations

import numpy as np
import pytest

ms = pytest.importorskip("mindspore")

import cgmolct  # noqa: E402
import topologies  # noqa: E402
from cgmolct.errors import InputError  # noqa: E402

from .test_molct import make_energy_model  # noqa: E402
from ..train.test_trainer import CompileCounter  # noqa: E402


def _graph(n_frames=3, seed=0):
    rng = np.random.default_rng(seed)
    xyz = rng.normal(size=(n_frames, 9, 3)).astype(np.float32) * 1.5
    return topologies.from_arrays(["C", "C", "O", "H", "H", "H", "H", "H", "H"], xyz)


def test_second_predict_call_compiles_nothing(monkeypatch):
    model = make_energy_model()
    first = cgmolct.predict(model, _graph(3), batch_size=4)
    assert first["energy"].shape == (3,) and first["forces"].shape == (3, 9, 3)
    counter = CompileCounter(monkeypatch)
    again = cgmolct.predict(model, _graph(3, seed=1), batch_size=4)
    assert counter.calls == []
    assert not np.allclose(again["energy"], first["energy"])


def test_compiled_predict_matches_the_eager_model():
    from cgmolct.data import graph_batches, keys
    from cgmolct.models.base import as_model_inputs

    model = make_energy_model()
    graph = _graph(2)
    pred = cgmolct.predict(model, graph)
    batch = next(iter(graph_batches(graph, batch_size=2, cutoff=model.representation.r_cut)))
    e, f = model(*as_model_inputs([batch[k] for k in keys.MODEL_INPUTS]))
    np.testing.assert_allclose(pred["energy"], e.asnumpy()[:2], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(pred["forces"], f.asnumpy()[:2, :9], rtol=1e-4, atol=1e-4)


def test_empty_selections_and_coincident_beads_are_named():
    model = make_energy_model()
    with pytest.raises(InputError, match="no frames selected"):
        cgmolct.predict(model, _graph(2), frames=[])
    graph = _graph(2)
    graph.positions[1, 4] = graph.positions[1, 3]
    with pytest.raises(InputError, match=r"frame 1 .*beads 3 and 4 coincide"):
        cgmolct.predict(model, graph)


def test_types_outside_the_training_data_warn_or_refuse(tmp_path):
    model = make_energy_model()
    saved = cgmolct.save(model, tmp_path / "m", metadata={"trained_types": [1, 6, 8],
                                                           "trained_relation_codes": []})
    loaded = cgmolct.load(saved)
    assert cgmolct.predict(loaded, _graph(1))["energy"].shape == (1,)  # H, C, O: known
    other = topologies.from_arrays(["C", "N", "S"], np.eye(3, dtype=np.float32)[None] * 1.4)
    with pytest.warns(UserWarning, match=r"bead types .*N \(7\).*S \(16\).* not in its training data"):
        cgmolct.predict(loaded, other)
    with pytest.raises(InputError, match="strict=True"):
        cgmolct.predict(loaded, other, strict=True)


@pytest.mark.parametrize("bad", ["garbage", {"readout": {"scale": "x", "shift": 0}},
                                 {"readout": {"scale": 1.0, "shift": float("nan")}}])
def test_model_json_with_bad_normalisation_is_refused(tmp_path, bad):
    import json

    from cgmolct.errors import CheckpointError

    path = cgmolct.save(make_energy_model(), tmp_path / "m")
    info_file = tmp_path / "m" / "model.json"
    info = json.loads(info_file.read_text())
    info["normalisation"] = bad
    info_file.write_text(json.dumps(info))
    with pytest.raises(CheckpointError, match="normalisation"):
        cgmolct.load(path)


def test_embedding_is_the_graph_readout_of_the_node_features():
    from cgmolct.readouts import GraphReadout

    model = make_energy_model()
    out = cgmolct.predict(model.representation, _graph(3), outputs=("node_features", "embedding"))
    mask = ms.Tensor(np.ones((3, 9), bool))
    pooled = GraphReadout(model.representation.dim)(ms.Tensor(out["node_features"]), mask)
    np.testing.assert_allclose(out["embedding"], pooled.asnumpy(), rtol=1e-5, atol=1e-6)
    # invariant to rotations and translations of the frame
    graph = _graph(3)
    turned = graph.select_frames(slice(None))
    rot = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], np.float32)
    turned.positions = (graph.positions @ rot.T + 3.0).astype(np.float32)
    again = cgmolct.predict(model.representation, turned, outputs=("embedding",))
    np.testing.assert_allclose(again["embedding"], out["embedding"], rtol=1e-4, atol=1e-4)


def test_predict_contacts_of_the_shipped_contact_model():
    """Issue 10: ``cgmolct.predict(model, graph, outputs=("contacts",))`` gives the (n, n) map."""
    from MDAnalysisTests.datafiles import PSF, DCD

    from cgmolct.contacts import load_shipped, predict_contacts

    graph = topologies.build_graph(PSF, DCD, mapping="ca", frames=slice(0, 1))
    model = load_shipped()
    out = cgmolct.predict(model, graph, outputs=("contacts",))
    assert out["contacts"].shape == (graph.n_beads, graph.n_beads)
    np.testing.assert_allclose(out["contacts"], predict_contacts(model, graph), equal_nan=True)
    with pytest.raises(InputError, match="only 'contacts'"):
        cgmolct.predict(model, graph, outputs=("energy",))


def test_predict_of_an_embedding_model_uses_its_graph_readout():
    """Issue 11: a trained embedding model's vectors (and VAMP states) through cgmolct.predict."""
    from cgmolct.embed.infer import embed_frames
    from cgmolct.embed.model import EmbeddingModel
    from cgmolct.models import MolCT

    ms.set_seed(3)
    model = EmbeddingModel(MolCT(dim=16, n_heads=2, n_interactions=1), n_states=3)
    graph = _graph(4)
    out = cgmolct.predict(model, graph, outputs=("embedding", "states"))
    ref = embed_frames(model, graph)
    np.testing.assert_allclose(out["embedding"], ref["embedding"], rtol=1e-5, atol=1e-6)
    assert out["states"].shape == (4, 3)
    np.testing.assert_allclose(out["states"].sum(1), 1.0, atol=1e-5)
    with pytest.raises(InputError, match="embedding model gives"):
        cgmolct.predict(model, graph, outputs=("energy",))
