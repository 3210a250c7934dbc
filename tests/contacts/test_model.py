"""Contact model: compiled BCE objective, symmetric maps, save/load round trip."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

ms = pytest.importorskip("mindspore")

from cgmolct.contacts.data import BATCH_KEYS, ContactDataset  # noqa: E402
from cgmolct.contacts.labels import contact_maps, read_structure  # noqa: E402
from cgmolct.contacts.model import build_contact_model  # noqa: E402
from cgmolct.contacts.objective import ContactObjective  # noqa: E402
from cgmolct.contacts.predict import predict_contact_maps, predict_contacts  # noqa: E402
from cgmolct.contacts.sources import mdanalysis_data  # noqa: E402
from cgmolct.data import keys as K  # noqa: E402
from cgmolct.errors import InputError, ModelError  # noqa: E402


@pytest.fixture(scope="module")
def protein():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = read_structure(mdanalysis_data() / "cobrotoxin.pdb")
    return s.graph, contact_maps(s)[0]


@pytest.fixture(scope="module")
def model():
    ms.set_seed(1)
    return build_contact_model(dim=16, n_heads=2, n_interactions=1)


def test_dataset_batches_have_fixed_shapes(protein):
    graph, truth = protein
    ds = ContactDataset([graph, graph.select_frames(0)], [truth, truth[None]], batch_size=2)
    assert len(ds) == 2
    a, b = ds.batch([0, 1]), ds.batch([1])
    for key in BATCH_KEYS:
        assert a[key].shape == b[key].shape, key
    g, f, pairs, lab = ds.item(0)
    np.testing.assert_array_equal(a[K.CONTACTS][0, :len(pairs)], truth[pairs[:, 0], pairs[:, 1]])
    assert not b[K.PAIR_MASK][1].any()


def test_objective_compiled_equals_numpy_bce(protein, model):
    graph, truth = protein
    ds = ContactDataset([graph], [truth], batch_size=1)
    batch = ds.batch([0])
    args = [ms.Tensor(batch[k]) for k in BATCH_KEYS]
    obj = ContactObjective(model, pos_weight=2.0)
    loss = float(ms.jit(obj.construct)(*args).asnumpy())
    z = model(*args[:-1]).asnumpy().astype(np.float64)
    y, m = batch[K.CONTACTS].astype(np.float64), batch[K.PAIR_MASK].astype(np.float64)
    bce = np.logaddexp(0, z) - z * y
    ref = (bce * m * (1 + y)).sum() / m.sum()
    assert loss == pytest.approx(ref, rel=1e-4)
    # gradients are finite on a padded batch (two rows, one empty)
    ds2 = ContactDataset([graph], [truth], batch_size=2)
    b2 = ds2.batch([0])
    grad = ms.jit(ms.value_and_grad(obj, None, obj.trainable_params()))
    value, grads = grad(*[ms.Tensor(b2[k]) for k in BATCH_KEYS])
    assert np.isfinite(float(value.asnumpy()))
    assert all(np.isfinite(g.asnumpy()).all() for g in grads)


def test_predicted_map_is_symmetric_probability(protein, model):
    graph, _ = protein
    p = predict_contacts(model, graph)
    n = graph.n_beads
    assert p.shape == (n, n) and p.dtype == np.float32
    finite = np.isfinite(p)
    np.testing.assert_array_equal(finite, finite.T)
    np.testing.assert_allclose(p[finite], p.T[finite], atol=1e-6)
    assert p[finite].min() >= 0 and p[finite].max() <= 1
    assert np.isnan(np.diag(p)).all() and np.isnan(p[0, 2]) and np.isfinite(p[0, 3])
    # a rigid motion does not change the map
    rot = np.linalg.qr(np.random.default_rng(0).normal(size=(3, 3)))[0]
    rot *= np.sign(np.linalg.det(rot))  # a proper rotation (the frame features see chirality)
    moved = graph.select_frames(0)
    moved.positions = (graph.positions @ rot.T + 5.0).astype(np.float32)
    np.testing.assert_allclose(predict_contacts(model, moved)[finite], p[finite], atol=2e-4)


def test_factorised_readout_equals_concatenated_mlp(protein):
    """The readout applies g's first layer factor by factor: same logits as g(concat(...))."""
    from cgmolct.contacts import load_shipped

    graph, truth = protein
    shipped = load_shipped()
    ds = ContactDataset([graph], [truth], batch_size=2, cutoff=shipped.representation.r_cut)
    batch = ds.batch([0])
    args = [ms.Tensor(batch[k]) for k in BATCH_KEYS[:-1]]
    h = shipped.representation(*args[:8])
    ro = shipped.readout
    rest = (args[1], args[5], args[6], args[7], args[8], args[9], args[10])
    fast = ro(h, *rest).asnumpy()
    slow = ro.reference_logits(h, *rest).asnumpy()
    assert np.abs(slow).max() > 1.0  # real logits, not a padded row
    np.testing.assert_allclose(fast, slow, atol=2e-4 * np.abs(slow).max())
    compiled = ms.jit(shipped.construct)(*args).asnumpy()
    np.testing.assert_allclose(compiled, slow, atol=2e-4 * np.abs(slow).max())


def test_ensemble_mean_over_frames(protein, model):
    graph, _ = protein
    two = graph.select_frames([0, 0])
    two.positions = np.stack([graph.positions[0], graph.positions[0] * 1.05]).astype(np.float32)
    maps = predict_contact_maps(model, two)
    assert maps.shape == (2, graph.n_beads, graph.n_beads)
    np.testing.assert_allclose(predict_contacts(model, two), maps.mean(0), equal_nan=True)


def test_several_proteins_in_one_call_match_one_by_one(protein, model):
    """A list of graphs packs frames of different proteins into shared compiled calls."""
    from topologies import build_graph

    graph, _ = protein
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        short = build_graph(mdanalysis_data() / "cobrotoxin.pdb", mapping="ca",
                             selection="protein and resindex 0:29")  # a shorter chain
    two = graph.select_frames([0, 0])
    two.positions = np.stack([graph.positions[0], graph.positions[0] * 1.05]).astype(np.float32)
    maps = predict_contacts(model, [graph, short, two], batch_size=3)
    assert isinstance(maps, list) and len(maps) == 3
    np.testing.assert_allclose(maps[0], predict_contacts(model, graph), atol=2e-5, equal_nan=True)
    np.testing.assert_allclose(maps[1], predict_contacts(model, short), atol=2e-5, equal_nan=True)
    np.testing.assert_allclose(maps[2], predict_contacts(model, two), atol=2e-5, equal_nan=True)
    assert maps[1].shape == (short.n_beads, short.n_beads)
    with pytest.raises(InputError, match="graph 1 of the list"):
        predict_contacts(model, [graph, "not a graph"])
    with pytest.raises(InputError, match="empty list"):
        predict_contacts(model, [])


def test_save_load_round_trip(tmp_path, protein, model):
    import cgmolct

    graph, _ = protein
    folder = cgmolct.save(model, tmp_path / "contact_model")
    back = cgmolct.load(folder)
    np.testing.assert_allclose(predict_contacts(back, graph), predict_contacts(model, graph),
                               atol=1e-6, equal_nan=True)


def test_bad_inputs(protein, model):
    graph, _ = protein
    with pytest.raises(InputError):
        predict_contacts(model, "not a graph")
    with pytest.raises(ModelError):
        predict_contacts(model.representation, graph)
    with pytest.raises(InputError):
        predict_contacts(model, graph, batch_size=0)
    ligand = graph.select_frames(0)
    ligand.polymer = np.zeros(graph.n_beads, bool)
    with pytest.raises(InputError, match="selection='protein'"):
        predict_contacts(model, ligand)


def test_inputs_contract():
    from cgmolct.contacts.model import ContactModel

    assert ContactObjective.INPUTS == BATCH_KEYS
    assert ContactModel.INPUTS == BATCH_KEYS[:-1] and BATCH_KEYS[-1] == K.CONTACTS
