"""Chunked energy + forces (bounded memory for large systems) equal the whole-graph model."""
from __future__ import annotations

import numpy as np
import pytest

ms = pytest.importorskip("mindspore")

from cgmolct.errors import ModelError  # noqa: E402
from cgmolct.models import MolCT, as_model_inputs  # noqa: E402
from cgmolct.readouts import ChunkedEnergyForces, EnergyForceModel, NodeReadout  # noqa: E402

from .conftest import small  # noqa: E402
from .helpers import ethanol_like, inputs, make_batch  # noqa: E402


def _batch():
    # two molecules of different sizes: padded beads, neighbour padding, RME relations
    return make_batch([ethanol_like(3, n=11), ethanol_like(4, n=6)])


@pytest.mark.parametrize("name,chunk", [("molct", 4), ("molct", 64), ("niu", 5)])
def test_chunked_equals_whole_graph(name, chunk):
    rep = small(name)
    ms.set_seed(7)
    model = EnergyForceModel(rep, NodeReadout(rep.dim, scale=3.0, shift=0.5))
    names = [p.name for p in model.get_parameters()]
    batch = _batch()
    energy, forces = (t.asnumpy() for t in model(*as_model_inputs(batch)))
    e, f = ChunkedEnergyForces(model, chunk_size=chunk)(*inputs(batch))
    assert e.shape == energy.shape and f.shape == forces.shape
    assert np.abs(forces).max() > 1e-3  # a real comparison, not zeros against zeros
    np.testing.assert_allclose(e, energy, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(f, forces, rtol=1e-4, atol=1e-6)
    assert np.all(f[1, 6:] == 0.0)  # padded beads of the smaller molecule
    # wrapping shares the cells without renaming their parameters (saved models unchanged)
    assert [p.name for p in model.get_parameters()] == names


def test_chunked_refuses_what_it_cannot_do():
    with pytest.raises(ModelError, match="EnergyForceModel"):
        ChunkedEnergyForces(small("molct"))
    with pytest.raises(ModelError, match="MolCT"):
        ChunkedEnergyForces(EnergyForceModel(small("schnet")))
    act = MolCT(dim=16, n_heads=2, n_interactions=1, max_cycles=2, r_cut=6.0)
    with pytest.raises(ModelError, match="fixed_cycles"):
        ChunkedEnergyForces(EnergyForceModel(act))
    model = EnergyForceModel(small("molct"))
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ModelError, match="chunk_size"):
            ChunkedEnergyForces(model, chunk_size=bad)
    x = inputs(_batch())
    x[1] = x[1][:, :, :2]
    with pytest.raises(ModelError, match=r"positions has shape \(2, 11, 2\)"):
        ChunkedEnergyForces(model)(*x)


def _graph():
    import topologies

    rng = np.random.default_rng(3)
    xyz = rng.normal(size=(3, 12, 3)).astype(np.float32) * 2.5
    return topologies.from_arrays(["C", "C", "O"] + ["H"] * 9, xyz, bonds=None)


def test_predict_chunks_on_request_and_automatically(monkeypatch):
    import cgmolct.predict as predict_module
    from cgmolct.errors import InputError

    ms.set_seed(11)
    model = EnergyForceModel(small("molct"), NodeReadout(16, scale=2.0))
    graph = _graph()
    whole = predict_module.predict(model, graph, chunk_size=0, batch_size=2)
    chunked = predict_module.predict(model, graph, chunk_size=3, batch_size=2)
    assert np.abs(whole["forces"]).max() > 1e-3
    np.testing.assert_allclose(chunked["energy"], whole["energy"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(chunked["forces"], whole["forces"], rtol=1e-4, atol=1e-6)
    # above the slot threshold the chunked path is taken by itself (and gives the same numbers)
    monkeypatch.setattr(predict_module, "AUTO_CHUNK_SLOTS", 1)
    calls = []
    real_call = ChunkedEnergyForces.__call__
    monkeypatch.setattr(ChunkedEnergyForces, "__call__",
                        lambda self, *a: calls.append(1) or real_call(self, *a))
    auto = predict_module.predict(model, graph, batch_size=2)
    assert calls
    np.testing.assert_allclose(auto["forces"], whole["forces"], rtol=1e-4, atol=1e-6)
    # a model that cannot chunk falls back silently when automatic, refuses when asked
    schnet = EnergyForceModel(small("schnet"))
    assert predict_module.predict(schnet, graph, batch_size=2)["forces"].shape == (3, 12, 3)
    with pytest.raises(ModelError, match="MolCT"):
        predict_module.predict(schnet, graph, chunk_size=4)
    with pytest.raises(InputError, match="chunk_size"):
        predict_module.predict(model, graph, chunk_size=-1)
