"""``cgmolct eval CHECKPOINT DATA [--format F] [--json]``: MAE/RMSE per target in physical units.

CHECKPOINT is a training checkpoint (``best.npz``/``last.npz``); DATA an MD17/QM9 npz file or
a saved data set folder (format taken from the checkpoint's configuration unless given).
"""
from __future__ import annotations

import argparse
import json


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("eval", help="evaluate a trained model on held-out data",
                              description=__doc__)
    p.add_argument("checkpoint", help="training checkpoint (best.npz / last.npz)")
    p.add_argument("data", help="data file or folder")
    p.add_argument("--format", choices=("md17", "qm9", "dataset"),
                   help="data format (default: the one the model was trained on)")
    p.add_argument("--batch-size", type=int, default=None, help="frames per batch")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    return p


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..errors import DataError
    from ..train.metrics import format_metrics
    from ..train.run import evaluate_checkpoint

    if not Path(args.data).exists():
        raise DataError(f"{args.data}: data file does not exist")
    if args.batch_size is not None and args.batch_size <= 0:
        raise DataError(f"--batch-size must be > 0, got {args.batch_size}")
    metrics = evaluate_checkpoint(args.checkpoint, args.data, args.format, args.batch_size)
    if args.json:
        print(json.dumps({"checkpoint": str(args.checkpoint), "data": str(args.data),
                          "metrics": metrics}, indent=2))
    else:
        print(format_metrics(metrics))
    return 0
