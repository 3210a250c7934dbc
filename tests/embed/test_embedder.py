"""MolCTEmbedder as a scikit-learn transformer: Pipeline with KMeans, clone, objectives."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.pipeline import Pipeline

from cgmolct.embed import MolCTEmbedder
from cgmolct.errors import InputError

from .conftest import tiny


def test_pipeline_with_kmeans_vamp(ala2_long):
    pipe = Pipeline([("embed", MolCTEmbedder(objective="vamp", lag=2, **tiny())),
                     ("kmeans", KMeans(n_clusters=2, n_init=3, random_state=0))])
    labels = pipe.fit_predict(ala2_long)
    assert labels.shape == (60,) and set(labels.tolist()) <= {0, 1}
    emb = pipe.named_steps["embed"]
    assert emb.history_["steps"] >= 1 and np.isfinite(emb.history_["loss"]).all()
    x = emb.transform(ala2_long)
    assert x.shape == (60, 4) and np.isfinite(x).all()
    emb.set_params(output="states")
    p = emb.transform(ala2_long)
    assert p.shape == (60, 3)
    np.testing.assert_allclose(p.sum(1), 1.0, atol=1e-5)


def test_get_set_params_and_clone(ala2):
    e = MolCTEmbedder(objective="metric", dim=3, template=ala2)
    params = e.get_params()
    assert params["objective"] == "metric" and params["dim"] == 3
    e2 = clone(e)
    assert e2.get_params()["dim"] == 3 and not hasattr(e2, "model_")
    e2.set_params(dim=5, lag=7)
    assert e2.dim == 5 and e2.lag == 7 and e.dim == 3
    with pytest.raises(ValueError):
        e2.set_params(not_a_parameter=1)


def test_metric_fit_save_and_pretrained_reload_with_arrays(ala2, tmp_path):
    e = MolCTEmbedder(objective="metric", **tiny()).fit(ala2)
    x = e.transform(ala2)
    e.save(tmp_path / "emb")
    again = MolCTEmbedder(objective="pretrained", checkpoint=str(tmp_path / "emb"),
                          template=ala2).fit(ala2.positions)
    np.testing.assert_allclose(again.transform(ala2.positions), x, atol=1e-5)


def test_pretrained_force_field_features(ala2, tmp_path):
    import cgmolct
    from cgmolct.models.molct import MolCT
    from cgmolct.predict import predict
    from cgmolct.readouts import EnergyForceModel

    ff = EnergyForceModel(MolCT(dim=8, n_heads=2, n_interactions=1))
    cgmolct.save(ff, tmp_path / "ff")
    e = MolCTEmbedder(objective="pretrained", checkpoint=str(tmp_path / "ff")).fit(ala2)
    assert e.history_["steps"] == 0
    x = e.transform(ala2)
    # without training and dihedrals: the mean of the force field's node features
    ref = predict(cgmolct.load(tmp_path / "ff"), ala2, outputs=("embedding",))["embedding"]
    np.testing.assert_allclose(x, ref, atol=1e-5)


def test_bad_parameters_and_inputs(ala2):
    with pytest.raises(InputError):
        MolCTEmbedder(objective="tsne").fit(ala2)
    with pytest.raises(InputError):
        MolCTEmbedder(objective="pretrained").fit(ala2)
    with pytest.raises(InputError):
        MolCTEmbedder(objective="metric", output="states").fit(ala2)
    with pytest.raises(InputError):
        MolCTEmbedder(epochs=0).fit(ala2)
    with pytest.raises(InputError):
        MolCTEmbedder().fit("frames.dcd")
    with pytest.raises(InputError):
        MolCTEmbedder().fit(np.zeros((3, 5, 3)))  # arrays need a template
    with pytest.raises(InputError):
        MolCTEmbedder(template=ala2, **tiny()).fit(np.zeros((3, 4, 3)))
    with pytest.raises(InputError):
        MolCTEmbedder(objective="vamp", lag=50, **tiny()).fit(ala2)


def test_mirror_augmentation_doubles_frames_with_reflections(ala2):
    from cgmolct.embed.embedder import _with_mirrors
    from cgmolct.embed.geometry import dihedrals

    g = _with_mirrors(ala2)
    assert g.n_frames == 2 * ala2.n_frames
    q = np.array([[0, 1, 2, 3]])
    np.testing.assert_allclose(dihedrals(g.positions[11:], q), -dihedrals(ala2.positions, q), atol=1e-4)
