"""MolCT-specific behaviour (ACT, RME), the edge readout, save/load and predict."""
from __future__ import annotations

import json

import numpy as np
import pytest

ms = pytest.importorskip("mindspore")
from mindspore import Tensor  # noqa: E402

import cgmolct  # noqa: E402
from cgmolct.data import keys  # noqa: E402
from cgmolct.errors import CheckpointError, InputError, ModelError  # noqa: E402
from cgmolct.readouts import EdgeReadout, EnergyForceModel, NodeReadout  # noqa: E402
from topologies.relations import BOND_CODE_OFFSET, BOND_TYPES, SEQUENCE_CODE_ZERO  # noqa: E402

from .conftest import small  # noqa: E402
from .helpers import ethanol_like, inputs, make_batch, molecule_arrays  # noqa: E402


def details(model, batch):
    model.set_output_details(True)
    try:
        h, att, steps, rem = model(*inputs(batch))
    finally:
        model.set_output_details(False)
    return h.asnumpy(), att.asnumpy(), steps.asnumpy(), rem.asnumpy()


def set_ponder_bias(model, value):
    for block in model.blocks:
        block.ponder.out.bias.set_data(Tensor(np.full((1,), value, np.float32)))


def test_act_halting_at_first_cycle_uses_one_cycle():
    model = small("molct", n_interactions=2, max_cycles=3, max_inference_cycles=5)
    set_ponder_bias(model, 12.0)       # p ≈ 1 > 0.9 at cycle 1
    batch = make_batch([ethanol_like(0), ethanol_like(1, n=5)])
    model.set_train(True)
    h_train, _, steps, rem = details(model, batch)
    mask = batch[keys.ATOM_MASK]
    np.testing.assert_array_equal(steps[mask], 2.0)      # one cycle in each of 2 blocks
    np.testing.assert_array_equal(steps[~mask], 0.0)
    np.testing.assert_allclose(rem[mask], 2.0, atol=1e-5)
    model.set_train(False)
    h_eval, _, steps_eval, _ = details(model, batch)
    np.testing.assert_array_equal(steps_eval[mask], 2.0)  # a larger cap changes nothing
    np.testing.assert_allclose(h_eval, h_train, atol=1e-5)


def test_act_inference_cap_exceeds_training_cap():
    model = small("molct", n_interactions=1, max_cycles=2, max_inference_cycles=4)
    set_ponder_bias(model, -12.0)      # p ≈ 0: nodes run to the cap
    batch = make_batch([ethanol_like(2)])
    model.set_train(True)
    h2, _, s2, _ = details(model, batch)
    model.set_train(False)
    h4, _, s4, _ = details(model, batch)
    np.testing.assert_array_equal(s2, 2.0)
    np.testing.assert_array_equal(s4, 4.0)
    assert np.abs(h4 - h2).max() > 1e-3


def test_act_mixed_halting_bookkeeping():
    model = small("molct", n_interactions=1, max_cycles=6)
    model.blocks[0].ponder.out.bias.set_data(Tensor(np.zeros(1, np.float32)))
    batch = make_batch([ethanol_like(3)])
    _, att, steps, rem = details(model, batch)
    assert steps.min() >= 1 and steps.max() <= 6
    assert np.all((rem >= 0) & (rem <= 1 + 1e-6))
    np.testing.assert_allclose(att.sum(-1), 1.0, atol=1e-4)


def test_fixed_cycles_run_every_cycle():
    model = small("niu", max_cycles=3)
    batch = make_batch([ethanol_like(0), ethanol_like(1, n=4)])
    _, _, steps, _ = details(model, batch)
    np.testing.assert_array_equal(steps[batch[keys.ATOM_MASK]], 3.0)
    np.testing.assert_array_equal(steps[~batch[keys.ATOM_MASK]], 0.0)
    with pytest.raises(ModelError):
        small("niu", max_cycles=3, max_inference_cycles=5)


@pytest.mark.parametrize("use_rme", [True, False])
def test_rme_sees_bonds(use_rme):
    model = small("molct", use_rme=use_rme)
    mol = ethanol_like(4)
    chain = molecule_arrays(mol["types"], mol["positions"], [(i, i + 1) for i in range(8)])
    star = molecule_arrays(mol["types"], mol["positions"], [(0, i) for i in range(1, 5)] + [(5, 6)])
    h_chain = model(*inputs(make_batch([chain]))).asnumpy()
    h_star = model(*inputs(make_batch([star]))).asnumpy()
    if use_rme:
        assert np.abs(h_chain - h_star).max() > 1e-3
    else:
        np.testing.assert_allclose(h_chain, h_star, atol=1e-6)


def test_edge_readout_symmetric_and_sensitive():
    ms.set_seed(0)
    edge = EdgeReadout(16, n_outputs=2)
    rng = np.random.default_rng(0)
    feats = Tensor(rng.normal(size=(1, 6, 16)).astype(np.float32))
    pos = Tensor((rng.normal(size=(1, 6, 3)) * 8).astype(np.float32))
    pairs = np.array([[[0, 3], [3, 0], [1, 5], [5, 1], [2, 4]]], np.int32)
    codes = np.array([[SEQUENCE_CODE_ZERO + 3, SEQUENCE_CODE_ZERO - 3,
                       BOND_CODE_OFFSET + BOND_TYPES["single"]] * 1 + [
                       BOND_CODE_OFFSET + BOND_TYPES["single"], 75]], np.int32)
    mask = np.array([[True, True, True, True, False]])
    out = edge(feats, pos, Tensor(pairs), Tensor(codes), Tensor(mask)).asnumpy()
    assert out.shape == (1, 5, 2)
    np.testing.assert_allclose(out[0, 0], out[0, 1], atol=1e-5)
    np.testing.assert_allclose(out[0, 2], out[0, 3], atol=1e-5)
    assert np.abs(out[0, 0] - out[0, 2]).max() > 1e-4
    assert np.all(out[0, 4] == 0)


def make_energy_model():
    rep = small("molct", n_interactions=1, max_cycles=3, fixed_cycles=True)
    ms.set_seed(5)
    readout = NodeReadout(rep.dim, scale=3.0, shift=-1.0, type_reference={6: -20.0, 1: -0.5})
    return EnergyForceModel(rep, readout)


def test_save_load_identical(tmp_path):
    model = make_energy_model()
    batch = make_batch([ethanol_like(0), ethanol_like(1, n=7)])
    e0, f0 = (x.asnumpy() for x in model(*inputs(batch)))
    path = cgmolct.save(model, tmp_path / "m", metadata={"mapping": "all-atom"})
    info = json.loads((tmp_path / "m" / "model.json").read_text())
    assert info["format_version"] == 1 and info["units"]["energy"] == "kcal/mol"
    assert info["normalisation"]["potential.readout"]["type_reference"]["6"] == [-20.0]
    loaded = cgmolct.load(path)
    assert type(loaded) is EnergyForceModel
    assert loaded.saved_info["metadata"] == {"mapping": "all-atom"}
    e1, f1 = (x.asnumpy() for x in loaded(*inputs(batch)))
    np.testing.assert_array_equal(e1, e0)
    np.testing.assert_array_equal(f1, f0)
    # saving again over the folder replaces it atomically
    cgmolct.save(loaded, path)
    assert cgmolct.load(path).representation.get_config() == model.representation.get_config()


@pytest.mark.parametrize("name", ["molct", "schnet", "physnet"])
def test_save_load_representations(tmp_path, name):
    model = small(name)
    batch = make_batch([ethanol_like(3)])
    h0 = model(*inputs(batch)).asnumpy()
    loaded = cgmolct.load(cgmolct.save(model, tmp_path / name))
    np.testing.assert_array_equal(loaded(*inputs(batch)).asnumpy(), h0)


def test_load_refuses_bad_files(tmp_path):
    model = small("schnet")
    path = tmp_path / "m"
    cgmolct.save(model, path)
    weights = path / "weights.ckpt"
    good = weights.read_bytes()
    weights.write_bytes(good[: len(good) // 2])
    with pytest.raises(CheckpointError, match="truncated"):
        cgmolct.load(path)
    weights.write_bytes(good[:-8] + b"\x00" * 8)
    with pytest.raises(CheckpointError, match="checksum"):
        cgmolct.load(path)
    weights.write_bytes(good)
    text = (path / "model.json").read_text()
    (path / "model.json").write_text(text[:40])
    with pytest.raises(CheckpointError, match="corrupt"):
        cgmolct.load(path)
    info = json.loads(text)
    info["format_version"] = 99
    (path / "model.json").write_text(json.dumps(info))
    with pytest.raises(CheckpointError, match="version"):
        cgmolct.load(path)
    info["format_version"] = 1
    info["model"]["class"] = "os.system"
    (path / "model.json").write_text(json.dumps(info))
    with pytest.raises(CheckpointError, match="unknown model class"):
        cgmolct.load(path)
    with pytest.raises(CheckpointError):
        cgmolct.load(tmp_path / "missing")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(CheckpointError, match="refusing"):
        cgmolct.save(model, tmp_path / "file.txt")


def test_model_input_errors_name_the_array():
    model = small("schnet")
    args = inputs(make_batch([ethanol_like(0)]))
    bad = list(args)
    bad[1] = bad[1][..., :2]
    with pytest.raises(ModelError, match=r"positions has shape \(1, 9, 2\)"):
        model(*bad)
    bad = list(args)
    bad[3] = bad[3].astype(np.float32)
    with pytest.raises(ModelError, match="neighbours has dtype"):
        model(*bad)


def test_predict_on_graph_matches_direct_call():
    from topologies import from_arrays

    rng = np.random.default_rng(0)
    base = ethanol_like(0)["positions"]
    frames = base[None] + rng.normal(scale=0.05, size=(5, 9, 3))
    graph = from_arrays([6, 6, 8, 1, 1, 1, 1, 1, 1], frames.astype(np.float32))
    model = make_energy_model()
    out = cgmolct.predict(model, graph, outputs=("energy", "forces", "embedding", "attention",
                                                 "ponder_steps", "node_features"), batch_size=2)
    assert out["energy"].shape == (5,) and out["forces"].shape == (5, 9, 3)
    assert out["attention"].shape == (5, 9, 9) and out["ponder_steps"].shape == (5, 9)
    np.testing.assert_allclose(out["attention"].sum(-1), 1.0, atol=1e-4)
    # frame 3 alone through the model with hand-made dense inputs (bonds as guessed)
    mol = molecule_arrays(graph.types, frames[3], [tuple(b) for b in graph.bonds])
    e, f = model(*inputs(make_batch([mol], r_cap=4, bond_code=BOND_CODE_OFFSET + BOND_TYPES["unknown"])))
    np.testing.assert_allclose(out["forces"][3], f.asnumpy()[0], rtol=1e-3, atol=1e-4)
    with pytest.raises(InputError, match="unknown outputs"):
        cgmolct.predict(model, graph, outputs=("energies",))
    with pytest.raises(InputError, match="energy readout"):
        cgmolct.predict(model.representation, graph, outputs=("energy",))


def test_save_load_after_training_wrapper(tmp_path):
    """Wrapping a model in the training step renames its parameters; saving must not care."""
    from cgmolct.models import as_model_inputs
    from cgmolct.readouts import ForceMatchingStep

    model = make_energy_model()
    step = ForceMatchingStep(model, ms.nn.Adam(model.trainable_params(), learning_rate=1e-2))
    batch = make_batch([ethanol_like(0)])
    step(*as_model_inputs(batch), Tensor(np.zeros(1, np.float32)),
         Tensor(np.ones((1, 9, 3), np.float32)))
    e0 = model(*inputs(batch))[0].asnumpy()
    loaded = cgmolct.load(cgmolct.save(model, tmp_path / "trained"))
    np.testing.assert_array_equal(loaded(*inputs(batch))[0].asnumpy(), e0)


def test_readout_shape_errors():
    from cgmolct.readouts import GraphReadout

    feats = Tensor(np.zeros((2, 5, 16), np.float32))
    with pytest.raises(ModelError, match=r"GraphReadout: atom_mask has shape \(2, 4\)"):
        GraphReadout(16)(feats, Tensor(np.ones((2, 4), bool)))
    with pytest.raises(ModelError, match="features has shape"):
        NodeReadout(8)(feats, Tensor(np.zeros((2, 5), np.int32)), Tensor(np.ones((2, 5), bool)))
    with pytest.raises(ModelError, match="pairs has shape"):
        EdgeReadout(16)(feats, Tensor(np.zeros((2, 5, 3), np.float32)),
                        Tensor(np.zeros((2, 3, 3), np.int32)), Tensor(np.zeros((2, 3), np.int32)),
                        Tensor(np.ones((2, 3), bool)))


def test_format_v1_fixture_still_loads():
    """A model saved in format version 1 (committed) loads and gives its recorded outputs."""
    from pathlib import Path

    here = Path(__file__).with_name("data")
    model = cgmolct.load(here / "v1_molct_energy")
    expected = json.loads((here / "v1_molct_energy_expected.json").read_text())
    e, f = model(*inputs(make_batch([ethanol_like(0)])))
    np.testing.assert_allclose(e.asnumpy(), expected["energy"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(f.asnumpy(), expected["forces"], rtol=1e-4, atol=1e-5)
