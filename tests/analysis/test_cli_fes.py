"""``cgmolct fes`` on a saved reference graph and a CG trajectory written through MDAnalysis (DCD + PDB)."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from cgmolct.cli import main

from ..priors.helpers import NAMES, RESIDS, RESNAMES, alanine_like, graph_of


def write_cg(folder, positions, stem="cg"):
    """CG trajectory as the simulator writes it: STEM.pdb (topology, frame 0) + STEM.dcd."""
    import MDAnalysis as mda
    from MDAnalysis.coordinates.memory import MemoryReader

    u = mda.Universe.empty(5, n_residues=3, atom_resindex=[0, 1, 1, 1, 2], trajectory=True)
    u.add_TopologyAttr("names", NAMES)
    u.add_TopologyAttr("resnames", ["ACE", "ALA", "NME"])
    u.add_TopologyAttr("resids", [1, 2, 3])
    u.load_new(positions.astype(np.float32), format=MemoryReader)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u.atoms.write(str(folder / f"{stem}.pdb"))
        with mda.Writer(str(folder / f"{stem}.dcd"), 5) as w:
            for _ in u.trajectory:
                w.write(u.atoms)
    return folder / f"{stem}.pdb", folder / f"{stem}.dcd"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fes")
    ref, *_ = alanine_like(3000, seed=31)
    cg, *_ = alanine_like(1500, seed=32)
    graph = graph_of(ref)
    assert list(graph.residue_ids) == RESIDS and list(graph.residue_names) == RESNAMES
    pdb, dcd = write_cg(folder, cg)
    mirror_pdb, mirror_dcd = write_cg(folder, cg * np.array([-1.0, 1.0, 1.0]), stem="mirror")
    return {"ref": graph.save(folder / "ref.npz"), "pdb": str(pdb), "dcd": str(dcd),
            "mirror": str(mirror_dcd), "folder": folder}


def test_fes_reference_vs_cg_json_and_png(files, capsys):
    png = files["folder"] / "fes.png"
    assert main(["fes", files["ref"], files["dcd"], "--cg-top", files["pdb"], "--png", str(png), "--json",
                 "--resamples", "50"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["bins"] == 60 and out["js_log"] == "natural" and out["residues"] == ["ALA2"]
    assert out["reference"]["n_frames"] == 3000 and out["cg"]["n_frames"] == 1500
    assert 0 < out["js"] < 0.3 and 0 < out["js_noise_floor"] < 0.3
    assert out["max_population_difference_percent"] < 6
    assert out["cg"]["populations_percent"]["alphaL"] == 0.0
    assert png.read_bytes()[:4] == b"\x89PNG"
    # a DCD finds the PDB of the same name; the mirror image lands in αL and is far from the reference
    assert main(["fes", files["ref"], files["mirror"], "--resamples", "20"]) == 0
    text = capsys.readouterr().out
    assert "JS divergence" in text and "alphaL 100.0" in text.replace("  ", " ")


def test_fes_reference_only_and_user_cvs(files, capsys):
    assert main(["fes", files["ref"], "--resamples", "20"]) == 0
    assert "noise floor" in capsys.readouterr().out
    # two trajectories (replicas) pooled with one topology
    assert main(["fes", files["ref"], files["dcd"], files["mirror"], "--cg-top", files["pdb"], "--json",
                 "--resamples", "20"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cg"]["n_frames"] == 3000 and 45 < out["cg"]["populations_percent"]["alphaL"] < 55
    # several reference graphs (seeds) pooled
    assert main(["fes", files["ref"], "--more-ref", files["ref"], "--json", "--resamples", "20"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["reference"]["n_frames"] == 6000 and out["js_noise_floor"] == 0.0
    assert main(["fes", files["ref"], files["dcd"], "--cg-top", files["ref"], "--cv", "0,1,2,3", "--cv",
                 "1,2,3,4", "--json", "--resamples", "20"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["axes"] == ["cv1", "cv2"] and out["cg"]["n_frames"] == 1500
    assert out["js"] < 0.3   # the same φ/ψ as found from names


@pytest.mark.parametrize("argv, message", [
    (["fes", "{folder}/missing.npz"], "no such file"),
    (["fes", "{ref}", "{folder}/lonely.dcd"], "without topology"),
    (["fes", "{ref}", "--cv", "0,1,2,3"], "exactly twice"),
    (["fes", "{ref}", "--cv", "0,1,2,3", "--cv", "0,1,2,9"], "out of range"),
    (["fes", "{ref}", "--residue", "GLY7"], "no backbone"),
    (["fes", "{ref}", "--bins", "0"], "--bins"),
    (["fes", "{ref}", "--temperature", "0"], "temperature"),
    (["fes", "{ref}", "--ref-traj", "{dcd}"], "saved graph"),
    (["fes", "{ref}", "{pdb}"], "1 frame"),
])
def test_fes_bad_input_exits_2(files, capsys, argv, message):
    lonely = files["folder"] / "lonely.dcd"
    lonely.write_bytes(b"")
    argv = [a.format(**{k: v for k, v in files.items()}) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("cgmolct: error:") and message in err and err.count("\n") == 1


def test_fes_bad_cv_syntax_exits_2(files, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["fes", files["ref"], "--cv", "0,1,2"])
    assert exc.value.code == 2


def test_fes_of_an_openmm_reference_run_folder(tmp_path, capsys):
    """A (short, real) ``cgmolct data reference`` run folder is read as it stands."""
    pytest.importorskip("openmm")
    run = tmp_path / "run"
    assert main(["data", "reference", "-o", str(run), "--steps", "1500", "--save-every", "50",
                 "--equilibration-steps", "0", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["fes", str(run), "--json", "--resamples", "20", "--blocks", "5"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["reference"]["n_frames"] == 30 and out["residues"] == ["ALA2"]
    assert sum(out["reference"]["populations_percent"].values()) == pytest.approx(100.0)
