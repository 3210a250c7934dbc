"""The ``cgmolct`` command line.

Exit codes for every sub-command: 0 success, 2 bad input (a one-line ``cgmolct: error: ...``
naming the file and what is wrong), 1 a run that failed.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import List, Optional

from ._version import __version__

#: Sub-command modules under ``cgmolct.commands`` (each: add_parser, run).
COMMANDS = ["doctor", "demo", "train", "eval", "graph", "data", "simulate", "priors", "fes", "embed", "cluster", "contacts"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cgmolct",
        description="MolCT for molecules from atoms to coarse-grained proteins and nucleic acids.",
    )
    parser.add_argument("--version", action="version", version=f"cgmolct {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"cgmolct.commands.{name}")
        p = module.add_parser(sub)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of the console script; returns the exit code."""
    import os

    from .errors import CgmolctError, USER_INPUT_ERRORS

    # MindSpore logs warnings (e.g. ~100 "side effect nodes were eliminated" analyser lines
    # per compiled step) at GLOG_v=2; a user who set GLOG_v keeps it.
    os.environ.setdefault("GLOG_v", "3")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        code = int(args._run(args) or 0)
    except USER_INPUT_ERRORS as exc:
        print(f"cgmolct: error: {exc}", file=sys.stderr)
        code = 2
    except CgmolctError as exc:
        print(f"cgmolct: failed: {exc}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        print("cgmolct: interrupted", file=sys.stderr)
        code = 130
    if os.environ.get("MS_ROLE") == "MS_WORKER":
        # MindSpore 2.10's cluster teardown at interpreter exit can crash (SIGSEGV) after a
        # finished run; every file is written and closed by now, so leave at once
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
