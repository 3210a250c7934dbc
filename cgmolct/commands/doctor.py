"""``cgmolct doctor [--json]``: environment checks (exit 1 when one fails)."""
from __future__ import annotations

import argparse
import json


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("doctor", help="check versions and MindSpore second-order gradients",
                              description=__doc__)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--no-smoke", action="store_true", help="skip the MindSpore smoke tests")
    return p


def run(args: argparse.Namespace) -> int:
    from ..doctor import format_report, run_doctor

    report = run_doctor(smoke=not args.no_smoke)
    print(json.dumps(report, indent=2) if args.json else format_report(report))
    return 0 if report["ok"] else 1
