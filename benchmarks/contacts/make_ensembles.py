"""Generate the OpenMM contact ensembles of the ensemble-mode contact model.

Command (about 40 min on 2 idle cores; resumable: finished proteins are skipped)::

    GLOG_v=3 .venv/bin/python benchmarks/contacts/make_ensembles.py --output runs/contact_ensembles

For every training structure (``data/dssp`` of MDAnalysisTests) and every held-out test
structure (:data:`cgmolct.contacts.sources.TEST_STRUCTURES`) this runs
:func:`cgmolct.contacts.ensemble.simulate_ensemble` (AMBER ff03 + OBC, 300 K, 10 ps after
2 ps of equilibration, frames every 0.2 ps) into ``OUTPUT/train/<name>`` or
``OUTPUT/test/<name>``.  Structures OpenMM cannot take as they are (missing heavy atoms,
gaps) are skipped with the reason; ``OUTPUT/summary.json`` lists what was made and skipped.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import warnings
from pathlib import Path


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--output", default="runs/contact_ensembles")
    ap.add_argument("--only", choices=("train", "test", "all"), default="all")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")
    from cgmolct.contacts.ensemble import simulate_ensemble
    from cgmolct.contacts.sources import TEST_STRUCTURES, dssp_files, mdanalysis_data
    from cgmolct.errors import InputError
    from cgmolct.storage import atomic_write_text

    root = Path(args.output)
    jobs = []
    if args.only in ("train", "all"):
        jobs += [("train", f.name.split(".")[0], f, "protein") for f in dssp_files()]
    if args.only in ("test", "all"):
        base = mdanalysis_data()
        jobs += [("test", _safe(name), base / top, sel) for name, (top, _, sel) in TEST_STRUCTURES.items()]
    summary = {"made": {}, "skipped": {}, "loadavg_start": list(os.getloadavg())}
    for part, name, path, sel in jobs:
        t0 = time.time()
        try:
            header = simulate_ensemble(path, root / part / name, selection=sel, seed=args.seed)
        except InputError as exc:
            summary["skipped"][f"{part}/{name}"] = str(exc)
            print(f"{part}/{name}: skipped: {str(exc)[:300]}", flush=True)
            continue
        rec = {"n_residues": header["n_residues"], "n_frames": header["n_frames"],
               "ns_per_day": header["ensemble"]["speed_ns_per_day"], "wall_s": round(time.time() - t0, 1)}
        summary["made"][f"{part}/{name}"] = rec
        print(f"{part}/{name}: {json.dumps(rec)}", flush=True)
    summary["loadavg_end"] = list(os.getloadavg())
    atomic_write_text(root / "summary.json", json.dumps(summary, indent=1))
    print(f"made {len(summary['made'])}, skipped {len(summary['skipped'])}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
