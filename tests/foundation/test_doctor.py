"""The doctor's checks as tests (they start MindSpore in subprocesses: ~20 s)."""
import json
import subprocess
import sys

import pytest

from cgmolct.doctor import run_doctor


@pytest.fixture(scope="module")
def report():
    return run_doctor(smoke=True)


def _check(report, name):
    return next(c for c in report["checks"] if c["name"] == name)


def test_numpy_below_2(report):
    assert _check(report, "numpy<2")["ok"]


@pytest.mark.parametrize("mode", ["pynative", "graph"])
def test_second_order_gradient(report, mode):
    check = _check(report, f"mindspore_{mode}_second_order")
    assert check["ok"], check["detail"]
    res = check["result"]
    assert res["second_order_gradient_relative_error"] < 0.05
    first, last = res["force_loss_first_last"]
    assert last < first


def test_report_ok_and_json_cli():
    out = subprocess.run([sys.executable, "-m", "cgmolct.cli", "doctor", "--json"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["ok"] is True
    assert data["versions"]["numpy"].startswith("1.")


def test_topologies_imports_without_mindspore(report):
    assert _check(report, "topologies_without_mindspore")["ok"]
