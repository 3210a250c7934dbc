"""Training benchmark: the path a user runs (``cgmolct train``) beside its bare compiled step,
and the same force-matching step beside SchNetPack's (PyTorch) in one run.

1. **Trainer vs bare step** (MD17 ethanol, 1,024 training frames, batch 32, energy + forces):
   in one process, :func:`cgmolct.train.run.build_run` builds the model, data and trainer of
   the configuration ``cgmolct train`` would run; the bare loop then calls the trainer's own
   compiled :class:`~cgmolct.train.step.TrainStep` on pre-made batches (tensors ready, no
   host work), and the trainer's ``fit`` runs the same model on the same data for the same
   number of steps.  Reported: frames/s of the bare step, of the trainer's steps (batch
   assembly + step, from ``summary.json``) and of the whole run (validation and checkpoints
   included), and the ratio trainer/bare (target ≥ 0.8).
2. **Peers** (``--peers``; needs ``make bench-peers`` first): frames/s of one force-matching
   training step (forces-only MSE, Adam) of our SchNet3, EA1, EA3 and NIU1 (fixed cycles) and
   of SchNetPack's SchNet (3 interactions, 128 features, same cutoff) on MD17 ethanol (batch
   32) and the 214-bead AdK CA graph (batch 4; random reference forces: throughput only), with
   the same threads, in turns within one run; ratios ours/SchNetPack and parameter counts.

Each measurement runs in its own subprocess (compile caches and memory do not mix), one at a
time; thread counts are set explicitly and the load average is recorded with each row: on a
busy machine the absolute numbers mean little, the ratios in one run more.

Run ``python -m benchmarks.bench_training [--quick] [--peers]``; results go to
``benchmarks/results/training.{json,md}``.
"""
from __future__ import annotations

import argparse
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
PEER_PYTHON = ROOT / ".venv-peers" / "bin" / "python"
TRAINER_MODELS = ("EA1", "SchNet3", "NIU1")
PEER_MODELS = ("SchNet3", "EA1", "EA3", "NIU1")
CUTOFF = 10.0


def _md17(name: str) -> Path:
    from cgmolct.data.shared import shared_data_dir

    return shared_data_dir() / "md17_ethanol" / f"ethanol_kcal_A_{name}.npz"


def _load() -> list:
    return [round(x, 2) for x in os.getloadavg()]


def _cpu() -> str:
    """CPU model and the vector extensions that change kernel speed (from /proc/cpuinfo)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown"
    model = next((ln.split(":", 1)[1].strip() for ln in text.splitlines()
                  if ln.startswith("model name")), "unknown")
    flags = next((set(ln.split(":", 1)[1].split()) for ln in text.splitlines()
                  if ln.startswith("flags")), set())
    wanted = ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile")
    return f"{model} ({', '.join(f for f in wanted if f in flags) or 'no AVX2'})"


# ---------------------------------------------------------------- 1. trainer vs bare step
def trainer_vs_bare(model: str, steps: int, threads: int) -> dict:
    """Bare compiled step and ``Trainer.fit`` of one configuration, in this process."""
    import mindspore as ms

    from cgmolct.train.config import validate_config
    from cgmolct.train.run import build_run

    out = Path(tempfile.mkdtemp(prefix="bench_train_"))
    cfg = validate_config({
        "task": "energy_forces", "output": str(out / "run"), "seed": 0,
        "data": {"format": "md17", "train": str(_md17("train_1024")),
                 "valid": str(_md17("valid_128")), "cutoff": CUTOFF},
        "model": {"representation": model},  # NIU: fixed cycles for energy tasks
        "optimizer": {"lr": 1e-4, "schedule": "constant"},
        "training": {"batch_size": 32, "max_steps": steps, "max_epochs": 1000,
                     "validate_every": 1, "checkpoint_every": 0, "progress": False,
                     "threads": threads},
    }, "bench")
    trainer, info = build_run(cfg)
    bs = cfg["training"]["batch_size"]
    n_batches = len(trainer.train_data) // bs
    order = np.random.default_rng(1).permutation(len(trainer.train_data))
    batches = [trainer._inputs(trainer.train_data.batch(order[k * bs:(k + 1) * bs]))
               for k in range(min(n_batches, steps))]
    lr = ms.Tensor(np.float32(1e-4))
    t0 = time.perf_counter()
    trainer._step(lr, *batches[0])[0].asnumpy()
    compile_s = time.perf_counter() - t0
    done, t0 = 0, time.perf_counter()
    while done < steps:
        trainer._step(lr, *batches[done % len(batches)])[0].asnumpy()
        done += 1
    bare_fps = steps * bs / (time.perf_counter() - t0)
    summary = trainer.fit()
    trainer_fps = summary["train_frames_per_s"]
    return {"model": model, "n_params": info["n_params"], "batch_size": bs, "steps": steps,
            "compile_s": round(compile_s, 2), "bare_step_frames_per_s": round(bare_fps, 1),
            "trainer_step_frames_per_s": trainer_fps,
            "trainer_wall_frames_per_s": round(summary["steps"] * bs / summary["elapsed_s"], 1),
            "ratio_trainer_over_bare": round(trainer_fps / bare_fps, 3),
            "threads": summary["threads"], "load_average_1_5_15": _load()}


# ---------------------------------------------------------------- 2. peers
def _adk_arrays(path: Path) -> None:
    """AdK CA positions (98 frames x 214 beads) and bead types as a plain npz for both sides."""
    import warnings

    from MDAnalysisTests.datafiles import DCD, PSF

    import topologies

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = topologies.build_graph(PSF, DCD, mapping="ca")
    rng = np.random.default_rng(0)
    np.savez(path, z=np.asarray(g.types, np.int64), R=np.asarray(g.positions, np.float32),
             F=rng.normal(size=g.positions.shape).astype(np.float32))


def _batches(system: str, adk: Path):
    if system == "md17":
        d = np.load(_md17("train_1024"))
        return d["z"].reshape(-1).astype(np.int64), d["R"].astype(np.float32), d["F"].astype(np.float32), 32
    d = np.load(adk)
    return d["z"], d["R"], d["F"], 4


def ours_step(model: str, system: str, adk: Path, repeats: int, threads: int) -> dict:
    """Frames/s of our compiled forces-only training step on fixed batches."""
    import mindspore as ms
    from mindspore import Tensor

    from cgmolct.data.batch import collate
    from cgmolct.models import MolCT, SchNet
    from cgmolct.readouts import EnergyForceModel, NodeReadout
    from cgmolct.runtime import set_threads
    from cgmolct.train.losses import ForceLoss
    from cgmolct.train.objective import ForceObjective
    from cgmolct.train.step import TrainStep

    set_threads(threads)
    z, r, f, bs = _batches(system, adk)
    if model == "SchNet3":
        rep = SchNet(n_interactions=3, r_cut=CUTOFF)
    elif model == "NIU1":
        rep = MolCT.preset("NIU1", fixed_cycles=True, r_cut=CUTOFF)
    else:
        rep = MolCT.preset(model, r_cut=CUTOFF)
    net = EnergyForceModel(rep, NodeReadout(rep.dim))
    objective = ForceObjective(net, ForceLoss(), 1.0, model_returns_forces=True)
    opt = ms.nn.Adam(net.trainable_params(), learning_rate=1e-4)
    step = TrainStep(objective, opt)
    lr = Tensor(np.float32(1e-4))
    batches = []
    for k in range(4):
        idx = np.arange(k * bs, (k + 1) * bs) % len(r)
        samples = [{"types": z, "positions": r[i], "rel_pairs": np.zeros((0, 2), np.int32),
                    "rel_codes": np.zeros(0, np.int32), "forces": f[i]} for i in idx]
        b = collate(samples, cutoff=CUTOFF)
        batches.append([Tensor(b[key]) for key in ForceObjective.INPUTS])
    t0 = time.perf_counter()
    step(lr, *batches[0])[0].asnumpy()
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for k in range(repeats):
        step(lr, *batches[k % 4])[0].asnumpy()
    fps = repeats * bs / (time.perf_counter() - t0)
    n_params = int(sum(int(np.prod(p.shape)) for p in net.trainable_params()))
    return {"side": "cgmolct", "model": model, "system": system, "batch_size": bs,
            "frames_per_s": round(fps, 1), "compile_s": round(compile_s, 2),
            "n_params": n_params, "threads": threads, "load_average_1_5_15": _load()}


def memory_step(n_beads: int, threads: int, repeats: int = 2, chunk: int = 0) -> dict:
    """Peak RSS and time of one force-matching training step (EA3 + RME, dim 128) on n beads.

    One random chain at 0.01 beads/Å³ (the ``benchmarks.bench_models`` scaling sample: sequence
    relations up to |i − j| = 3, cutoff 10 Å), batch 1, the whole graph in one compiled
    :class:`~cgmolct.train.step.TrainStep` (forces by autodiff, loss on forces, gradients of the
    parameters through the force derivative, Adam); with ``chunk`` > 0 the same step over chunks
    of that many centre beads (:class:`~cgmolct.train.chunked_step.ChunkedTrainStep`).
    ``rss_before_step_mb`` is the process after building the model and batch (MindSpore runtime
    included).
    """
    import resource

    import mindspore as ms
    from mindspore import Tensor

    from benchmarks.bench_models import _chain_sample
    from cgmolct.data.batch import collate
    from cgmolct.models import MolCT
    from cgmolct.readouts import EnergyForceModel, NodeReadout
    from cgmolct.runtime import set_threads
    from cgmolct.train.losses import ForceLoss
    from cgmolct.train.objective import ForceObjective
    from cgmolct.train.chunked_step import ChunkedTrainStep
    from cgmolct.train.step import TrainStep

    set_threads(threads)
    ms.set_seed(0)
    sample = _chain_sample(n_beads)
    sample["forces"] = np.random.default_rng(1).normal(size=(n_beads, 3)).astype(np.float32)
    batch = collate([sample], cutoff=CUTOFF)
    rep = MolCT.preset("EA3", r_cut=CUTOFF, use_rme=True)
    net = EnergyForceModel(rep, NodeReadout(rep.dim))
    objective = ForceObjective(net, ForceLoss(), 1.0, model_returns_forces=True)
    opt = ms.nn.Adam(net.trainable_params(), learning_rate=1e-4)
    step = ChunkedTrainStep(objective, opt, chunk_size=chunk) if chunk else TrainStep(objective, opt)
    lr = Tensor(np.float32(1e-4))
    args = [Tensor(batch[key]) for key in ForceObjective.INPUTS]
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    step(lr, *args)[0].asnumpy()
    first = time.perf_counter() - t0
    peak_compile = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    steady = None
    try:  # reset the kernel's peak-RSS mark: the steps' own peak, without the compiler's
        Path("/proc/self/clear_refs").write_text("5")
        steady = True
    except OSError:
        pass
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step(lr, *args)[0].asnumpy()
        times.append(time.perf_counter() - t0)
    if steady:
        hwm = [ln for ln in Path("/proc/self/status").read_text().splitlines() if ln.startswith("VmHWM")]
        steady = round(int(hwm[0].split()[1]) / 1024) if hwm else None
    return {"n_beads": n_beads, "peak_rss_first_step_mb": round(peak_compile),
            "peak_rss_steps_mb": steady, "bead_capacity": int(batch["types"].shape[1]),
            "neighbour_capacity": int(batch["neighbours"].shape[2]),
            "slots": int(batch["types"].shape[1]) * (int(batch["neighbours"].shape[2]) + 1),
            "rss_before_step_mb": round(rss0),
            "first_step_s": round(first, 2), "step_s": round(min(times), 3), "threads": threads,
            "step": f"ChunkedTrainStep (chunk {chunk})" if chunk else "TrainStep (whole graph)",
            "load_average_1_5_15": _load()}


def _subprocess(args: list, python: str = sys.executable) -> dict:
    env = dict(os.environ, GLOG_v="3", OMP_NUM_THREADS=str(args[args.index("--threads") + 1]))
    proc = subprocess.run([python, "-m", "benchmarks.bench_training", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1800)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode or not lines:
        return {"error": (proc.stderr or proc.stdout)[-800:], "args": args}
    return json.loads(lines[-1][len("RESULT "):])


def _peer_subprocess(system: str, adk: Path, repeats: int, threads: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    proc = subprocess.run([str(PEER_PYTHON), str(ROOT / "benchmarks" / "peers" / "schnetpack_step.py"),
                           "--system", system, "--adk", str(adk), "--md17", str(_md17("train_1024")),
                           "--repeats", str(repeats), "--threads", str(threads),
                           "--cutoff", str(CUTOFF)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode or not lines:
        return {"error": (proc.stderr or proc.stdout)[-800:], "side": "schnetpack"}
    return json.loads(lines[-1][len("RESULT "):])


def _markdown(res: dict) -> str:
    lines = ["# Training throughput", "",
             f"Measured {res['date']} on {res['cores']} cores ({res.get('cpu', 'CPU not recorded')}), "
             f"{res['threads']} threads; "
             f"load average at start {res['load_average_start']}. Command: `{res['command']}`.",
             "", "## `cgmolct train` beside its bare compiled step (MD17 ethanol, batch 32)", "",
             "| model | params | bare step frames/s | trainer steps frames/s | trainer/bare | "
             "whole run frames/s (validation, checkpoints) | load |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for r in res["trainer_vs_bare"]:
        if "error" in r:
            lines.append(f"| {r.get('args')} | error: {r['error'][-120:]!r} | | | | | |")
            continue
        lines.append(f"| {r['model']} | {r['n_params']:,} | {r['bare_step_frames_per_s']:.0f} | "
                     f"{r['trainer_step_frames_per_s']:.0f} | {r['ratio_trainer_over_bare']:.2f} | "
                     f"{r['trainer_wall_frames_per_s']:.0f} | {r['load_average_1_5_15']} |")
    lines += ["", "Target: trainer/bare ≥ 0.8."]
    if res.get("peers"):
        lines += ["", "## Force-matching step beside SchNetPack (same batches, cutoff "
                  f"{CUTOFF:g} Å, {res['threads']} threads)", "",
                  "| system | model | params | frames/s | ÷ SchNetPack SchNet3 | load |",
                  "|---|---|---:|---:|---:|---|"]
        for system, rows in res["peers"].items():
            peer = rows.get("schnetpack", {})
            base = peer.get("frames_per_s")
            for name, r in rows.items():
                if "error" in r:
                    lines.append(f"| {system} | {name} | error: {r['error'][-100:]!r} | | | |")
                    continue
                ratio = f"{r['frames_per_s'] / base:.2f}" if base else "n/a"
                lines.append(f"| {system} | {name} | {r['n_params']:,} | {r['frames_per_s']:.3g} | "
                             f"{ratio} | {r['load_average_1_5_15']} |")
        lines += ["", "Target: MolCT ≥ 1.0× SchNetPack's SchNet (3 interactions, 128 features). "
                  "Each row ran in its own process, one after the other; compare the load "
                  "column: when the machine's load changed during the run, ratios between rows "
                  "run at different loads are biased."]
    if res.get("finding"):
        lines += ["", res["finding"]]
    mem = res.get("memory")
    if mem:
        lines += ["", "## Memory of one training step (EA3 + RME, dim 128, batch 1)", "",
                  f"Measured {mem['date']}. Command: `{mem['command']}`. Random chain at 0.01 beads/Å³, "
                  "cutoff 10 Å; forces by autodiff and parameter gradients through them, Adam. "
                  "`TrainStep` is the whole graph compiled as one step; `ChunkedTrainStep` "
                  "(`training.chunk_size`) computes the same loss and gradients layer by layer "
                  "over chunks of centre beads (`cgmolct/train/chunked_step.py`). Peak RSS is the "
                  "whole process; the MindSpore runtime, model and batch alone take the 'before "
                  "step' column.", "",
                  "| beads | step | neighbour capacity | slots N·(K+1) | before step (MB) "
                  "| peak, first step incl. compile (MB) | peak of later steps (MB) | step (s) | "
                  "threads | load |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for r in mem["rows"]:
            if "error" in r:
                lines.append(f"| {r.get('args')} | error: {r['error'][-120:]} | | | | | | | | |")
                continue
            lines.append(f"| {r['n_beads']:,} | {r.get('step', 'TrainStep (whole graph)')} | "
                         f"{r['neighbour_capacity']} | "
                         f"{r['slots']:,} | {r['rss_before_step_mb']:,} | {r['peak_rss_first_step_mb']:,} | "
                         f"{r.get('peak_rss_steps_mb') or '–'} | {r['step_s']} | {r['threads']} | "
                         f"{r['load_average_1_5_15'][0]} |")
        if mem.get("verdict"):
            lines += ["", mem["verdict"]]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="few steps (a check that it runs)")
    p.add_argument("--peers", action="store_true", help="also the SchNetPack comparison")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--render", action="store_true",
                   help="rewrite training.md from the committed training.json")
    p.add_argument("--one", nargs="+", help=argparse.SUPPRESS)
    p.add_argument("--adk", help=argparse.SUPPRESS)
    p.add_argument("--repeats", type=int, default=None, help="timed peer steps per model")
    p.add_argument("--steps", type=int, default=None, help="trainer/bare steps per model")
    p.add_argument("--memory", nargs="*", type=int, metavar="BEADS",
                   help="only the training-step memory section, at these bead counts (default "
                        "1000 5000), whole graph and chunked; merged into the committed training.json")
    p.add_argument("--chunk", type=int, default=128,
                   help="centre beads per chunk of the chunked step in --memory (default 128)")
    args = p.parse_args(argv)
    steps = args.steps or (8 if args.quick else 64)
    if args.render:
        res = json.loads((RESULTS / "training.json").read_text())
        (RESULTS / "training.md").write_text(_markdown(res))
        return 0
    repeats = args.repeats or (4 if args.quick else 24)
    if args.memory is not None and not args.one:
        rows = []
        for n in args.memory or [1000, 5000]:
            for chunk in (0, args.chunk):
                rows.append(_subprocess(["--one", "memory", str(n), str(chunk),
                                         "--threads", str(args.threads)]))
                print(json.dumps(rows[-1]), flush=True)
        res = json.loads((RESULTS / "training.json").read_text())
        res["memory"] = {"date": time.strftime("%Y-%m-%d %H:%M"),
                         "command": "python -m benchmarks.bench_training --memory "
                         + " ".join(str(n) for n in (args.memory or [1000, 5000]))
                         + f" --chunk {args.chunk}", "rows": rows}
        (RESULTS / "training.json").write_text(json.dumps(res, indent=2))
        (RESULTS / "training.md").write_text(_markdown(res))
        return 0
    if args.one:
        kind, *rest = args.one
        if kind == "trainer":
            res = trainer_vs_bare(rest[0], steps, args.threads)
        elif kind == "memory":
            res = memory_step(int(rest[0]), args.threads, chunk=int(rest[1]) if len(rest) > 1 else 0)
        else:
            res = ours_step(rest[0], rest[1], Path(args.adk), repeats, args.threads)
        print("RESULT " + json.dumps(res), flush=True)
        return 0
    res = {"date": time.strftime("%Y-%m-%d %H:%M"), "cores": os.cpu_count(), "cpu": _cpu(),
           "threads": args.threads, "load_average_start": _load(),
           "command": "python -m benchmarks.bench_training" + (" --quick" if args.quick else "")
           + (" --peers" if args.peers else "") + f" --steps {steps} --repeats {repeats}", "trainer_vs_bare": [], "peers": {}}
    for model in TRAINER_MODELS:
        r = _subprocess(["--one", "trainer", model, "--threads", str(args.threads),
                         "--steps", str(steps)])
        print(json.dumps(r), flush=True)
        res["trainer_vs_bare"].append(r)
    if args.peers:
        adk = Path(tempfile.mkdtemp(prefix="bench_peer_")) / "adk_ca.npz"
        _adk_arrays(adk)
        for system in ("md17", "adk_ca"):
            rows = {"schnetpack": _peer_subprocess(system, adk, repeats, args.threads)}
            print(json.dumps(rows["schnetpack"]), flush=True)
            for model in PEER_MODELS:
                rows[model] = _subprocess(["--one", "step", model, system, "--adk", str(adk),
                                           "--threads", str(args.threads),
                                           "--repeats", str(repeats)])
                print(json.dumps(rows[model]), flush=True)
            res["peers"][system] = rows
    if args.quick:  # a check that it runs: do not overwrite the committed results
        print(_markdown(res))
        return 0
    RESULTS.mkdir(parents=True, exist_ok=True)
    if (RESULTS / "training.json").exists():  # keep the memory section of an earlier run
        old = json.loads((RESULTS / "training.json").read_text())
        if "memory" in old:
            res["memory"] = old["memory"]
    (RESULTS / "training.json").write_text(json.dumps(res, indent=2))
    (RESULTS / "training.md").write_text(_markdown(res))
    print(_markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
