"""``cgmolct doctor``: prove that the environment can do what cgmolct relies on.

Checks: Python and package versions, numpy < 2 (MindSpore 2.10 needs it), that
``topologies`` imports without MindSpore, and the MindSpore smoke test of
:mod:`cgmolct._smoke` (forces = −∂E/∂R through the project's layer norm and one optimiser
step on a force loss, i.e. a second-order gradient) in PyNative **and** graph mode.  Each
mode runs in its own subprocess so that a crash in one is reported, not fatal.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from importlib import metadata
from typing import Dict, List, Optional

__all__ = ["run_doctor", "format_report"]

_PACKAGES = ("mindspore", "numpy", "scipy", "MDAnalysis", "biopython", "networkx",
             "scikit-learn", "matplotlib", "openmm", "MDAnalysisTests")
_OPTIONAL = {"openmm", "MDAnalysisTests"}


def _version(dist: str) -> Optional[str]:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _check(name: str, ok: bool, detail: str, required: bool = True) -> dict:
    return {"name": name, "ok": bool(ok), "required": required, "detail": detail}


def _smoke_check(mode: str, timeout: float) -> dict:
    env = dict(os.environ, GLOG_v=os.environ.get("GLOG_v", "3"))
    try:
        proc = subprocess.run([sys.executable, "-m", "cgmolct._smoke", mode], capture_output=True,
                              text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return _check(f"mindspore_{mode}_second_order", False, f"timed out after {timeout:.0f} s")
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("CGMOLCT_SMOKE ")]
    if not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return _check(f"mindspore_{mode}_second_order", False,
                      f"smoke test crashed (exit {proc.returncode}): {' | '.join(tail)}")
    result = json.loads(lines[-1][len("CGMOLCT_SMOKE "):])
    if result["ok"]:
        detail = (f"forces by autodiff, Adam step on force loss: loss "
                  f"{result['force_loss_first_last'][0]:.4f} -> {result['force_loss_first_last'][1]:.4f}; "
                  f"d2E/dRdθ vs finite differences: rel. error "
                  f"{result['second_order_gradient_relative_error']:.1e}")
        if mode == "pynative":
            detail += ("; force steps are jit-compiled (pure PyNative nested gradients w.r.t. "
                       "parameters have rel. error "
                       f"{result['pure_pynative_nested_grad_relative_error']:.2f} in this MindSpore)")
    else:
        detail = result["reason"]
    check = _check(f"mindspore_{mode}_second_order", result["ok"], detail)
    check["result"] = result
    return check


def run_doctor(smoke: bool = True, timeout: float = 300.0) -> Dict[str, object]:
    """Run every check and return the report (``report["ok"]`` is False when one fails).

    Parameters
    ----------
    smoke : bool
        Run the MindSpore smoke tests (a few seconds each).
    timeout : float
        Seconds allowed for each smoke subprocess.
    """
    versions = {name: _version(name) for name in _PACKAGES}
    versions["python"] = platform.python_version()
    checks: List[dict] = []
    checks.append(_check("python", sys.version_info >= (3, 9), f"Python {versions['python']}"))
    for name in _PACKAGES:
        v = versions[name]
        checks.append(_check(f"package:{name}", v is not None,
                             f"{name} {v}" if v else f"{name} is not installed",
                             required=name not in _OPTIONAL))
    np_v = versions["numpy"]
    np_ok = np_v is not None and int(np_v.split(".")[0]) < 2
    checks.append(_check("numpy<2", np_ok,
                         f"numpy {np_v}" + ("" if np_ok else ": MindSpore 2.10 needs numpy<2; "
                                            "run pip install 'numpy>=1.24,<2'")))
    proc = subprocess.run([sys.executable, "-c",
                           "import sys, topologies; print('mindspore' in sys.modules)"],
                          capture_output=True, text=True)
    light = proc.returncode == 0 and proc.stdout.strip() == "False"
    checks.append(_check("topologies_without_mindspore", light,
                         "import topologies does not load MindSpore" if light else
                         f"import topologies loaded MindSpore or failed: {proc.stderr.strip()[-300:]}"))
    if smoke:
        if versions["mindspore"] is None:
            checks.append(_check("mindspore_smoke", False, "MindSpore is not installed"))
        else:
            for mode in ("pynative", "graph"):
                checks.append(_smoke_check(mode, timeout))
    ok = all(c["ok"] for c in checks if c["required"])
    return {"ok": ok, "versions": versions, "checks": checks}


def format_report(report: Dict[str, object]) -> str:
    """Human-readable lines of a doctor report."""
    lines = []
    for c in report["checks"]:
        mark = "ok  " if c["ok"] else ("FAIL" if c["required"] else "warn")
        lines.append(f"[{mark}] {c['name']}: {c['detail']}")
    lines.append("all checks passed" if report["ok"] else "some checks FAILED")
    return "\n".join(lines)
