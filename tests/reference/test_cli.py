"""``cgmolct data reference|map``: exit codes 0 and 2, files written."""
from __future__ import annotations

import numpy as np

from cgmolct.cli import main


def test_reference_then_map(tmp_path, capsys):
    out = tmp_path / "ref"
    rc = main(["data", "reference", "--steps", "500", "--save-every", "100", "--chunk-frames", "2",
               "--equilibration-steps", "10", "--seed", "2", "--platform", "Reference", "-o", str(out)])
    assert rc == 0
    assert "5 frames" in capsys.readouterr().out
    assert main(["data", "map", str(out), "--mapping", "backbone", "-o", str(tmp_path / "bb.npz")]) == 0
    import topologies

    cg = topologies.CGGraph.load(tmp_path / "bb.npz")
    assert cg.n_beads == 5 and cg.n_frames == 5 and np.isfinite(cg.forces).all()
    assert main(["data", "map", str(out / "reference.npz"), "-m", "heavy", "-o", str(tmp_path / "h")]) == 0


def test_bad_input_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.pdb"
    bad.write_text("REMARK no atoms\n")
    assert main(["data", "reference", str(bad), "--steps", "100", "--save-every", "10",
                 "-o", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.pdb" in err
    assert main(["data", "map", str(tmp_path / "none.npz"), "-m", "backbone", "-o", str(tmp_path / "x.npz")]) == 2
    assert main(["data", "reference", "--ns", "-1", "-o", str(tmp_path / "r2")]) == 2
    assert main(["data"]) == 2
