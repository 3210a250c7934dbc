"""Run every ``benchmarks/bench_*.py`` script in turn (``make bench``).

Each script writes its results as JSON + Markdown under ``benchmarks/results/``.  The
scripts run in their own processes so that one failure does not stop the others; the exit
code is 1 when any failed.  The paper reproduction (``benchmarks/paper``) takes hours of CPU
and runs separately.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    here = Path(__file__).resolve().parent
    scripts = sorted(here.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if any(a in s.stem for a in argv)]
    failed = []
    for script in scripts:
        print(f"=== {script.stem} ===", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call([sys.executable, "-m", f"benchmarks.{script.stem}"], cwd=here.parent)
        print(f"--- {script.stem}: exit {rc} in {time.perf_counter() - t0:.0f} s", flush=True)
        if rc:
            failed.append(script.stem)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
