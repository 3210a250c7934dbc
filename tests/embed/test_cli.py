"""``cgmolct embed`` and ``cgmolct cluster``: outputs and exit codes (in-process)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from cgmolct.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory, ala2):
    import cgmolct
    from cgmolct.models.molct import MolCT
    from cgmolct.readouts import EnergyForceModel

    root = tmp_path_factory.mktemp("cli")
    ala2.save(root / "ala2.npz")
    cgmolct.save(EnergyForceModel(MolCT(dim=8, n_heads=2, n_interactions=1)), root / "ff")
    return root


def test_embed_with_a_force_field_then_cluster(files, capsys):
    out = files / "emb.npy"
    assert main(["embed", str(files / "ff"), str(files / "ala2.npz"), "-o", str(out)]) == 0
    x = np.load(out)
    assert x.shape == (11, 8) and x.dtype == np.float32
    folder = files / "clusters"
    assert main(["cluster", str(out), "--structure", str(files / "ala2.npz"), "--n-clusters", "2",
                 "-o", str(folder)]) == 0
    labels = np.load(folder / "labels.npy")
    info = json.loads((folder / "clusters.json").read_text())
    assert labels.shape == (11,) and info["n_clusters"] == 2
    assert info["format"] == "cgmolct-clusters" and info["format_version"] == 1
    from cgmolct.commands.cluster import read_clusters

    assert read_clusters(folder) == info
    assert sum(info["populations"].values()) == pytest.approx(1.0)
    import MDAnalysis as mda

    for c, frame in info["representatives"].items():
        u = mda.Universe(str(folder / info["pdb"][c]))
        assert u.atoms.n_atoms == 5 and list(u.atoms.names) == ["C", "N", "CA", "C", "N"]
        assert labels[frame] == int(c)
    assert (folder / "embedding.png").stat().st_size > 1000


@pytest.mark.parametrize("method", ["kmeans", "agglomerative", "dbscan"])
def test_cluster_structure_input_without_model(files, method):
    folder = files / f"c_{method}"
    assert main(["cluster", str(files / "ala2.npz"), "--method", method, "-o", str(folder)]) == 0
    info = json.loads((folder / "clusters.json").read_text())
    assert info["features"] == "pairwise distances" and info["n_frames"] == 11
    assert len(info["pdb"]) == info["n_clusters"]


def test_structure_file_input_with_trajectory(files):
    from MDAnalysisTests import datafiles as mdt

    folder = files / "from_prmtop"
    assert main(["cluster", mdt.PRMpbc, mdt.TRJpbc_bz2, "--mapping", "backbone",
                 "--n-clusters", "2", "-o", str(folder)]) == 0
    assert np.load(folder / "labels.npy").shape == (11,)


@pytest.mark.parametrize("argv", [
    ["embed", "missing_model", "{ala2}", "-o", "{tmp}/e.npy"],
    ["embed", "{ff}", "missing.npz", "-o", "{tmp}/e.npy"],
    ["embed", "{ff}", "{ala2}", "-o", "{tmp}/e.txt"],
    ["embed", "new", "{ala2}", "-o", "{tmp}/e.npy"],
    ["embed", "{ff}", "{ala2}", "-o", "{tmp}/e.npy", "--lag", "0"],
    ["embed", "{ff}", "{ala2}", "-o", "{tmp}/e.npy", "--states"],
    ["embed", "{ala2}", "{ala2}", "-o", "{tmp}/e.npy"],
    ["cluster", "missing.npy", "-o", "{tmp}/c"],
    ["cluster", "{bad}", "-o", "{tmp}/c"],
    ["cluster", "{ala2}", "--n-clusters", "0", "-o", "{tmp}/c"],
    ["cluster", "{ala2}", "--n-clusters", "50", "-o", "{tmp}/c"],
    ["cluster", "{emb3}", "--structure", "{ala2}", "-o", "{tmp}/c"],
])
def test_bad_input_exits_2_with_one_line(files, tmp_path, capsys, argv):
    np.save(tmp_path / "bad.npy", np.zeros(4))
    np.save(tmp_path / "emb3.npy", np.zeros((3, 2)))
    subs = {"ala2": str(files / "ala2.npz"), "ff": str(files / "ff"), "tmp": str(tmp_path),
            "bad": str(tmp_path / "bad.npy"), "emb3": str(tmp_path / "emb3.npy")}
    code = main([a.format(**subs) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("cgmolct: error:")
