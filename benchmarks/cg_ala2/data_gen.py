"""Alanine-dipeptide reference data for the CG benchmark: several independent OpenMM runs.

Runs ``cgmolct.reference.run_reference`` (ACE-ALA-NME, AMBER ff03 + OBC, 300 K, friction
1/ps, 1 fs, no constraints, one frame per ps) for each seed in its own process, all at
once, each in ``OUT/seed_N/`` (resumable: run the same command again to continue or, with a
larger ``--ns``, to extend).  While they run, ``OUT/INDEX.json`` is rewritten every
``--poll`` seconds with what every seed has completed so far (frames, ns, chunk files,
speed, load average), so other jobs can use finished chunks before the end.

Example (the long benchmark set, at low priority)::

    nice -n 10 python benchmarks/cg_ala2/data_gen.py --out /tmp/ala2_ref --seeds 1 2 3 4 --ns 25

Read partial data with ``cgmolct.reference.assemble_graph(OUT/seed_N, output=...)`` (only
complete chunks are read).
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

INDEX_FORMAT = "cgmolct-reference-index"


def _worker(args) -> int:
    from cgmolct.reference import ReferenceSettings, run_reference

    settings = ReferenceSettings(temperature=args.temperature, friction=args.friction,
                                 timestep=args.timestep, n_steps=int(round(args.ns * 1000 / args.timestep)),
                                 save_every=args.save_every, chunk_frames=args.chunk_frames,
                                 equilibration_steps=args.equilibration_steps, seed=args.seed,
                                 platform=args.platform)
    run_reference(Path(args.out) / f"seed_{args.seed}", settings, label=f"seed {args.seed}")
    return 0


def _index(out: Path, seeds: List[int], target_ns: float, started: float) -> Dict:
    import topologies
    from cgmolct.reference.chunks import RunFolder

    entries = []
    total_ns = 0.0
    for seed in seeds:
        run = RunFolder(out / f"seed_{seed}")
        entry = {"seed": seed, "folder": str(run.folder), "n_frames": 0, "ns": 0.0, "chunks": [],
                 "complete": False, "graph": None}
        if run.settings_file.exists():
            settings = run.read_settings()
            done = run.read_progress()
            ns = done["n_frames"] * settings["save_interval_ps"] * 1e-3
            entry.update(n_frames=done["n_frames"], ns=round(ns, 6),
                         chunks=[str(run.chunk_file(i)) for i in range(done["n_chunks"])],
                         complete=ns >= target_ns - 1e-9, pdb=str(run.pdb_file),
                         settings={k: settings[k] for k in ("temperature", "friction", "timestep", "save_every",
                                                            "forcefield", "platform_used", "openmm_version",
                                                            "constraints", "equilibration_steps")})
            times = [run.chunk_file(i).stat().st_mtime for i in (0, done["n_chunks"] - 1)] if done["n_chunks"] > 1 else []
            if times and times[1] > times[0]:  # wall-clock speed between the first and the last chunk
                chunk_ns = settings["chunk_frames"] * settings["save_interval_ps"] * 1e-3
                entry["speed_ns_per_day"] = round((done["n_chunks"] - 1) * chunk_ns / (times[1] - times[0]) * 86400, 1)
            graph = run.folder / "reference.npz"
            if entry["complete"] and graph.exists():
                entry["graph"] = str(graph)
            for name in ("allatom_partial", "backbone_partial"):
                path = run.folder / f"{name}.npz"
                if path.exists():  # made by --assemble-partial: the chunks complete at that time
                    entry[name] = {"path": str(path), "n_frames": topologies.CGGraph.load(path, mmap=True).n_frames}
            total_ns += ns
        entries.append(entry)
    elapsed = time.time() - started
    return {"format": INDEX_FORMAT, "version": 1,
            "description": "alanine dipeptide (ACE-ALA-NME) all-atom reference, AMBER ff03 + OBC; chunk "
                           "npz: positions (frames, 22, 3) float32 Å, forces float32 kcal/mol/Å, energies "
                           "float64 kcal/mol (potential), steps int64; topology in system.pdb; read with "
                           "cgmolct.reference.assemble_graph(folder, output=...)",
            "target_ns_per_seed": target_ns, "total_ns": round(total_ns, 6), "seeds": entries,
            "updated_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "wall_s_this_session": round(elapsed, 1), "loadavg": list(os.getloadavg()),
            "cpu_count": os.cpu_count()}


def _assemble_partial(out: Path, seeds: List[int]) -> None:
    """All-atom and backbone graphs of the complete chunks of each seed (runs may go on later)."""
    from cgmolct.reference import assemble_graph, map_reference
    from cgmolct.reference.chunks import RunFolder

    for seed in seeds:
        run = RunFolder(out / f"seed_{seed}")
        if not run.settings_file.exists() or run.read_progress()["n_chunks"] == 0:
            continue
        graph = assemble_graph(run.folder, output=run.folder / "allatom_partial.npz")
        map_reference(graph, "backbone", output=run.folder / "backbone_partial.npz")


def _write_index(out: Path, index: Dict) -> None:
    from cgmolct.train.checkpoint import atomic_write_text

    atomic_write_text(out / "INDEX.json", json.dumps(index, indent=1) + "\n")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="/tmp/ala2_ref", help="output folder (one seed_N/ per seed)")
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    p.add_argument("--ns", type=float, default=25.0, help="production length per seed (ns)")
    p.add_argument("--temperature", type=float, default=300.0, help="K")
    p.add_argument("--friction", type=float, default=1.0, help="1/ps")
    p.add_argument("--timestep", type=float, default=0.001, help="ps")
    p.add_argument("--save-every", type=int, default=1000, help="steps between frames")
    p.add_argument("--chunk-frames", type=int, default=1000)
    p.add_argument("--equilibration-steps", type=int, default=100_000)
    p.add_argument("--platform", default="auto")
    p.add_argument("--poll", type=float, default=60.0, help="seconds between INDEX.json updates")
    p.add_argument("--watch", action="store_true",
                   help="start nothing: rewrite INDEX.json for --seeds (runs started elsewhere) until all complete")
    p.add_argument("--assemble-partial", action="store_true",
                   help="start nothing: write the complete chunks of every seed as graphs "
                        "seed_N/allatom_partial.npz and seed_N/backbone_partial.npz, then INDEX.json")
    p.add_argument("--seed", type=int, default=None, help=argparse.SUPPRESS)  # worker mode
    args = p.parse_args(argv)
    if args.seed is not None:
        return _worker(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    if args.assemble_partial:
        _assemble_partial(out, args.seeds)
        _write_index(out, _index(out, args.seeds, args.ns, started))
        return 0
    if args.watch:
        while True:
            index = _index(out, args.seeds, args.ns, started)
            _write_index(out, index)
            if all(e["complete"] for e in index["seeds"]):
                return 0
            time.sleep(args.poll)
    common = ["--out", str(out), "--ns", str(args.ns), "--temperature", str(args.temperature),
              "--friction", str(args.friction), "--timestep", str(args.timestep),
              "--save-every", str(args.save_every), "--chunk-frames", str(args.chunk_frames),
              "--equilibration-steps", str(args.equilibration_steps), "--platform", args.platform]
    procs = {}
    for seed in args.seeds:
        log = open(out / f"seed_{seed}.log", "a")
        procs[seed] = subprocess.Popen([sys.executable, __file__, *common, "--seed", str(seed)],
                                       stdout=log, stderr=subprocess.STDOUT)
    failed = []
    while procs:
        time.sleep(args.poll if procs else 0)
        for seed, proc in list(procs.items()):
            if proc.poll() is not None:
                if proc.returncode != 0:
                    failed.append(seed)
                del procs[seed]
        _write_index(out, _index(out, args.seeds, args.ns, started))
    index = _index(out, args.seeds, args.ns, started)
    _write_index(out, index)
    print(json.dumps({"total_ns": index["total_ns"], "failed_seeds": failed}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
