"""Ensemble-mode benchmark: contact frequencies over held-out OpenMM trajectories, predicted from
the starting structure alone.

Command (committed results in ``benchmarks/contacts/ensemble_results.{json,md}``; needs the test
ensembles of ``make_ensembles.py``)::

    GLOG_v=3 .venv/bin/python benchmarks/contacts/bench_ensemble.py \
        --ensembles runs/contact_ensembles/test --output benchmarks/contacts/ensemble_results

Predictors of the frequency f_ij of every test protein: the static closest-heavy contacts of the
starting structure (0/1, the baseline the issue names), the shipped static model's
probabilities, and the shipped ensemble model.  Metrics over the pairs of the pair list
(CA–CA ≤ 16 Å in the input) with |i − j| ≥ 6: mean absolute error and mean squared error
(Brier) of the frequency, the same on the pairs that change state (0 < f < 1), and the
average precision of frequent contacts (f ≥ 0.5).  The test proteins are held out from the
training and selection of both models (cgmolct.contacts.sources.TEST_STRUCTURES).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np

PREDICTORS = ("static_contacts", "static_model", "ensemble_model")


def _metrics(score, freq, sep, pairs) -> dict:
    from cgmolct.contacts.metrics import contact_metrics

    i, j = pairs[:, 0], pairs[:, 1]
    keep = sep[i, j] >= 6
    p, f = score[i, j][keep].astype(np.float64), freq[i, j][keep].astype(np.float64)
    dyn = (f > 0) & (f < 1)
    return {"mae": float(np.abs(p - f).mean()), "brier": float(((p - f) ** 2).mean()),
            "mae_changing": float(np.abs(p - f)[dyn].mean()) if dyn.any() else float("nan"),
            "brier_changing": float(((p - f) ** 2)[dyn].mean()) if dyn.any() else float("nan"),
            "ap_frequent": contact_metrics(np.where(np.isfinite(score), score, 0.0), freq >= 0.5, sep,
                                           classes=("all",))["all"]["ap"],
            "n_pairs": int(keep.sum()), "n_changing": int(dyn.sum())}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ensembles", default="runs/contact_ensembles/test")
    ap.add_argument("--model", default="shipped-ensemble", help="ensemble model folder or 'shipped-ensemble'")
    ap.add_argument("--output", default="benchmarks/contacts/ensemble_results")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    from cgmolct.contacts.ensemble import ensemble_folders, load_ensemble
    from cgmolct.contacts.labels import separation_matrix
    from cgmolct.contacts.pairs import contact_pairs
    from cgmolct.contacts.predict import predict_contacts
    from cgmolct.contacts.shipped import SHIPPED_MODELS, load_shipped
    from cgmolct.io.checkpoint import load_model
    from cgmolct.storage import atomic_write_text

    static_model = load_shipped("static")
    ens_model = load_model(SHIPPED_MODELS.get(args.model, Path(args.model)))
    folders = ensemble_folders(args.ensembles)
    if not folders:
        print(f"no finished ensembles under {args.ensembles}", file=sys.stderr)
        return 1
    per = {}
    for name, folder in folders.items():
        graph, freq, static = load_ensemble(folder)
        sep = separation_matrix(graph)
        pairs = contact_pairs(graph, 0)
        scores = {"static_contacts": static, "static_model": predict_contacts(static_model, graph),
                  "ensemble_model": predict_contacts(ens_model, graph)}
        per[name] = {k: _metrics(v, freq, sep, pairs) for k, v in scores.items()}
        per[name]["n_residues"] = int(graph.n_beads)
    mean = {k: {m: float(np.nanmean([per[n][k][m] for n in per]))
                for m in ("mae", "brier", "mae_changing", "brier_changing", "ap_frequent")} for k in PREDICTORS}
    training = ens_model.saved_info["metadata"].get("training", {})
    result = {"command": "GLOG_v=3 .venv/bin/python benchmarks/contacts/bench_ensemble.py "
                         f"--ensembles {args.ensembles} --output {args.output}",
              "model": args.model, "per_protein": per, "mean": mean,
              "training": {k: training.get(k) for k in ("best_epoch", "best_valid_mae", "train_proteins",
                                                        "valid_proteins")},
              "environment": {"loadavg": list(os.getloadavg()), "cpu_count": os.cpu_count()}}
    out = Path(args.output)
    atomic_write_text(out.with_suffix(".json"), json.dumps(result, indent=1))
    lines = ["# Contact ensembles: frequencies predicted from the starting structure", "",
             f"Command: `{result['command']}`", "",
             "Held-out proteins, OpenMM ff03 + OBC implicit solvent, 300 K, 10 ps after 2 ps of "
             "equilibration, 50 frames (`benchmarks/contacts/make_ensembles.py`); closest heavy atoms "
             "< 4.5 Å. Pairs of the pair list (CA–CA ≤ 16 Å in the input), |i − j| ≥ 6. *changing*: "
             "pairs with 0 < f < 1. AP: average precision of frequent contacts (f ≥ 0.5).", "",
             "## Mean over held-out proteins", "",
             "| predictor | MAE | Brier | MAE changing | Brier changing | AP (f ≥ 0.5) |",
             "|---|---|---|---|---|---|"]
    for k in PREDICTORS:
        m = mean[k]
        lines.append(f"| {k} | {m['mae']:.4f} | {m['brier']:.4f} | {m['mae_changing']:.3f} | "
                     f"{m['brier_changing']:.3f} | {m['ap_frequent']:.3f} |")
    lines += ["", "## Per protein (MAE / MAE changing / AP)", "",
              "| protein | n | pairs (changing) | static contacts | static model | ensemble model |",
              "|---|---|---|---|---|---|"]
    for n, r in per.items():
        cells = [f"{r[k]['mae']:.4f} / {r[k]['mae_changing']:.3f} / {r[k]['ap_frequent']:.3f}" for k in PREDICTORS]
        lines.append(f"| {n} | {r['n_residues']} | {r['static_contacts']['n_pairs']} "
                     f"({r['static_contacts']['n_changing']}) | " + " | ".join(cells) + " |")
    t = result["training"]
    lines += ["", f"Ensemble model: best epoch {t['best_epoch']}, validation frequency MAE "
              f"{t['best_valid_mae']:.4f} on {t['valid_proteins']}, "
              f"{len(t['train_proteins'] or [])} training proteins."]
    atomic_write_text(out.with_suffix(".md"), "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
