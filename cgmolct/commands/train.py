"""``cgmolct train CONFIG [--resume | --overwrite]``: train a model from a JSON/YAML configuration.

Exit codes: 0 trained (also when stopped by the wall-time budget, reported "not converged"),
2 bad configuration/data (one line naming the key or file), 1 a run that failed.
Kill it at any time; ``--resume`` continues exactly from the last checkpoint.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("train", help="train a model from a configuration file",
                              description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", nargs="?", help="configuration file (.yaml/.yml or .json)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--resume", action="store_true",
                      help="continue from OUTPUT/last.npz (weights, optimiser, epoch, batch, RNG)")
    mode.add_argument("--resume-from", metavar="CHECKPOINT",
                      help="continue from this training checkpoint (e.g. OUTPUT/best.npz)")
    mode.add_argument("--overwrite", action="store_true",
                      help="start again even if OUTPUT already holds a run")
    p.add_argument("--output", "-o", help="override the configuration's output folder")
    p.add_argument("--max-epochs", type=int, metavar="N", help="override training.max_epochs")
    p.add_argument("--max-time", type=float, metavar="SECONDS",
                   help="override training.max_time_s (wall-time budget over resumed sessions)")
    p.add_argument("--threads", type=int, metavar="N",
                   help="override training.threads (MindSpore CPU threads; default the cores available)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="data-parallel training with N worker processes on this machine "
                   "(MindSpore dynamic cluster on loopback; see README for several machines)")
    p.add_argument("--keys", action="store_true", help="print every configuration key and exit")
    p.add_argument("--json", action="store_true", help="print the final summary as JSON")
    return p


def _worker_args(args: argparse.Namespace) -> list:
    """The ``cgmolct train`` arguments every worker of a distributed run gets."""
    out = [args.config]
    for flag, value in (("--resume", args.resume), ("--overwrite", args.overwrite),
                        ("--json", args.json)):
        if value:
            out.append(flag)
    for flag, value in (("--resume-from", args.resume_from), ("--output", args.output),
                        ("--max-epochs", args.max_epochs), ("--max-time", args.max_time)):
        if value is not None:
            out += [flag, str(value)]
    return out


def run(args: argparse.Namespace) -> int:
    from ..errors import ConfigError
    from ..train.config import load_config
    from ..train.schema import describe

    if args.keys:
        print(describe())
        return 0
    if not args.config:
        raise ConfigError("give a configuration file: cgmolct train CONFIG (keys: cgmolct train --keys)")
    overrides = {"training": {k: v for k, v in (("max_epochs", args.max_epochs),
                                                ("max_time_s", args.max_time),
                                                ("threads", args.threads)) if v is not None}}
    cfg = load_config(args.config, overrides=overrides)
    if args.output:
        cfg["output"] = str(Path(args.output).resolve())
    from ..train import distributed

    if args.workers is not None and args.workers > 1 and not distributed.is_worker():
        return distributed.launch(_worker_args(args), args.workers, Path(cfg["output"]),
                                  threads=args.threads)
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be a positive integer, got {args.workers}")
    if distributed.is_worker():
        distributed.init_worker()
    from ..train.metrics import format_metrics
    from ..train.run import train

    from ..errors import InputError, ModelError

    try:
        summary = train(cfg, resume=args.resume, overwrite=args.overwrite,
                        resume_from=args.resume_from)
    except ModelError as exc:  # a model the configuration's values cannot build
        raise ConfigError(f"{args.config}: model section: {exc}") from None
    except InputError as exc:  # configuration, data or checkpoint problems: name the file
        if str(args.config) in str(exc):
            raise
        raise type(exc)(f"{args.config}: {exc}") from None
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        print(f"cgmolct train: {summary['status']} after {summary['epochs']} epochs, "
              f"{summary['steps']} steps, {summary['elapsed_s']:.0f} s; "
              f"best epoch {summary['best_epoch']}; output in {summary['output']}")
        if summary.get("test"):
            print("test set (best model):\n" + format_metrics(summary["test"]))
    return 0
