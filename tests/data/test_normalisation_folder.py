"""Per-type references, Normalisation round trips, and the memory-mapped folder format."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
from topologies import CGGraph

from cgmolct.data import keys as K
from cgmolct.data.dataset import MolecularDataset
from cgmolct.data.folder import load_folder, save_folder
from cgmolct.data.iterator import BatchIterator
from cgmolct.data.normalisation import Normalisation, fit_normalisation
from cgmolct.errors import DataError

# per-element energies (kcal/mol) used to synthesise the targets
TRUE_REF = {1: -313.5, 6: -23893.2, 7: -34260.1, 8: -47137.9}


def synthetic(n_mol=60, seed=0, noise=0.0):
    rng = np.random.default_rng(seed)
    graphs = []
    for _ in range(n_mol):
        n = int(rng.integers(3, 15))
        types = rng.choice(list(TRUE_REF), size=n)
        energy = sum(TRUE_REF[int(t)] for t in types) + rng.normal(scale=noise)
        graphs.append(CGGraph(types, rng.normal(size=(1, n, 3)) * 3, energies=[energy],
                              forces=rng.normal(size=(1, n, 3)) * 5.0))
    return MolecularDataset.from_graphs(graphs)


def test_type_references_recover_the_element_energies():
    norm = fit_normalisation(synthetic(), "energy")
    assert set(norm.type_ref) == set(TRUE_REF)
    for t, v in TRUE_REF.items():
        assert norm.type_ref[t] == pytest.approx(v, abs=1e-6)
    assert norm.shift == pytest.approx(0.0, abs=1e-6)
    assert norm.force_scale == pytest.approx(5.0, rel=0.15)


def test_normalise_denormalise_and_json_round_trip():
    ds = synthetic(noise=2.0, seed=1)
    norm = fit_normalisation(ds, "energy", mode="atomwise")
    back = Normalisation.from_dict(json.loads(json.dumps(norm.to_dict())))
    assert back == norm
    batch = ds.batch(np.arange(10), cutoff=5.0)
    y = batch[K.ENERGY].astype(np.float64)
    z = norm.normalise(y, batch[K.TYPES], batch[K.ATOM_MASK])
    n = batch[K.N_BEADS]
    assert np.abs(z / n).max() < 5                      # order one per bead (atomwise)
    np.testing.assert_allclose(norm.denormalise(z, batch[K.TYPES]), y, rtol=1e-12)
    g = fit_normalisation(ds, "energy", mode="graph", type_ref=False)
    assert g.type_ref == {} and g.shift == pytest.approx(ds.targets()["energy"].mean())
    with pytest.raises(DataError, match="no field"):
        Normalisation.from_dict({"scale": 1.0, "shfit": 0.0})
    with pytest.raises(DataError, match="mode"):
        Normalisation(mode="sum")
    with pytest.raises(DataError, match="unknown target"):
        fit_normalisation(ds, "U0")


def test_memmap_folder_round_trip(tmp_path):
    ds = synthetic(n_mol=20, seed=2)
    view = ds.subset(np.arange(3, 17, 2))
    path = save_folder(view, tmp_path / "set")
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".")]     # no temp leftovers
    back = load_folder(path, mmap=True)
    assert isinstance(back.arrays["positions"], np.memmap)
    assert len(back) == len(view)
    for i in range(len(view)):
        a, b = view.sample(i), back.sample(i)
        np.testing.assert_array_equal(a["types"], b["types"])
        np.testing.assert_array_equal(a["positions"], b["positions"])
        np.testing.assert_array_equal(a["forces"], b["forces"])
        assert a["energy"] == b["energy"]
    batches = list(BatchIterator(back, batch_size=3, seed=0, cutoff=4.0))
    assert sum(int(b[K.SAMPLE_MASK].sum()) for b in batches) == len(view)
    with pytest.raises(DataError, match="exists"):
        save_folder(view, path)
    save_folder(ds, path, overwrite=True)
    assert len(load_folder(path)) == 20


def test_folder_errors(tmp_path):
    path = save_folder(synthetic(n_mol=5, seed=3), tmp_path / "set")
    with pytest.raises(DataError, match="no such data set folder"):
        load_folder(tmp_path / "other")
    pos = os.path.join(path, "positions.npy")
    data = open(pos, "rb").read()
    with open(pos, "wb") as fh:
        fh.write(data[: len(data) - 40])
    with pytest.raises(DataError, match="positions"):
        load_folder(path)
    os.remove(pos)
    with pytest.raises(DataError, match=r"positions.npy: missing"):
        load_folder(path)
    meta = json.load(open(os.path.join(path, "dataset.json")))
    meta["format_version"] = 99
    json.dump(meta, open(os.path.join(path, "dataset.json"), "w"))
    with pytest.raises(DataError, match="version 99"):
        load_folder(path)


def test_inconsistent_arrays_are_data_errors():
    ds = synthetic(n_mol=4, seed=4)
    arrays = dict(ds.arrays)
    arrays["forces"] = arrays["forces"][:-1]
    with pytest.raises(DataError, match=r"forces has shape"):
        MolecularDataset(arrays)
    arrays = dict(ds.arrays)
    arrays["system_types"] = arrays["system_types"].copy()
    arrays["system_types"][2] = 0
    with pytest.raises(DataError, match=r"system_types\[2\] = 0 \(system 0\)"):
        MolecularDataset(arrays)
    n0 = int(ds.arrays["system_offsets"][1])
    arrays["system_types"][2] = 6
    arrays["system_types"][n0 + 1] = 119                   # an undefined id (no element 119)
    with pytest.raises(DataError, match=r"= 119 \(system 1\) is not a bead type"):
        MolecularDataset(arrays)


def test_write_folder_streams_saved_graphs(tmp_path):
    from cgmolct.data.folder import write_folder

    rng = np.random.default_rng(5)
    graphs, paths = [], []
    for k, n in enumerate((6, 11, 4)):
        g = CGGraph(rng.choice([1, 6, 8], n), rng.normal(size=(7, n, 3)) * 3,
                    forces=rng.normal(size=(7, n, 3)), energies=rng.normal(size=7),
                    labels={"gap": rng.normal(size=7), "dip": rng.normal(size=(7, 3))})
        graphs.append(g)
        paths.append(g.save(str(tmp_path / f"g{k}")))       # folders: memory-mappable frames
    out = write_folder(paths, tmp_path / "set", frames=slice(1, 6), chunk_frames=2)
    streamed = load_folder(out, mmap=True)
    direct = MolecularDataset.from_graphs(graphs, frames=slice(1, 6))
    assert len(streamed) == len(direct) == 15
    assert streamed.label_names == direct.label_names == ["dip[0]", "dip[1]", "dip[2]", "gap"]
    for i in range(15):
        a, b = direct.sample(i), streamed.sample(i)
        for key in ("types", "positions", "forces", "labels", "rel_pairs", "rel_codes"):
            np.testing.assert_array_equal(a[key], b[key])
        assert a["energy"] == b["energy"] and a["frame"] == b["frame"]
    with pytest.raises(DataError, match="cannot load the graph"):
        write_folder([tmp_path / "nothing"], tmp_path / "bad")
    assert not (tmp_path / "bad").exists()


def test_contacts_survive_subset_and_folder(tmp_path):
    rng = np.random.default_rng(6)
    graphs, pairs, contacts = [], [], []
    for n in (5, 9):
        graphs.append(CGGraph(np.full(n, 6), rng.normal(size=(4, n, 3))))
        p = np.array([[0, n - 1], [1, 2], [0, 3]])
        pairs.append(p)
        contacts.append(rng.integers(0, 2, (4, len(p))).astype(np.float32))
    ds = MolecularDataset.from_graphs(graphs, pairs=pairs, contacts=contacts)
    view = ds.subset([6, 1, 4])                         # (graph 1, frame 2), (0, 1), (1, 0)
    back = load_folder(save_folder(view, tmp_path / "c"))
    for k, (g, f) in enumerate([(1, 2), (0, 1), (1, 0)]):
        np.testing.assert_array_equal(back.sample(k)["contacts"], contacts[g][f])
        np.testing.assert_array_equal(back.sample(k)["pairs"], pairs[g])
        np.testing.assert_array_equal(view.sample(k)["contacts"], contacts[g][f])


def test_graph_folder_trains_from_the_memory_map(tmp_path):
    """Issue 8: a saved graph folder opened with mmap keeps its frames on disk: the data set's
    positions and forces are views of the memory map, not copies."""
    import topologies
    from cgmolct.data import open_dataset

    rng = np.random.default_rng(0)
    xyz = rng.normal(size=(50, 6, 3)).astype(np.float32) * 2
    g = topologies.from_arrays(["C"] * 6, xyz, forces=rng.normal(size=(50, 6, 3)))
    g.save(tmp_path / "traj")  # a folder of .npy files
    ds = open_dataset(tmp_path / "traj", mmap=True)

    def on_disk(arr):
        while arr is not None and not isinstance(arr, np.memmap):
            arr = arr.base if isinstance(arr, np.ndarray) else None
        return arr is not None

    assert on_disk(ds.arrays["positions"]) and on_disk(ds.arrays["forces"])
    assert not on_disk(open_dataset(tmp_path / "traj", mmap=False).arrays["positions"])
    b = ds.batch([3, 7], cutoff=5.0)
    np.testing.assert_array_equal(b["positions"][1, :6], xyz[7])
