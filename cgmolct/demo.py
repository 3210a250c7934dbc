"""The main job on shipped data: ``cgmolct demo`` (``make demo``).

Each step is one of the library's jobs run on data that ships with the installed packages
(MDAnalysisTests structures, OpenMM force fields) or with ``../shared/data`` when present.
Every step writes its files into the output folder and returns a short summary line; the
whole run writes ``demo_summary.json``.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable, Dict, List, Tuple

__all__ = ["run_demo", "STEPS"]


def _step_doctor(out: Path) -> Dict[str, object]:
    from .doctor import format_report, run_doctor

    report = run_doctor(smoke=True)
    (out / "doctor.json").write_text(json.dumps(report, indent=2))
    print(format_report(report))
    return {"ok": report["ok"], "summary": "environment checks " + ("passed" if report["ok"] else "FAILED")}


#: (name, function) in the order they run.
STEPS: List[Tuple[str, Callable[[Path], Dict[str, object]]]] = [
    ("doctor", _step_doctor),
]


def run_demo(output: str = "demo_output", only: List[str] | None = None) -> Dict[str, object]:
    """Run the demo steps (all, or those named in ``only``) and write ``demo_summary.json``."""
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    results = {}
    for name, func in STEPS:
        if only and name not in only:
            continue
        print(f"\n=== cgmolct demo: {name} ===", flush=True)
        t0 = time.perf_counter()
        result = func(out)
        result["seconds"] = round(time.perf_counter() - t0, 2)
        print(f"--> {name}: {result['summary']} ({result['seconds']} s)", flush=True)
        results[name] = result
    summary = {"ok": all(r["ok"] for r in results.values()), "steps": results}
    tmp = out / "demo_summary.json.tmp"
    tmp.write_text(json.dumps(summary, indent=2, default=str))
    tmp.replace(out / "demo_summary.json")
    return summary
