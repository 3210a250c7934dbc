"""Distributed-training benchmark: frames/s of 1 vs 2 data-parallel workers on this machine,
the measured all-reduce cost, and an estimate of the speed-up at 8 and 64 workers.

1. ``cgmolct train`` on MD17 ethanol (EA1, batch 16 per worker, 1,024 frames) with one
   process (2 threads) and with ``--workers 2`` (1 thread each): training frames/s of the
   whole run (from ``summary.json``) and the efficiency per core.
2. In a 2-worker cluster: the time of ``AllReduce`` on a float32 vector of P parameters
   (P of the models below) and on one float (the latency), median of 20 calls.
3. The compiled training step alone (one process, 1 thread) of the alanine-dipeptide CG model
   (5 backbone beads, MolCT NIU1 fixed cycles, batch 32 frames) and of the AdK CA model
   (214 beads, MolCT EA1 + RME, batch 4) with their parameter counts.

Estimate (a model, not a measurement): a ring all-reduce of b bytes on N workers costs
t_ar(N) = 2(N−1)·λ + 2(N−1)/N · b/β, with λ and β fitted from item 2 (loopback here; a real
network has larger λ and smaller β, so these are upper bounds of the speed-up); with t_c the
step time of one worker, speed-up(N) = N · t_c / (t_c + t_ar(N)).

Run ``python -m benchmarks.bench_distributed``; results go to
``benchmarks/results/distributed.{json,md}``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def _load() -> list:
    return [round(x, 2) for x in os.getloadavg()]


def _config(out: Path, threads: int) -> Path:
    from cgmolct.data.shared import shared_data_dir

    md17 = shared_data_dir() / "md17_ethanol"
    cfg = {"task": "energy_forces", "output": str(out), "seed": 0,
           "data": {"format": "md17", "train": str(md17 / "ethanol_kcal_A_train_1024.npz"),
                    "valid": str(md17 / "ethanol_kcal_A_valid_128.npz")},
           "model": {"representation": "EA1"},
           "optimizer": {"lr": 1e-4, "schedule": "constant"},
           "training": {"batch_size": 16, "max_epochs": 2, "checkpoint_every": 0,
                        "progress": False, "threads": threads}}
    path = out.parent / f"{out.name}.json"
    path.write_text(json.dumps(cfg))
    return path


def _train(workers: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench_dist_"))
    cfg = _config(tmp / "run", 2 if workers == 1 else 1)
    cmd = [sys.executable, "-m", "cgmolct.cli", "train", str(cfg)]
    if workers > 1:
        cmd += ["--workers", str(workers)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=dict(os.environ, GLOG_v="3"), capture_output=True,
                          text=True, timeout=3600)
    wall = time.perf_counter() - t0
    if proc.returncode:
        return {"workers": workers, "error": proc.stderr[-800:]}
    s = json.loads((tmp / "run" / "summary.json").read_text())
    fps = s.get("train_frames_per_s_all_workers") or s["train_frames_per_s"]
    return {"workers": workers, "frames_per_s": fps, "epochs": s["epochs"], "steps": s["steps"],
            "wall_s": round(wall, 1), "threads_per_worker": s["threads"],
            "load_average_1_5_15": _load()}


def _cluster_allreduce(sizes) -> dict:
    """AllReduce timings (median of 20) in a 2-worker cluster on loopback."""
    from cgmolct.train.distributed import run_cluster

    tmp = Path(tempfile.mkdtemp(prefix="bench_ar_"))
    out = tmp / "allreduce.json"
    script = tmp / "ar.py"
    script.write_text(
        "import json, sys, time, numpy as np\n"
        "from cgmolct.train import distributed\n"
        "rank, size = distributed.init_worker()\n"
        "from mindspore import Tensor, ops\n"
        "ar = ops.AllReduce()\n"
        f"res = {{}}\n"
        f"for n in {list(sizes)}:\n"
        "    x = Tensor(np.ones(n, np.float32)); ar(x).asnumpy()\n"
        "    ts = []\n"
        "    for _ in range(20):\n"
        "        t0 = time.perf_counter(); ar(x).asnumpy(); ts.append(time.perf_counter() - t0)\n"
        "    res[str(n)] = float(np.median(ts))\n"
        f"if rank == 0:\n    open({str(out)!r}, 'w').write(json.dumps(res))\n")
    run_cluster([sys.executable, str(script)], 2, tmp / "logs", threads=1)
    return {int(k): v for k, v in json.loads(out.read_text()).items()}


def _step_time(kind: str) -> dict:
    """Median time of the compiled step of one CG model (one process, 1 thread)."""
    import warnings

    import mindspore as ms
    from mindspore import Tensor

    from cgmolct.data import MolecularDataset, keys
    from cgmolct.models import MolCT
    from cgmolct.readouts import EnergyForceModel, NodeReadout
    from cgmolct.runtime import set_threads
    from cgmolct.train.losses import ForceLoss
    from cgmolct.train.objective import ForceObjective
    from cgmolct.train.step import TrainStep

    import topologies

    set_threads(1)
    if kind == "ala2_backbone_NIU1":
        from cgmolct.reference import shipped_reference

        graph = shipped_reference("backbone")
        rep, bs = MolCT.preset("NIU1", fixed_cycles=True), 32
    else:
        from MDAnalysisTests.datafiles import DCD, PSF

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            graph = topologies.build_graph(PSF, DCD, mapping="ca")
        rep, bs = MolCT.preset("EA1"), 4
    ds = MolecularDataset.from_graphs(graph)
    batch = ds.batch(np.arange(bs), cutoff=10.0)
    batch.setdefault(keys.FORCES, np.zeros(batch[keys.POSITIONS].shape, np.float32))
    net = EnergyForceModel(rep, NodeReadout(rep.dim))
    step = TrainStep(ForceObjective(net, ForceLoss(), 1.0, model_returns_forces=True),
                     ms.nn.Adam(net.trainable_params(), learning_rate=1e-4))
    inputs = [Tensor(batch[k]) for k in ForceObjective.INPUTS]
    lr = Tensor(np.float32(1e-4))
    step(lr, *inputs)[0].asnumpy()
    ts = []
    for _ in range(10):
        t0 = time.perf_counter()
        step(lr, *inputs)[0].asnumpy()
        ts.append(time.perf_counter() - t0)
    n_params = int(sum(int(np.prod(p.shape)) for p in net.trainable_params()))
    return {"model": kind, "batch_frames": bs, "step_s": float(np.median(ts)), "n_params": n_params}


def _estimate(step: dict, lam: float, beta: float) -> dict:
    b = 4.0 * step["n_params"]
    out = {}
    for n in (2, 8, 64):
        t_ar = 2 * (n - 1) * lam + 2 * (n - 1) / n * b / beta
        out[str(n)] = round(n * step["step_s"] / (step["step_s"] + t_ar), 2)
    return out


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--step":
        print("RESULT " + json.dumps(_step_time(sys.argv[2])), flush=True)
        return 0
    res = {"date": time.strftime("%Y-%m-%d %H:%M"), "cores": os.cpu_count(),
           "load_average_start": _load(), "command": "python -m benchmarks.bench_distributed"}
    res["training"] = [_train(1), _train(2)]
    steps = []
    for kind in ("ala2_backbone_NIU1", "adk_ca_EA1"):
        proc = subprocess.run([sys.executable, "-m", "benchmarks.bench_distributed", "--step", kind],
                              cwd=ROOT, env=dict(os.environ, GLOG_v="3"), capture_output=True,
                              text=True, timeout=1800)
        line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        steps.append(json.loads(line[-1][7:]) if line else {"model": kind, "error": proc.stderr[-600:]})
    sizes = sorted({1} | {s["n_params"] for s in steps if "n_params" in s})
    ar = _cluster_allreduce(sizes)
    lam = ar[1] / 2.0  # one float: 2(N−1) = 2 latency terms at N = 2
    big = max(sizes)
    beta = (big * 4.0) / max(ar[big] - 2 * lam, 1e-9)  # 2(N−1)/N = 1 at N = 2
    res["allreduce_s"] = {str(k): v for k, v in ar.items()}
    res["latency_s"], res["bandwidth_bytes_per_s"] = lam, beta
    res["models"] = [dict(s, estimated_speedup=_estimate(s, lam, beta)) if "step_s" in s else s
                     for s in steps]
    t1, t2 = res["training"]
    if "frames_per_s" in t1 and "frames_per_s" in t2:
        res["speedup_2_workers"] = round(t2["frames_per_s"] / t1["frames_per_s"], 2)
        res["efficiency_per_core"] = round(res["speedup_2_workers"] / 1.0, 2)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "distributed.json").write_text(json.dumps(res, indent=2))
    lines = ["# Data-parallel training", "", f"Measured {res['date']}, {res['cores']} cores, load "
             f"average at start {res['load_average_start']}. Command: `{res['command']}`.", "",
             "| run | frames/s | threads per worker | load |", "|---|---:|---:|---|"]
    for t in res["training"]:
        lines.append(f"| {t['workers']} worker(s) | {t.get('frames_per_s', 'error')} | "
                     f"{t.get('threads_per_worker', '')} | {t.get('load_average_1_5_15', '')} |")
    lines += ["", f"2 workers / 1 process: {res.get('speedup_2_workers', 'n/a')} (both use the "
              "machine's 2 cores: 1 thread each vs 2 threads in one process).", "",
              f"All-reduce on loopback: latency λ = {lam * 1e3:.2f} ms, bandwidth β = "
              f"{beta / 1e6:.0f} MB/s.", "",
              "| model | params | step (1 thread) | est. speed-up 2 / 8 / 64 workers |",
              "|---|---:|---:|---|"]
    for s in res["models"]:
        if "error" in s:
            lines.append(f"| {s['model']} | error | | |")
            continue
        e = s["estimated_speedup"]
        lines.append(f"| {s['model']} (batch {s['batch_frames']}) | {s['n_params']:,} | "
                     f"{s['step_s'] * 1e3:.1f} ms | {e['2']} / {e['8']} / {e['64']} |")
    lines += ["", "Estimate: speed-up(N) = N·t_c / (t_c + 2(N−1)λ + 2(N−1)/N·b/β) for a ring "
              "all-reduce of b = 4·P bytes; loopback λ and β make it an upper bound for a network."]
    (RESULTS / "distributed.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
