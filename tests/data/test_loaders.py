"""MD17 / QM9 loaders on the real files of ../shared/data, and their input errors."""
from __future__ import annotations

import numpy as np
import pytest

from cgmolct.data import keys as K
from cgmolct.data.loaders import QM9_LABELS, load_md17, load_qm9, md17_graph
from cgmolct.errors import DataError


def test_md17_shapes_and_units(md17_paths):
    path = md17_paths["valid_128"]
    raw = np.load(path)
    ds = load_md17(path)
    assert len(ds) == 128 and ds.n_systems == 1
    s = ds.sample(5)
    np.testing.assert_array_equal(s["types"], [6, 6, 8, 1, 1, 1, 1, 1, 1])
    np.testing.assert_allclose(s["positions"], raw["R"][5])          # Å, unchanged
    np.testing.assert_allclose(s["forces"], raw["F"][5])
    assert s["energy"] == pytest.approx(float(raw["E"][5, 0]))      # kcal/mol, ~ -97196
    assert -98000 < s["energy"] < -96000
    batch = ds.batch(np.arange(8))
    assert batch[K.POSITIONS].shape == (8, 12, 3) and batch[K.FORCES].shape == (8, 12, 3)
    assert batch[K.NEIGHBOUR_MASK].sum(-1)[0, :9].tolist() == [8] * 9   # all within 10 Å
    # ethanol has 8 bonds -> 16 directed relational pairs, codes of bonds
    assert batch[K.REL_MASK][0].sum() == 16


def test_md17_frame_selection(md17_paths):
    g = md17_graph(md17_paths["valid_128"], frames=slice(0, 10))
    assert g.n_frames == 10 and g.forces.shape == (10, 9, 3)


def test_qm9_shapes_and_units(qm9_paths):
    path = qm9_paths["validset_128"]
    raw = np.load(path)
    ds = load_qm9(path)
    assert len(ds) == 128 and ds.n_systems == 128
    assert ds.label_names == list(QM9_LABELS)
    k = 3
    real = raw["atom_type"][k] > 0
    s = ds.sample(k)
    np.testing.assert_array_equal(s["types"], raw["atom_type"][k][real])
    np.testing.assert_allclose(s["positions"], raw["coordinate"][k][real] * 10.0, rtol=1e-5)  # nm -> Å
    lab = raw["label"][k].astype(np.float64)
    assert s["labels"][0] == pytest.approx(lab[0])                   # dipole stays Debye
    assert s["labels"][7] == pytest.approx(lab[7] / 4.184)           # U0 kJ/mol -> kcal/mol
    assert s["labels"][11] == pytest.approx(lab[11])                 # Cv stays cal/mol/K
    assert ds.label_units[7] == "kcal/mol" and ds.metadata["label_modes"][7] == "atomwise"
    batch = ds.batch(np.arange(16))
    assert batch[K.LABELS].shape == (16, 12)
    n = (raw["atom_type"][:16] > 0).sum(1)
    assert batch[K.N_BEADS].tolist() == n.tolist()
    assert batch[K.TYPES].shape[1] >= n.max()


def test_missing_truncated_and_bad_files(tmp_path, md17_paths):
    with pytest.raises(DataError, match="no such file"):
        load_md17(tmp_path / "nothing.npz")
    good = md17_paths["valid_128"].read_bytes()
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good[: len(good) // 2])
    with pytest.raises(DataError, match="cut.npz"):
        load_md17(cut)
    raw = dict(np.load(md17_paths["valid_128"]))
    bad = dict(raw)
    del bad["F"]
    np.savez(tmp_path / "nof.npz", **bad)
    with pytest.raises(DataError, match=r"nof.npz: missing array\(s\) \['F'\]"):
        load_md17(tmp_path / "nof.npz")
    bad = dict(raw)
    bad["F"] = raw["F"][:, :8]
    np.savez(tmp_path / "shape.npz", **bad)
    with pytest.raises(DataError, match=r"array F has shape \(128, 8, 3\); expected \(128, 9, 3\)"):
        load_md17(tmp_path / "shape.npz")
    bad = dict(raw)
    bad["R"] = raw["R"].copy()
    bad["R"][7, 2, 1] = np.nan
    np.savez(tmp_path / "nan.npz", **bad)
    with pytest.raises(DataError, match=r"array R contains NaN.*\(7, 2, 1\)"):
        load_md17(tmp_path / "nan.npz")
    bad = dict(raw)
    bad["z"] = np.array([[6, 6, 8, 1, 1, 1, 1, 1, 300]])
    np.savez(tmp_path / "type.npz", **bad)
    with pytest.raises(DataError, match="not an atomic number"):
        load_md17(tmp_path / "type.npz")


def test_open_dataset_detects_every_format(tmp_path, md17_paths, qm9_paths):
    from cgmolct.data.folder import save_folder
    from cgmolct.data.loaders import detect_format, open_dataset

    md = open_dataset(md17_paths["valid_128"])
    assert md.metadata["name"] == "md17" and len(md) == 128
    assert detect_format(qm9_paths["validset_128"]) == "qm9"
    graph = md17_graph(md17_paths["valid_128"], frames=slice(0, 6))
    graph.save(str(tmp_path / "ethanol.npz"))
    from_graph = open_dataset(tmp_path / "ethanol.npz")
    assert len(from_graph) == 6
    np.testing.assert_allclose(from_graph.sample(4)["forces"], md.sample(4)["forces"])
    save_folder(from_graph, tmp_path / "folder")
    assert detect_format(tmp_path / "folder") == "dataset"
    assert len(open_dataset(tmp_path / "folder")) == 6
    np.savez(tmp_path / "odd.npz", a=np.zeros(3))
    with pytest.raises(DataError, match=r"unknown npz layout with arrays \['a'\]"):
        open_dataset(tmp_path / "odd.npz")
    with pytest.raises(DataError, match="no such file"):
        open_dataset(tmp_path / "missing.npz")


def test_nan_frames_of_a_graph_are_named():
    from topologies import CGGraph

    from cgmolct.data.dataset import MolecularDataset

    graph = CGGraph(np.full(5, 6), np.random.default_rng(0).normal(size=(4, 5, 3)))
    graph.positions[2, 3, 0] = np.nan     # e.g. a memory-mapped graph file changed on disk
    with pytest.raises(DataError, match="positions of frame 2, bead 3 is NaN"):
        MolecularDataset.from_graphs(graph)
    ok = MolecularDataset.from_graphs(graph, frames=[0, 1, 3])
    assert len(ok) == 3
