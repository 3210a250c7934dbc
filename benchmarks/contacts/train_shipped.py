"""Train the shipped contact model (cgmolct/contacts/shipped/model).

Command (committed; regenerates the shipped model, ~15 min on 2 busy CPU cores)::

    GLOG_v=3 nice -n 10 .venv/bin/python benchmarks/contacts/train_shipped.py \
        --output cgmolct/contacts/shipped/model

Writes the saved model (``cgmolct.save`` format, metadata holds the config, the
train/validation split by protein and the learning curve) and prints one JSON line per epoch.
"""
from __future__ import annotations

import argparse
import json
import warnings

CONFIG = {
    "engine": "step", "seed": 0, "n_valid": 10, "epochs": 30, "time_budget_s": 900.0, "batch_size": 4,
    "lr": 3e-3, "lr_final": 3e-4, "pos_weight": 1.0, "noise": 0.0,
    "model": {"dim": 48, "n_heads": 4, "n_interactions": 2, "r_cut": 8.0,
              "orientation": "frame"},
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--output", default="cgmolct/contacts/shipped/model")
    ap.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    ap.add_argument("--time-budget", type=float, default=CONFIG["time_budget_s"])
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    from cgmolct.contacts.train import train_contact_model

    cfg = dict(CONFIG, output=args.output, epochs=args.epochs, time_budget_s=args.time_budget)
    _, record = train_contact_model(cfg, log=lambda s: print(s, flush=True))
    print(json.dumps({"best_epoch": record["best_epoch"], "best_valid_ap": record["best_valid_ap"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
