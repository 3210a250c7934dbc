"""CGGraph contract: construction checks, from_arrays, lossless save/load, views."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import topologies as T
from topologies.errors import GraphFormatError, TopologyError

ETHANOL = np.array([[0, 0, 0], [1.53, 0, 0], [2.0, 1.4, 0], [-0.5, 0.9, 0], [-0.5, -0.9, 0.1],
                    [0, 0, 1.09], [2.0, -0.5, 0.9], [2.0, -0.6, -0.9], [2.9, 1.6, 0]], float)
ETHANOL_EL = ["C", "C", "O", "H", "H", "H", "H", "H", "H"]


@pytest.fixture
def ethanol():
    rng = np.random.default_rng(1)
    frames = ETHANOL[None] + rng.normal(0, 0.02, (4, 9, 3))
    return T.from_arrays(ETHANOL_EL, frames, forces=rng.normal(size=(4, 9, 3)),
                         energies=rng.normal(size=4), labels={"dipole": rng.normal(size=(4, 3))},
                         box=np.tile([30, 30, 30, 90, 90, 90], (4, 1)))


def test_from_arrays_guesses_ethanol_bonds(ethanol):
    expected = {(0, 1), (0, 3), (0, 4), (0, 5), (1, 2), (1, 6), (1, 7), (2, 8)}
    assert set(map(tuple, ethanol.bonds.tolist())) == expected
    assert ethanol.types.dtype == np.int32 and ethanol.types.tolist() == [6, 6, 8, 1, 1, 1, 1, 1, 1]
    assert ethanol.positions.dtype == np.float32 and ethanol.positions.shape == (4, 9, 3)
    assert ethanol.energies.dtype == np.float64
    assert abs(float(ethanol.masses.sum()) - 46.07) < 0.02
    assert ethanol.mapping.name == "all-atom" and ethanol.provenance["mapping"] == "all-atom"


def test_from_arrays_atomic_numbers_and_no_bonds():
    g = T.from_arrays(np.array([8, 1, 1]), np.zeros((3, 3)) + np.arange(3)[:, None], bonds=None)
    assert g.n_bonds == 0 and g.n_frames == 1 and g.names.tolist() == ["O", "H", "H"]


@pytest.mark.parametrize("types, positions, words", [
    (["C", "Xx"], np.zeros((2, 3)), "Xx"),
    ([6, 0], np.zeros((2, 3)), "padding"),
    ([6, 1], np.zeros((3, 3)), "n_atoms = 2"),
    ([6, 1], np.zeros((2, 2)), "(n_frames, n_atoms, 3)"),
])
def test_from_arrays_errors_name_the_problem(types, positions, words):
    with pytest.raises(TopologyError, match=None) as info:
        T.from_arrays(types, positions)
    assert words in str(info.value)


def test_nan_positions_rejected_with_index():
    pos = np.zeros((2, 3, 3))
    pos[1, 2, 0] = np.nan
    with pytest.raises(TopologyError, match=r"non-finite.*\(1, 2, 0\)"):
        T.CGGraph([6, 6, 6], pos)


def test_bonds_canonical_and_bad_bonds_rejected():
    g = T.CGGraph([6, 6, 6], np.zeros((3, 3)), bonds=[[2, 1], [1, 0], [0, 1]], bond_types=[2, 1, 1])
    assert g.bonds.tolist() == [[0, 1], [1, 2]] and g.bond_types.tolist() == [1, 2]
    with pytest.raises(TopologyError, match="itself"):
        T.CGGraph([6, 6], np.zeros((2, 3)), bonds=[[1, 1]])
    with pytest.raises(TopologyError, match=r"\[0, 2\)"):
        T.CGGraph([6, 6], np.zeros((2, 3)), bonds=[[0, 2]])
    with pytest.raises(TopologyError, match="bond type"):
        T.CGGraph([6, 6], np.zeros((2, 3)), bonds=[[0, 1]], bond_types=[99])


@pytest.mark.parametrize("suffix", ["g.npz", "gdir"])
def test_save_load_roundtrip_is_exact(ethanol, tmp_path, suffix):
    ethanol.provenance["warnings"].append("a warning kept")
    path = tmp_path / suffix
    ethanol.save(path)
    back = T.CGGraph.load(path)
    assert back == ethanol
    assert back.provenance["warnings"] == ["a warning kept"]
    np.testing.assert_array_equal(back.forces, ethanol.forces)
    assert back.labels["dipole"].dtype == ethanol.labels["dipole"].dtype
    # saving again over the same path replaces it atomically
    ethanol.select_frames([0]).save(path)
    assert T.CGGraph.load(path).n_frames == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_folder_load_can_memory_map(ethanol, tmp_path):
    ethanol.save(tmp_path / "g")
    back = T.CGGraph.load(tmp_path / "g", mmap=True)
    base = back.positions
    while base is not None and not isinstance(base, np.memmap):
        base = base.base
    assert isinstance(base, np.memmap)
    assert back == ethanol


def test_load_errors(tmp_path, ethanol):
    with pytest.raises(GraphFormatError, match="no such file"):
        T.CGGraph.load(tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"\x00\x01garbage" * 10)
    with pytest.raises(GraphFormatError, match="junk.npz"):
        T.CGGraph.load(junk)
    good = tmp_path / "good.npz"
    ethanol.save(good)
    trunc = tmp_path / "trunc.npz"
    trunc.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(GraphFormatError, match="trunc.npz"):
        T.CGGraph.load(trunc)
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(3))
    with pytest.raises(GraphFormatError, match="not a saved CGGraph"):
        T.CGGraph.load(other)
    folder = tmp_path / "future"
    ethanol.save(folder)
    meta = json.loads((folder / "graph.json").read_text())
    meta["format_version"] = "99"
    (folder / "graph.json").write_text(json.dumps(meta))
    with pytest.raises(GraphFormatError, match="version 99"):
        T.CGGraph.load(folder)


def test_select_frames(ethanol):
    sub = ethanol.select_frames([3, 1])
    np.testing.assert_array_equal(sub.positions, ethanol.positions[[3, 1]])
    np.testing.assert_array_equal(sub.labels["dipole"], ethanol.labels["dipole"][[3, 1]])
    np.testing.assert_array_equal(sub.energies, ethanol.energies[[3, 1]])
    assert sub.select_frames(-1).positions.shape == (1, 9, 3)
    np.testing.assert_array_equal(sub.bonds, ethanol.bonds)
    with pytest.raises(TopologyError, match="out of range"):
        ethanol.select_frames(7)
    with pytest.raises(TopologyError, match="no frame"):
        ethanol.select_frames(np.zeros(4, bool))


def test_relations_and_networkx(ethanol):
    pairs = ethanol.relational_pairs()
    assert len(pairs) == 2 * ethanol.n_bonds  # non-polymer: bonded pairs only
    codes = ethanol.relation_codes(np.array([[0, 1], [0, 2], [3, 3]]))
    from topologies import relations as R
    assert codes.tolist() == [R.BOND_CODE_OFFSET + R.BOND_TYPES["unknown"], R.SAME_MOLECULE, R.SELF]
    g = ethanol.to_networkx()
    assert g.number_of_nodes() == 9 and g.number_of_edges() == 8
    assert g.nodes[2]["types"] == 8
    s = ethanol.summary()
    json.dumps(s)
    assert s["type_counts"] == {"H": 6, "C": 2, "O": 1} and s["has_forces"]


def test_topologies_never_imports_mindspore():
    code = ("import sys, numpy as np, topologies as T; "
            "T.from_arrays(['O','H','H'], np.eye(3)); "
            "print('mindspore' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
