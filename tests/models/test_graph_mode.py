"""GRAPH mode gives the PyNative outputs, honours the ACT caps and trains on forces."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mindspore")

SCRIPT = Path(__file__).with_name("graph_mode_script.py")


def _run(mode: str, tmp_path) -> dict:
    env = dict(os.environ, GLOG_v="3")
    proc = subprocess.run([sys.executable, str(SCRIPT), mode], capture_output=True, text=True,
                          timeout=600, cwd=tmp_path, env=env)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT "):])


def test_graph_mode_matches_pynative(tmp_path):
    graph = _run("graph", tmp_path)
    pyn = _run("pynative", tmp_path)
    np.testing.assert_allclose(graph["energy"], pyn["energy"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(graph["forces"], pyn["forces"], rtol=1e-3, atol=1e-5)
    assert np.abs(np.asarray(graph["forces"])).max() > 0
    for res in (graph, pyn):
        np.testing.assert_allclose(res["chunked_energy"], res["energy"], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(res["chunked_forces"], res["forces"], rtol=1e-4, atol=1e-6)
    for res in (graph, pyn):
        assert res["steps_train"] == 2.0 and res["steps_eval"] == 4.0
        assert res["losses"][-1] < res["losses"][0]
    np.testing.assert_allclose(graph["losses"], pyn["losses"], rtol=1e-3)
