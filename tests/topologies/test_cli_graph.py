"""``cgmolct graph build|info``: exit codes, one-line errors, JSON keys, no MindSpore."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from MDAnalysisTests import datafiles as D

import topologies as T
from cgmolct.cli import main


def test_build_then_info_json(tmp_path, capsys):
    out = tmp_path / "adk.npz"
    assert main(["graph", "build", D.PSF, D.DCD, "--mapping", "ca", "-o", str(out)]) == 0
    assert "214 beads, 98 frames" in capsys.readouterr().out
    g = T.CGGraph.load(out)
    assert g.n_beads == 214 and g.provenance["mapping"] == "ca"
    assert main(["graph", "info", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    for key in ("n_beads", "n_frames", "n_bonds", "chains", "mapping", "type_counts", "has_forces", "warnings"):
        assert key in info
    assert info["n_beads"] == 214 and info["n_frames"] == 98 and info["has_forces"] is False


def test_build_with_forces_selection_and_frames(tmp_path, capsys):
    out = tmp_path / "cobro"
    code = main(["graph", "build", D.TPR_xvf, D.TRR_xvf, "-m", "cacb", "--select", "protein",
                 "--frames", "0:2", "-o", str(out)])
    assert code == 0
    g = T.CGGraph.load(out, mmap=True)
    assert g.n_frames == 2 and g.forces is not None


def test_info_of_a_structure_file(capsys):
    assert main(["graph", "info", D.PDB_full]) == 0
    text = capsys.readouterr().out
    assert "altloc B of GLU 34 (chain A) dropped" in text and "chain A" in text


@pytest.mark.parametrize("argv, words", [
    (["graph", "build", "/nonexistent/x.pdb", "-o", "o.npz"], "x.pdb: structure file not found"),
    (["graph", "build", D.PSF, D.XTC, "-o", "o.npz"], "3341 atoms in the topology, 47681 in the trajectory"),
    (["graph", "build", D.PSF, D.DCD, "--select", "resname XYZ", "-o", "o.npz"], "selects no atom"),
    (["graph", "build", D.PSF, D.DCD, "--frames", "a:b", "-o", "o.npz"], "--frames"),
    (["graph", "info", "/nonexistent/g.npz"], "no such file"),
])
def test_bad_input_exit_2_one_line(argv, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("cgmolct: error: ") and words in err[0]


def test_graph_cli_does_not_import_mindspore(tmp_path):
    code = ("import sys; from cgmolct.cli import main; "
            f"rc = main(['graph', 'build', {D.PSF!r}, {D.DCD!r}, '-o', {str(tmp_path / 'g.npz')!r}]); "
            f"rc2 = main(['graph', 'info', {str(tmp_path / 'g.npz')!r}, '--json']); "
            "print('MS', rc, rc2, 'mindspore' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "MS 0 0 False" in out.stdout


def test_cli_mapping_choices_match_the_library():
    from cgmolct.commands.graph import _MAPPINGS
    assert tuple(_MAPPINGS) == tuple(T.MAPPINGS)
