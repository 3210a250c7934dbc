"""Simulation benchmark: replica-steps/s of the Langevin loop vs the force call alone.

Cases (each in a fresh subprocess with the CPU thread count set explicitly):

- **ala2**: the 5-bead backbone map of alanine dipeptide (``cgmolct/reference/shipped/ala2.pdb``,
  mapping ``backbone``; a straight 5-bead chain when that file is absent), 64 replicas,
  all-pairs neighbours, for MolCT EA1, MolCT NIU1 (fixed cycles) and SchNet3;
- **adk**: the 214-bead CA graph of AdK (MDAnalysisTests PSF/DCD, mapping ``ca``), one
  replica, neighbour list with a 2 Å skin, for MolCT EA1 and SchNet3.

Models have random weights at the preset sizes (dim 128 by default; ``--dims 32`` adds the
feature size of the CG models the pipeline trains and ships; speed only) and a harmonic
bond prior on the graph's bonds (summed with the network energy before the gradient).
Three timings per case, after compilation:

1. **loop**: :meth:`cgmolct.simulate.Simulation.run` with files (DCD + energies + state
   every ``save_every`` steps), ``steps_per_call`` steps per compiled call;
2. **force loop**: the same number of force evaluations in one compiled ``while`` loop
   with a trivial update (x ← x + 10⁻⁷ F), the cost of the forces alone without integrator,
   checks, noise and host traffic;
3. **force call**: one compiled energy + force call per step from the host.

Overhead = loop time / force-loop time − 1 (target ≤ 20 %), from interleaved rounds (one loop
call of ``steps_per_call`` steps, then one force-loop call of as many force evaluations; the
minimum over rounds of each), in wall time and in process CPU time (less sensitive to other
jobs on a shared machine); the headline rate is the whole ``run`` with files.  Targets: ≥ 5,000 replica-steps/s
(ala2, 64 replicas, 2 cores), ≥ 30 steps/s (AdK).  The 1-min load average is recorded
before and after each case; rows are marked *contended* when it exceeded the number of
cores.  Run ``python -m benchmarks.bench_simulate [--quick] [--threads 2] [--dims 128 32]``;
results go to ``benchmarks/results/simulate.{json,md}`` (rows of other (case, dim) pairs already
there are kept, so cases can be rerun one at a time).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
ALA2_PDB = ROOT / "cgmolct" / "reference" / "shipped" / "ala2.pdb"
CASES = {
    "ala2-EA1": dict(system="ala2", model="EA1", replicas=64),
    "ala2-NIU1": dict(system="ala2", model="NIU1", replicas=64),
    "ala2-SchNet3": dict(system="ala2", model="SchNet3", replicas=64),
    "adk-EA1": dict(system="adk", model="EA1", replicas=1),
    "adk-SchNet3": dict(system="adk", model="SchNet3", replicas=1),
}
TARGETS = {"ala2": ("replica_steps_per_s", 5000.0), "adk": ("steps_per_s", 30.0)}
MAX_OVERHEAD = 0.20


# ---------------------------------------------------------------------- cells
def _cells():
    """The benchmark's MindSpore cells (defined lazily: the driver never imports MindSpore)."""
    import mindspore as ms
    from mindspore import Tensor, nn, ops

    from cgmolct.simulate import ForceCall

    class BondPrior(nn.Cell):
        """E = Σ_bonds ½ k (r − r0)², k = 50 kcal/mol/Å², r0 from a reference frame."""

        def __init__(self, bonds, positions, k: float = 50.0):
            super().__init__()
            bonds = np.asarray(bonds, np.int32).reshape(-1, 2)
            x = np.asarray(positions, np.float64)
            self.i = Tensor(bonds[:, 0].copy())
            self.j = Tensor(bonds[:, 1].copy())
            self.r0 = Tensor(np.linalg.norm(x[bonds[:, 1]] - x[bonds[:, 0]], axis=1).astype(np.float32))
            self.k = float(k)

        def construct(self, positions):
            d = ops.gather(positions, self.j, 1) - ops.gather(positions, self.i, 1)
            r = ops.sqrt((d * d).sum(-1) + 1e-12)
            return 0.5 * self.k * ((r - self.r0) ** 2).sum(-1)

    class ForceLoop(nn.Cell):
        """n force evaluations in one compiled loop, x ← x + 1e-7 F between them.

        The force step is the Langevin loop's (:class:`ForceCall`: position-independent
        features once before the loop, the cutoff refinement every step).
        """

        def __init__(self, potential, cutoff=None):
            super().__init__()
            self.call = ForceCall(potential, cutoff=cutoff)

        def construct(self, positions, n_steps, types, atom_mask, neighbours, neighbour_mask,
                      rel_neighbours, rel_codes, rel_mask):
            x = positions
            features = self.call.features(types, atom_mask, rel_neighbours, rel_codes, rel_mask)
            e, f = self.call.evaluate(x, features, types, atom_mask, neighbours, neighbour_mask,
                                      rel_neighbours, rel_codes, rel_mask)
            i = ops.zeros((), ms.int32) + 1
            while i < n_steps:
                x = x + 1e-7 * f
                e, f = self.call.evaluate(x, features, types, atom_mask, neighbours, neighbour_mask,
                                          rel_neighbours, rel_codes, rel_mask)
                i = i + 1
            return f, e

    return BondPrior, ForceLoop


# ---------------------------------------------------------------------- worker side
def build_graph(system: str):
    import topologies

    if system == "ala2":
        if ALA2_PDB.exists():
            return topologies.build_graph(str(ALA2_PDB), mapping="backbone"), "ala2.pdb backbone"
        from topologies.graph import CGGraph
        x = np.zeros((5, 3), np.float32)
        x[:, 0] = 3.0 * np.arange(5)
        x[1::2, 1] = 1.0
        return (CGGraph(np.array([181, 180, 120, 181, 180]), x, masses=np.full(5, 20.0),
                        bonds=np.stack([np.arange(4), np.arange(1, 5)], 1)),
                "synthetic 5-bead chain (ala2.pdb absent)")
    import MDAnalysisTests.datafiles as d
    return topologies.build_graph(d.PSF, d.DCD, mapping="ca"), "AdK PSF/DCD, mapping ca"


def build_model(name: str, dim: int = 128):
    from cgmolct.models import MolCT, SchNet
    from cgmolct.readouts import EnergyForceModel

    if name == "SchNet3":
        rep = SchNet(n_interactions=3, dim=dim)
    elif name.startswith("NIU"):
        rep = MolCT.preset(name, fixed_cycles=True, dim=dim)
    else:
        rep = MolCT.preset(name, dim=dim)
    return EnergyForceModel(rep)


def worker(spec: dict) -> dict:
    import mindspore as ms

    ms.set_context(runtime_num_threads=int(spec["threads"]))
    ms.set_seed(0)
    BondPrior, ForceLoop = _cells()
    from cgmolct.simulate import Simulation
    from cgmolct.simulate.runner import _compiled

    load = [os.getloadavg()[0]]
    graph, source = build_graph(spec["system"])
    model = build_model(spec["model"], spec.get("dim", 128))
    prior = BondPrior(graph.bonds, graph.positions[0])
    t0 = time.perf_counter()
    sim = Simulation(model, graph, priors=prior, n_replicas=spec["replicas"], dt=0.002,
                     friction=1.0, temperature=300.0, seed=1,
                     steps_per_call=spec["steps_per_call"], skin=2.0)
    sim.advance(spec["steps_per_call"])
    compile_s = time.perf_counter() - t0
    n = spec["steps"]
    with tempfile.TemporaryDirectory() as tmp:
        c0 = time.process_time()
        res = sim.run(n, Path(tmp) / "out", save_every=spec["save_every"], progress=False)
        loop_cpu = time.process_time() - c0
    loop_s = res.wall_s

    floop = ForceLoop(sim.potential, cutoff=sim.potential.r_cut)
    ffn = _compiled(floop)
    from mindspore import Tensor
    spc = spec["steps_per_call"]
    k = Tensor(spc, ms.int32)
    ffn(sim._x, k, *sim._rest)[0].asnumpy()               # compile
    # interleaved rounds (one loop call, one force-loop call): the minimum of each is robust
    # to the load of other jobs drifting during the measurement
    loop_t, force_t, loop_c, force_c = [], [], [], []
    for _ in range(spec["rounds"]):
        t0, c0 = time.perf_counter(), time.process_time()
        sim.advance(spc)
        loop_t.append(time.perf_counter() - t0)
        loop_c.append(time.process_time() - c0)
        t0, c0 = time.perf_counter(), time.process_time()
        ffn(sim._x, k, *sim._rest)[0].asnumpy()
        force_t.append(time.perf_counter() - t0)
        force_c.append(time.process_time() - c0)
    force_loop_s = min(force_t) * n / spc

    single = min(n, spec["single_calls"])
    fc = sim._force_fn
    fc(sim._x, *sim._rest)[1].asnumpy()
    t0 = time.perf_counter()
    for _ in range(single):
        e, f = fc(sim._x, *sim._rest)
        f.asnumpy()
    force_call_s = (time.perf_counter() - t0) * n / single
    load.append(os.getloadavg()[0])
    b = spec["replicas"]
    return {"source": source, "n_beads": graph.n_beads, "neighbours": sim.settings["neighbours"],
            "neighbour_capacity": sim.neighbours.capacity, "neighbour_builds": res.neighbour_builds,
            "compile_s": compile_s, "loop_s": loop_s, "steps": n,
            "replica_steps_per_s": b * n / loop_s, "steps_per_s": n / loop_s,
            "ns_per_day": res.ns_per_day,
            "force_loop_replica_steps_per_s": b * n / force_loop_s,
            "force_call_replica_steps_per_s": b * n / force_call_s,
            "overhead_vs_force_loop": min(loop_t) / min(force_t) - 1.0,
            "overhead_cpu_vs_force_loop": min(loop_c) / min(force_c) - 1.0,
            "overhead_run_with_files_vs_force_loop": loop_s / force_loop_s - 1.0,
            "overhead_vs_force_call": loop_s / force_call_s - 1.0,
            "loop_cpu_s": loop_cpu, "rounds": spec["rounds"],
            "round_loop_s": loop_t, "round_force_loop_s": force_t,
            "round_loop_cpu_s": loop_c, "round_force_loop_cpu_s": force_c,
            "compiled_shapes": len(sim.shapes), "load_avg_1min": load,
            "threads": int(spec["threads"]), "cpu_count": os.cpu_count()}


# ---------------------------------------------------------------------- driver side
def _spawn(name: str, spec: dict, timeout: int) -> dict:
    env = dict(os.environ, GLOG_v="3", PYTHONPATH=str(ROOT), OMP_NUM_THREADS=str(spec["threads"]),
               OPENBLAS_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "benchmarks.bench_simulate", "--worker", json.dumps(spec)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)
    except subprocess.TimeoutExpired:
        return {"case": name, "error": f"timeout after {timeout} s", **spec}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode or not lines:
        tail = proc.stderr.strip().splitlines()
        return {"case": name, "error": tail[-1] if tail else "no result", **spec}
    out = {"case": name, **spec, **json.loads(lines[-1][7:])}
    out["wall_s"] = time.perf_counter() - t0
    # the benchmark itself keeps ~threads + 1 busy (kernel threads + the dispatch thread)
    out["contended"] = max(out["load_avg_1min"]) > out["cpu_count"] + 1
    print(json.dumps(out), flush=True)
    return out


def _fmt(v, digits=0):
    if v is None:
        return "–"
    if digits == 0 and abs(v) < 100:
        digits = 1
    return f"{v:,.{digits}f}"


def write_markdown(res: dict, path: Path) -> None:
    rows = res["cases"]
    loads = [x for r in rows if "load_avg_1min" in r for x in r["load_avg_1min"]]
    contended = any(r.get("contended") for r in rows)
    lines = ["# Simulation benchmark", "",
             f"{res['machine']}, {res['date']}, {res['threads']} MindSpore threads, "
             f"{'**quick run** (few steps), ' if res['quick'] else ''}script "
             "`benchmarks/bench_simulate.py`.", ""]
    if contended:
        lines += [f"**Contended**: the 1-min load average was {min(loads):.1f}–{max(loads):.1f} on "
                  f"{rows[0].get('cpu_count', '?')} cores during the run (other jobs on the "
                  "machine; the benchmark alone keeps about its threads + 1 busy); absolute rates are low, ratios within one case are more telling.", ""]
    lines += ["BAOAB Langevin (Δt 2 fs, γ 1/ps, 300 K), random-weight models at preset size "
              "(feature size in the *dim* column) + harmonic bond prior. *loop*: `Simulation.run` with DCD/energy/state "
              "output; *force loop*: the same force evaluations in one compiled loop without "
              "the integrator; *force call*: one compiled force call per step from the host. "
              "Overhead = loop / force loop − 1 from interleaved rounds (one loop call, one "
              "force-loop call of the same number of steps; minimum over rounds of each), in wall "
              "time and in process CPU time (the latter is less sensitive to other jobs). Rates in "
              "replica-steps/s; *loop* is the whole `run` with files.", "",
              "| case | dim | beads × replicas | neighbours (K) | steps/call | loop | "
              "steps/s | ns/day | force loop | force call | overhead (wall) | overhead (CPU) | "
              "compile (s) | load |",
              "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['case']} | {r.get('dim', 128)} | error: {r['error'][:100]} | | | | | | | | | | | |")
            continue
        lines.append(
            f"| {r['case']} | {r.get('dim', 128)} | {r['n_beads']} × {r['replicas']} | {r['neighbours']} "
            f"({r['neighbour_capacity']}) | {r['steps_per_call']} | "
            f"{_fmt(r['replica_steps_per_s'])} | {_fmt(r['steps_per_s'], 1)} | "
            f"{_fmt(r['ns_per_day'], 2)} | {_fmt(r['force_loop_replica_steps_per_s'])} | "
            f"{_fmt(r['force_call_replica_steps_per_s'])} | "
            f"{100 * r['overhead_vs_force_loop']:+.0f} % | "
            f"{100 * r['overhead_cpu_vs_force_loop']:+.0f} % | {r['compile_s']:.1f} | "
            f"{r['load_avg_1min'][0]:.1f}→{r['load_avg_1min'][1]:.1f} |")
    lines += ["", "## Status against the targets", ""]
    for r in rows:
        if "error" in r:
            continue
        key, target = TARGETS[r["system"]]
        value = r[key]
        unit = "replica-steps/s" if key == "replica_steps_per_s" else "steps/s"
        status = "met" if value >= target else "**not met**"
        ov = r["overhead_cpu_vs_force_loop"]
        lines.append(f"- {r['case']} (dim {r.get('dim', 128)}): {value:,.1f} {unit} (target ≥ {target:,.0f}): {status}"
                     f"{' (contended)' if r.get('contended') else ''}; overhead {100 * ov:+.0f} % "
                     f"in CPU time (target ≤ {100 * MAX_OVERHEAD:.0f} %): "
                     f"{'met' if ov <= MAX_OVERHEAD else '**not met**'}.")
    lines += ["", "The CG models the pipeline trains and ships (`cgmolct/pipeline/shipped/`) have "
              "dim 32; the preset size is 128. SchNet's filter size equals *dim* (SchNetPack's "
              "default; the filter network on every neighbour pair is most of its cost). NIU1 "
              "runs its block three times per step (fixed cycles), so it costs about 2–3× EA1.", "",
              "Per step the loop runs one forward pass (energy and forces from one "
              "`value_and_grad`) and only the position-dependent part of the network: the type "
              "embedding and MolCT's RME are computed once per compiled call, before the loop "
              "(`CGPotential.embed`, `CGPotential.of_features`); the force loop does the same.", ""]
    lines += ["Each case compiles once (`compiled shapes` = 1 in the JSON for all-pairs "
              "lists; a neighbour-list case may add one shape when a replica needs a larger "
              "bucket), and the host sees the state only every `steps_per_call` steps.", ""]
    path.write_text("\n".join(lines))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--quick", action="store_true", help="few steps, to prove the script works")
    p.add_argument("--threads", type=int, default=2, help="MindSpore CPU threads (default 2)")
    p.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    p.add_argument("--steps-per-call", type=int, default=50)
    p.add_argument("--timeout", type=int, default=3600)
    p.add_argument("--dims", type=int, nargs="+", default=[128], help="feature sizes (default 128)")
    args = p.parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(worker(json.loads(args.worker))), flush=True)
        return 0
    names = [c for c in args.cases.split(",") if c]
    unknown = [c for c in names if c not in CASES]
    if unknown:
        p.error(f"unknown cases {unknown}; known: {', '.join(CASES)}")
    results = []
    for dim in args.dims:
        for name in names:
            case = CASES[name]
            ala = case["system"] == "ala2"
            steps = (100 if ala else 20) if args.quick else (2000 if ala else 300)
            spec = dict(case, dim=dim, threads=args.threads, steps_per_call=min(args.steps_per_call, steps),
                        steps=steps, save_every=steps // 2 if args.quick else 500,
                        single_calls=10 if args.quick else 50, rounds=3 if args.quick else 10)
            results.append(_spawn(name, spec, args.timeout))
    # keep the rows of other (case, dim) pairs from an earlier run (same quick setting)
    old_path = RESULTS / "simulate.json"
    if old_path.exists():
        old = json.loads(old_path.read_text())
        if bool(old.get("quick")) == bool(args.quick):
            done = {(r["case"], r.get("dim", 128)) for r in results}
            results = [r for r in old["cases"] if (r["case"], r.get("dim", 128)) not in done] + results
            results.sort(key=lambda r: (-r.get("dim", 128), list(CASES).index(r["case"])
                                        if r["case"] in CASES else 99))
    res = {"machine": f"{platform.platform()}, {os.cpu_count()} CPUs",
           "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "threads": args.threads,
           "quick": bool(args.quick), "cases": results,
           "targets": {"ala2_replica_steps_per_s": 5000, "adk_steps_per_s": 30,
                       "max_overhead": MAX_OVERHEAD}}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "simulate.json").write_text(json.dumps(res, indent=1))
    write_markdown(res, RESULTS / "simulate.md")
    print(f"wrote {RESULTS / 'simulate.json'} and simulate.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
