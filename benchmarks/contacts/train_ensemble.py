"""Train the shipped ensemble-mode contact model (cgmolct/contacts/shipped/ensemble).

Commands (committed; the ensembles take ~40 min, the training ~8 min on 2 idle cores)::

    GLOG_v=3 .venv/bin/python benchmarks/contacts/make_ensembles.py --output runs/contact_ensembles
    GLOG_v=3 .venv/bin/python benchmarks/contacts/train_ensemble.py \
        --ensembles runs/contact_ensembles/train --output cgmolct/contacts/shipped/ensemble

Starts from the shipped static model and fine-tunes it with BCE against the contact
frequencies of the OpenMM ensembles of the ``data/dssp`` training chains (input: the starting
structure).  Validation proteins: those of the static model's own validation split that have
an ensemble, so no protein used to select either model is trained on by the other.
"""
from __future__ import annotations

import argparse
import json
import warnings

CONFIG = {
    "engine": "step", "seed": 0, "epochs": 60, "time_budget_s": 480.0, "batch_size": 4,
    "lr": 1e-3, "lr_final": 1e-4, "pos_weight": 1.0, "noise": 0.1, "init": "shipped",
    "labels": "ensemble",
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ensembles", default="runs/contact_ensembles/train")
    ap.add_argument("--output", default="cgmolct/contacts/shipped/ensemble")
    ap.add_argument("--epochs", type=int, default=CONFIG["epochs"])
    ap.add_argument("--time-budget", type=float, default=CONFIG["time_budget_s"])
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    from cgmolct.contacts.shipped import load_shipped
    from cgmolct.contacts.train import train_contact_model

    static_valid = load_shipped().saved_info["metadata"]["training"]["valid_proteins"]
    cfg = dict(CONFIG, ensembles=args.ensembles, output=args.output, epochs=args.epochs,
               time_budget_s=args.time_budget, valid_proteins=list(static_valid))
    _, record = train_contact_model(cfg, log=lambda s: print(s, flush=True))
    print(json.dumps({"best_epoch": record["best_epoch"], "best_valid_mae": record["best_valid_mae"],
                      "train_proteins": len(record["train_proteins"]),
                      "valid_proteins": record["valid_proteins"]}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
