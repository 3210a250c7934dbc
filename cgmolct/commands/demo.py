"""``cgmolct demo``: run the library's jobs on shipped data (exit 1 when a step fails)."""
from __future__ import annotations

import argparse


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("demo", help="run the main jobs on shipped data", description=__doc__)
    p.add_argument("--output", "-o", default="demo_output", help="output folder (default demo_output)")
    p.add_argument("--only", nargs="+", metavar="STEP", help="run only these steps")
    return p


def run(args: argparse.Namespace) -> int:
    from ..demo import STEPS, run_demo
    from ..errors import InputError

    names = [n for n, _ in STEPS]
    unknown = [s for s in (args.only or []) if s not in names]
    if unknown:
        raise InputError(f"unknown demo step(s) {', '.join(unknown)}; steps are: {', '.join(names)}")
    summary = run_demo(args.output, args.only)
    print("\ncgmolct demo: " + ("all steps passed" if summary["ok"] else "some steps FAILED")
          + f"; summary in {args.output}/demo_summary.json")
    return 0 if summary["ok"] else 1
