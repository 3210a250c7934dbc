"""Reproduce the MolCT paper's comparisons on MD17 ethanol and QM9 under a wall-time budget.

Each run is one ``cgmolct train`` subprocess (one CPU thread) with a fixed training budget
(``training.max_time_s``); runs are interleaved by seed (seed 0 of every model first) and
``--parallel`` of them run at once.  After each run the results JSON, the Markdown table and
the learning-curve PNG are rewritten, so a partial campaign still leaves usable files.

    python -m benchmarks.paper.run_paper md17 --budget 360 --seeds 0 1 2 --parallel 2
    python -m benchmarks.paper.run_paper qm9 --budget 600 --models EA1 SchNet3
    python -m benchmarks.paper.run_paper ala2 --ala2-reference REF.npz --models SchNet3 NIU1 NIU1-noRME
    python -m benchmarks.paper.run_paper report      # table + PNG from the results JSON

Data: ``../shared/data/md17_ethanol`` (1024 train / 128 valid / 1024 test) and
``../shared/data/qm9`` (1024 / 128 / 1024).  ``ala2`` is the paper's all-atom test (its Fig. 8)
on alanine-dipeptide reference data made by ``cgmolct data reference`` (ff03 + OBC, 300 K):
SchNet3 with element types, MolCT NIU1 with bonds (RME) and without (``NIU1-noRME``), energy
and forces, on ``--ala2-frames`` evenly spaced frames (1,000 test, 500 validation, the rest
training).  Run folders (checkpoints) go to ``--workdir``
(default ``/tmp/cgmolct_paper_runs``) and are not committed.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

from cgmolct.data.shared import shared_data_dir

ROOT = Path(__file__).resolve().parents[2]
# Results go beside this script unless CGMOLCT_PAPER_RESULTS names another folder (the
# campaign runs from a frozen copy of the code: graph mode re-reads source files when it
# compiles, so edits made during a campaign would otherwise leak into later runs).
HERE = Path(os.environ.get("CGMOLCT_PAPER_RESULTS", Path(__file__).resolve().parent))
DATA = shared_data_dir()

#: Parameter counts in the MolCT paper's Table 1 (ethanol models).
PAPER_PARAMS = {"SchNet3": 490_000, "EA1": 91_000, "NIU1": 91_000, "EA3": 230_000, "NIU3": 230_000}

MD17_MODELS = ["SchNet3", "EA1", "EA3", "NIU1", "NIU3"]
ALA2_MODELS = ["SchNet3", "NIU1", "NIU1-noRME"]
#: The all-atom alanine-dipeptide frames of the ``ala2`` campaign (set by ``main``).
ALA2 = {"reference": None, "frames": 5000}


#: Training options shared by every run; ``campaign`` fills them from the command line.
TRAINING = {"threads": 1, "schedule": "warmup_inverse_sqrt", "patience": None, "lr": 1e-3}


def _optimizer() -> Dict:
    opt = {"name": "adam", "lr": TRAINING["lr"], "schedule": TRAINING["schedule"], "warmup": 100}
    if TRAINING["schedule"] == "plateau":
        opt.update({"plateau_factor": 0.5, "plateau_patience": 8, "lr_min": 1e-5})
    return opt


def _training(budget: float) -> Dict:
    return {"batch_size": 32, "max_epochs": 100000, "max_time_s": budget, "checkpoint_every": 0,
            "threads": TRAINING["threads"], "progress": False, "patience": TRAINING["patience"]}


def md17_config(model: str, seed: int, budget: float, out: Path, dim: int) -> Dict:
    d = DATA / "md17_ethanol"
    return {
        "task": "energy_forces", "output": str(out), "seed": seed,
        "data": {"format": "md17", "train": str(d / "ethanol_kcal_A_train_1024.npz"),
                 "valid": str(d / "ethanol_kcal_A_valid_128.npz"),
                 "test": str(d / "ethanol_kcal_A_test_1024.npz"), "cutoff": 10.0},
        "model": {"representation": model, "dim": dim},
        "loss": {"energy_weight": 0.01, "force_weight": 0.99},
        "optimizer": _optimizer(),
        "training": _training(budget),
    }


def _representation(model: str, dim: int):
    """A preset name, or MolCT NIU1 without the relational embedding (``NIU1-noRME``)."""
    if model == "NIU1-noRME":
        return {"class": "MolCT", "config": {"dim": dim, "n_interactions": 1, "max_cycles": 3,
                                             "fixed_cycles": True, "use_rme": False}}
    return model


def ala2_subset(workdir: Path) -> Path:
    """``ALA2['frames']`` evenly spaced frames of the all-atom reference, saved once under workdir."""
    from topologies import CGGraph

    import numpy as np

    src = ALA2["reference"]
    if src is None:
        raise SystemExit("ala2: give --ala2-reference (an all-atom reference graph, cgmolct data reference)")
    out = workdir / f"ala2_allatom_{ALA2['frames']}.npz"
    if not out.exists():
        g = CGGraph.load(str(src))
        keep = np.unique(np.linspace(0, g.n_frames - 1, ALA2["frames"]).round().astype(int))
        workdir.mkdir(parents=True, exist_ok=True)
        g.select_frames(keep).save(str(out))
    return out


def ala2_config(model: str, seed: int, budget: float, out: Path, dim: int) -> Dict:
    return {
        "task": "energy_forces", "output": str(out), "seed": seed,
        "data": {"format": "graph", "train": str(ala2_subset(out.parent)),
                 "split": {"valid": 500, "test": 1000, "seed": 0}, "cutoff": 10.0},
        "model": {"representation": _representation(model, dim), "dim": dim},
        "loss": {"energy_weight": 0.01, "force_weight": 0.99},
        "optimizer": _optimizer(),
        "training": _training(budget),
    }


def qm9_config(model: str, seed: int, budget: float, out: Path, dim: int) -> Dict:
    d = DATA / "qm9"
    return {
        "task": "labels", "output": str(out), "seed": seed,
        "data": {"format": "qm9", "train": str(d / "qm9_origin_trainset_1024.npz"),
                 "valid": str(d / "qm9_origin_validset_128.npz"),
                 "test": str(d / "qm9_origin_testset_1024.npz"), "cutoff": 10.0},
        "model": {"representation": model, "dim": dim, "pooling": "mean"},
        "loss": {"kind": "mse"},
        "optimizer": _optimizer(),
        "training": _training(budget),
    }


def _atomic_json(path: Path, obj) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1, default=str))
    os.replace(tmp, path)


def _launch(cfg: Dict, workdir: Path, name: str) -> subprocess.Popen:
    run_dir = workdir / name
    run_dir.mkdir(parents=True, exist_ok=True)
    cfg_path = run_dir / "config.json"
    cfg_path.write_text(json.dumps(cfg, indent=1))
    threads = str(TRAINING["threads"])
    env = dict(os.environ, GLOG_v="3", OMP_NUM_THREADS=threads, OPENBLAS_NUM_THREADS=threads,
               MKL_NUM_THREADS=threads)
    log = open(run_dir / "stdout.log", "w")
    return subprocess.Popen([sys.executable, "-m", "cgmolct.cli", "train", str(cfg_path),
                             "--overwrite", "--json"], stdout=log, stderr=subprocess.STDOUT,
                            env=env, cwd=str(run_dir))


def _collect(run_dir: Path) -> Dict:
    summary_path = run_dir / "summary.json"
    if not summary_path.exists():
        tail = (run_dir / "stdout.log").read_text()[-2000:] if (run_dir / "stdout.log").exists() else ""
        return {"status": "failed", "log_tail": tail}
    summary = json.loads(summary_path.read_text())
    history = json.loads((run_dir / "history.json").read_text()) if (run_dir / "history.json").exists() else []
    summary["curve"] = [{k: h[k] for k in h if k in ("epoch", "step", "elapsed_s", "train_loss", "lr")
                         or k.startswith("valid_")} for h in history]
    return summary


def campaign(kind: str, models: List[str], seeds: List[int], budget: float, parallel: int,
             workdir: Path, dim: int) -> None:
    results_path = HERE / f"{kind}_results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    results.setdefault("runs", {})
    results["setup"] = {
        "dataset": {"md17": "MD17 ethanol 1024/128/1024", "qm9": "QM9 1024/128/1024 (12 labels)",
                    "ala2": f"Alanine dipeptide all-atom (ff03 + OBC, 300 K), {ALA2['frames'] - 1500}/500/1000 "
                            f"frames of {ALA2['reference']}"}[kind],
        "budget_s_per_run": budget, "dim": dim, "batch_size": 32,
        "optimizer": f"Adam lr {TRAINING['lr']:g}, warm-up 100 steps then "
        + ("reduce-on-plateau (x0.5 after 8 epochs without improvement, floor 1e-5)"
           if TRAINING["schedule"] == "plateau" else TRAINING["schedule"].replace("_", " ")),
        "early_stopping_patience_epochs": TRAINING["patience"],
        "threads_per_run": TRAINING["threads"], "parallel_runs": parallel,
        "loss": "unit-free w_E (dE/N/d_E)^2 + w_F/N sum |dF/d_F|^2, w_E=0.01, w_F=0.99 (lambda=0.99)"
        if kind in ("md17", "ala2") else "sum_k (1/12) ((y_k - y_k_ref)/s_k)^2, s_k = training std (per bead for U0/U/H/G)",
        "machine": (f"2 CPU cores, {parallel} run(s) at a time, load average at start "
                    f"{os.getloadavg()[0]:.2f}"),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "code": os.environ.get("CGMOLCT_CODE_VERSION", "working tree"),
    }
    make_config = {"md17": md17_config, "qm9": qm9_config, "ala2": ala2_config}[kind]
    queue = [(m, s) for s in seeds for m in models]
    running: List = []
    while queue or running:
        while queue and len(running) < parallel:
            model, seed = queue.pop(0)
            name = f"{kind}_{model}_s{seed}"
            cfg = make_config(model, seed, budget, workdir / name, dim)
            running.append((name, model, seed, _launch(cfg, workdir, name), time.time()))
            print(f"started {name}", flush=True)
        time.sleep(5)
        for item in list(running):
            name, model, seed, proc, t0 = item
            if proc.poll() is None:
                continue
            running.remove(item)
            record = _collect(workdir / name)
            record.update({"model": model, "seed": seed, "exit_code": proc.returncode,
                           "wall_s_including_test": round(time.time() - t0, 1)})
            results["runs"][name] = record
            _atomic_json(results_path, results)
            print(f"finished {name}: {record.get('status')} test {record.get('test', {})}", flush=True)
            try:
                report(kind)
            except Exception as exc:  # keep the campaign going; the report can be redone
                print(f"report failed: {exc}", flush=True)


def _mean_std(values):
    import numpy as np

    v = np.asarray([x for x in values if x is not None], float)
    if len(v) == 0:
        return None, None
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0


def report(kind: str) -> None:
    """Rewrite ``<kind>_results.md`` and ``<kind>_learning_curves.png`` from the JSON."""
    import numpy as np

    results = json.loads((HERE / f"{kind}_results.json").read_text())
    runs = [r for r in results["runs"].values() if r.get("status") != "failed" and r.get("test")]
    setup = results["setup"]
    threads = setup.get("threads_per_run", 1)
    lines = [f"# {setup['dataset']}: test-set MAE after a fixed wall-time budget", "",
             f"Budget per run: **{setup['budget_s_per_run']:.0f} s** of training on {threads} CPU "
             f"thread{'s' if threads != 1 else ''} ({setup['machine']}); feature size {setup['dim']}; "
             f"{setup['optimizer']}; batch {setup['batch_size']}"
             + (f"; early stopping after {setup['early_stopping_patience_epochs']} epochs without "
                "improvement" if setup.get("early_stopping_patience_epochs") else "") + ".",
             f"Loss: {setup['loss']}.", ""]
    models = list(dict.fromkeys(r["model"] for r in runs))
    summary = {}
    if kind in ("md17", "ala2"):
        # equal work: validation force MAE of each model and of SchNet3 after the last epoch
        # that every run of both reached (wall-time budgets favour fast models otherwise)
        lines += ["Equal-work column: validation force MAE (kcal/mol/Å) of the model | SchNet3 after "
                  "the same number of optimiser steps (the last epoch every run of both reached).", "",
                  "| model | params (ours) | params (paper) | seeds | steps (mean) | energy MAE kcal/mol "
                  "| force MAE kcal/mol/Å | equal steps: model \\| SchNet3 | status |",
                  "|---|---|---|---|---|---|---|---|---|"]
        base_runs = [r for r in runs if r["model"] == "SchNet3"]
        for m in models:
            rs = [r for r in runs if r["model"] == m]
            e = _mean_std([r["test"]["energy"]["mae"] for r in rs])
            f = _mean_std([r["test"]["forces"]["mae"] for r in rs])
            steps = np.mean([r["steps"] for r in rs])
            conv = sum(1 for r in rs if r.get("converged"))
            status = "converged" if conv == len(rs) else (
                "**not converged** (budget)" if conv == 0 else f"{len(rs) - conv}/{len(rs)} not converged")
            common = min((len(r.get("curve") or []) for r in rs + base_runs), default=0)
            eq = _mean_std([r["curve"][common - 1]["valid_forces_mae"] for r in rs]) if common else (None, None)
            eq_base = _mean_std([r["curve"][common - 1]["valid_forces_mae"] for r in base_runs]) \
                if common else (None, None)
            summary[m] = {"energy_mae": e, "force_mae": f, "n_params": rs[0]["n_params"],
                          "seeds": [r["seed"] for r in rs], "steps_mean": float(steps), "status": status,
                          "equal_steps": rs[0]["curve"][common - 1]["step"] if common else 0, "valid_force_mae_equal_steps": eq,
                          "schnet3_valid_force_mae_equal_steps": eq_base}
            eq_text = (f"{summary[m]['equal_steps']} steps: {eq[0]:.2f} ± {eq[1]:.2f} \\| {eq_base[0]:.2f} ± {eq_base[1]:.2f}"
                       if eq[0] is not None and eq_base[0] is not None and m != "SchNet3" else "—")
            lines.append(f"| {m} | {rs[0]['n_params']:,} | {format(PAPER_PARAMS[m], ',') if m in PAPER_PARAMS else '–'} | {len(rs)} | {steps:.0f} "
                         f"| {e[0]:.3f} ± {e[1]:.3f} | {f[0]:.3f} ± {f[1]:.3f} | {eq_text} | {status} |")
    else:
        names = list(runs[0]["test"].keys()) if runs else []
        lines += ["| model | params | seeds | steps | " + " | ".join(
            f"{n} ({runs[0]['test'][n]['unit']})" for n in names) + " | status |",
            "|---|---|---|---|" + "---|" * len(names) + "---|"]
        for m in models:
            rs = [r for r in runs if r["model"] == m]
            cells = []
            summary[m] = {"n_params": rs[0]["n_params"], "mae": {}}
            for n in names:
                mu, sd = _mean_std([r["test"][n]["mae"] for r in rs])
                summary[m]["mae"][n] = [mu, sd]
                cells.append(f"{mu:.4g}" + (f" ± {sd:.2g}" if len(rs) > 1 else ""))
            conv = all(r.get("converged") for r in rs)
            lines.append(f"| {m} | {rs[0]['n_params']:,} | {len(rs)} | {np.mean([r['steps'] for r in rs]):.0f} | "
                         + " | ".join(cells) + f" | {'converged' if conv else '**not converged** (budget)'} |")
        base = results.get("baselines") or {}
        for key, label in (("train_mean", "baseline: training mean"),
                           ("element_refs", "baseline: per-element references (least squares)")):
            if any(key in base.get(n, {}) for n in names):
                lines.append(f"| {label} | 0 | – | – | " + " | ".join(
                    f"{base[n][key]:.4g}" if key in base.get(n, {}) else "–" for n in names) + " | – |")
    if kind in ("md17", "ala2") and runs:
        lines += ["", "## Every run", "",
                  "Flat = the best validation force MAE of the last 20 % of epochs is less than 2 % "
                  "below the best before them (the curve has flattened at this learning rate).", "",
                  "| run | epochs | steps | train frames/s | load avg at end (1 min; the run itself ≈ 2) | final lr | best valid F-MAE "
                  "| last-20 % gain | flat? | test F-MAE | status |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in sorted(runs, key=lambda q: (q["model"], q["seed"])):
            curve = r.get("curve") or []
            mae = [c["valid_forces_mae"] for c in curve]
            cut = max(1, int(round(0.8 * len(mae))))
            before, after = (min(mae[:cut]), min(mae[cut:])) if len(mae) > cut else (None, None)
            gain = (before - min(before, after)) / before if before else None
            r["flattened"] = bool(gain is not None and gain < 0.02)
            load = (r.get("load_average_1_5_15") or [None])[0]
            lines.append(
                f"| {r['model']} s{r['seed']} | {r.get('epochs')} | {r.get('steps')} | "
                f"{r.get('train_frames_per_s') or float('nan'):.0f} | "
                f"{load if load is not None else '–'} | {curve[-1].get('lr', float('nan')) if curve else '–'} | "
                f"{min(mae) if mae else float('nan'):.3f} | "
                f"{'–' if gain is None else f'{100 * gain:.1f} %'} | {'yes' if r['flattened'] else 'no'} | "
                f"{r['test']['forces']['mae']:.3f} | {r.get('status', '')} |")
    results["summary"] = summary
    _atomic_json(HERE / f"{kind}_results.json", results)
    verdict = results.get("verdict")
    if verdict:
        lines += ["", "## Verdict", "", verdict]
    failed = [name for name, r in results["runs"].items() if r.get("status") == "failed"]
    if failed:
        lines += ["", f"Failed runs (see JSON for the log tail): {', '.join(failed)}"]
    (HERE / f"{kind}_results.md").write_text("\n".join(lines) + "\n")
    _plot(kind, runs)


def _plot(kind: str, runs) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    key = "valid_forces_mae" if kind in ("md17", "ala2") else None
    fig, ax = plt.subplots(figsize=(7, 4.5))
    colours = {}
    for r in runs:
        curve = r.get("curve") or []
        if not curve:
            continue
        if key is None:  # QM9: mean over labels of MAE / first-epoch MAE
            cols = [k for k in curve[0] if k.startswith("valid_") and k.endswith("_mae")]
            y = [sum(c[k] / curve[0][k] for k in cols) / len(cols) for c in curve]
        else:
            y = [c[key] for c in curve]
        x = [c["step"] for c in curve]
        colour = colours.setdefault(r["model"], f"C{len(colours)}")
        ax.plot(x, y, color=colour, alpha=0.8, label=r["model"] if r["seed"] == min(
            q["seed"] for q in runs if q["model"] == r["model"]) else None)
    ax.set_yscale("log")
    ax.set_xlabel("optimiser step (batch 32)")
    ax.set_ylabel("validation force MAE (kcal/mol/Å)" if key else "validation MAE / epoch-1 MAE (mean of labels)")
    ax.set_title({"md17": "MD17 ethanol", "qm9": "QM9", "ala2": "Alanine dipeptide, all atoms"}[kind]
                 + ": learning curves (one line per seed)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(HERE / f"{kind}_learning_curves.png", dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=("md17", "qm9", "ala2", "report"))
    p.add_argument("--models", nargs="+")
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--budget", type=float, default=360.0, help="training seconds per run")
    p.add_argument("--parallel", type=int, default=2)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--workdir", default="/tmp/cgmolct_paper_runs")
    p.add_argument("--threads", type=int, default=1, help="MindSpore CPU threads per run")
    p.add_argument("--schedule", default="warmup_inverse_sqrt",
                   choices=("warmup_inverse_sqrt", "plateau", "cosine", "constant"))
    p.add_argument("--patience", type=int, default=None, help="early stopping after N epochs")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--ala2-reference", default=None,
                   help="ala2: all-atom reference graph (cgmolct data reference output)")
    p.add_argument("--ala2-frames", type=int, default=5000, help="ala2: evenly spaced frames used")
    p.add_argument("--fresh", action="store_true", help="start a new results file (drop old runs)")
    args = p.parse_args(argv)
    TRAINING.update(threads=args.threads, schedule=args.schedule, patience=args.patience, lr=args.lr)
    ALA2.update(reference=args.ala2_reference, frames=args.ala2_frames)
    if args.kind == "report":
        for kind in ("md17", "qm9", "ala2"):
            if (HERE / f"{kind}_results.json").exists():
                report(kind)
        return 0
    models = args.models or {"md17": MD17_MODELS, "qm9": ["EA1"], "ala2": ALA2_MODELS}[args.kind]
    if args.fresh and (HERE / f"{args.kind}_results.json").exists():
        (HERE / f"{args.kind}_results.json").unlink()
    campaign(args.kind, models, args.seeds, args.budget, args.parallel, Path(args.workdir), args.dim)
    return 0


if __name__ == "__main__":
    sys.exit(main())
