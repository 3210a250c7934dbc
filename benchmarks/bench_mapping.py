"""Graph building and mapping throughput: AdK (3,341 atoms → 214 CA beads) and ~100k atoms.

Systems:

- ``adk``: MDAnalysisTests AdK ``adk.psf`` + ``adk_dims.dcd`` (98 frames);
- ``adk-gro-xtc``: AdK in water (47,681 atoms, 10 frames, wrapped in the box, so the
  PBC unwrapping runs);
- ``100k``: 30 translated copies of AdK (100,230 atoms) written to GRO + DCD
  (60 frames) in a temporary folder; chains are found from geometry and numbering restarts.

For each system and mapping we time, best of 3:

- ``read``: opening the files and reading every frame of the atoms the map uses
  (``topologies.io.open_universe`` + ``read_frames``) — the file-reading floor;
- ``build``: the whole ``topologies.build_graph`` call;
- ``map``: ``MappingOperator.map_positions`` + ``map_forces`` on frames already in memory.

``read_share = read / build`` says how much of building is file reading.
Results: ``benchmarks/results/mapping.{json,md}``.  Run: ``python -m benchmarks.bench_mapping``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
REPEATS = 3


def _best(func, repeats=REPEATS):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - t0)
    return min(times), out


def _make_100k(folder: Path, n_copies: int = 30, n_frames: int = 60):
    import MDAnalysis as mda
    from MDAnalysisTests.datafiles import DCD, PSF

    src = mda.Universe(PSF, DCD)
    rng = np.random.default_rng(0)
    copies = []
    for k in range(n_copies):
        u = mda.Universe(PSF, DCD)
        copies.append(u.atoms)
    merged = mda.Merge(*copies)
    offsets = np.array([[(k % 5) * 70.0, ((k // 5) % 3) * 70.0, (k // 15) * 70.0] for k in range(n_copies)])
    gro, dcd = folder / "big.gro", folder / "big.dcd"
    with mda.Writer(str(dcd), merged.atoms.n_atoms) as w:
        for f in range(n_frames):
            src.trajectory[f]
            frame = np.concatenate([src.atoms.positions + offsets[k] for k in range(n_copies)])
            merged.atoms.positions = frame + rng.normal(0, 0.01, frame.shape)
            merged.dimensions = [400.0, 400.0, 400.0, 90.0, 90.0, 90.0]
            if f == 0:
                merged.atoms.write(str(gro))
            w.write(merged.atoms)
    return str(gro), str(dcd)


def _measure(name: str, top: str, traj, mapping: str, repeats=REPEATS) -> dict:
    from topologies import build_graph
    from topologies import io as tio

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_build, g = _best(lambda: build_graph(top, traj, mapping=mapping), repeats)
        used = np.flatnonzero(g.mapping.atom_to_bead >= 0)

        def read():
            u, _ = tio.open_universe(top, traj)
            return tio.read_frames(u, used)
        t_read, (pos, forces, _box, _notes) = _best(read, repeats)
    op = g.mapping
    full = np.zeros((pos.shape[0], op.n_atoms, 3), dtype=np.float32)
    full[:, used] = pos
    op.map_positions(full[:1])  # build the sparse matrices once
    op.map_forces(full[:1])
    t_map, _ = _best(lambda: (op.map_positions(full), op.map_forces(full)), repeats)
    row = {"system": name, "mapping": mapping, "n_atoms": int(op.n_atoms),
           "n_mapped_atoms": int(len(used)), "n_beads": g.n_beads, "n_frames": g.n_frames,
           "read_s": t_read, "build_s": t_build, "map_s": t_map,
           "build_frames_per_s": g.n_frames / t_build, "map_frames_per_s": g.n_frames / t_map,
           "read_share": t_read / t_build, "n_segments": int(len(np.unique(g.segment_index[g.polymer])))}
    print(f"{name:12s} {mapping:9s} atoms={row['n_atoms']:7d} beads={row['n_beads']:6d} "
          f"frames={row['n_frames']:3d} read={t_read:6.2f}s build={t_build:6.2f}s "
          f"map={t_map * 1e3:7.1f}ms ({row['map_frames_per_s']:8.0f} frames/s) read share "
          f"{row['read_share']:.2f}", flush=True)
    return row


def _markdown(result: dict) -> str:
    lines = ["# Graph building and mapping throughput", "",
             f"{result['machine']['platform']}, {result['machine']['cpus']} CPUs, {result['date']}. "
             "Best of 3. `read` = opening the files and reading every frame of the mapped atoms "
             "(the file-reading floor); `build` = the whole `build_graph`; `map` = "
             "`map_positions` + `map_forces` on frames in memory. Script: `benchmarks/bench_mapping.py`.",
             "", "| system | mapping | atoms | beads | frames | read (s) | build (s) | read share | "
             "build frames/s | map (ms) | map frames/s |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in result["rows"]:
        lines.append(f"| {r['system']} | {r['mapping']} | {r['n_atoms']:,} | {r['n_beads']:,} | "
                     f"{r['n_frames']} | {r['read_s']:.3f} | {r['build_s']:.3f} | {r['read_share']:.2f} | "
                     f"{r['build_frames_per_s']:.0f} | {r['map_s'] * 1e3:.1f} | {r['map_frames_per_s']:.0f} |")
    lines += ["", result["conclusion"], ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="AdK only")
    args = parser.parse_args(argv)
    from MDAnalysisTests.datafiles import DCD, GRO, PSF, XTC

    rows = []
    for mapping in ("ca", "cacb", "heavy", "all-atom"):
        rows.append(_measure("adk", PSF, DCD, mapping))
    if not args.quick:
        rows.append(_measure("adk-gro-xtc", GRO, XTC, "ca"))
        with tempfile.TemporaryDirectory() as tmp:
            gro, dcd = _make_100k(Path(tmp))
            for mapping in ("ca", "heavy"):
                rows.append(_measure("100k", gro, dcd, mapping, repeats=2))
    shares = [r["read_share"] for r in rows]
    conclusion = (f"File reading is {min(shares):.0%}-{max(shares):.0%} of the build time; mapping "
                  "frames already in memory runs at "
                  f"{min(r['map_frames_per_s'] for r in rows):,.0f}-{max(r['map_frames_per_s'] for r in rows):,.0f} "
                  "frames/s (one sparse matrix product per frame).")
    result = {"benchmark": "graph building and mapping",
              "machine": {"platform": platform.platform(), "python": platform.python_version(),
                          "cpus": os.cpu_count()},
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "rows": rows, "conclusion": conclusion}
    RESULTS.mkdir(exist_ok=True)
    for name, text in (("mapping.json", json.dumps(result, indent=2)), ("mapping.md", _markdown(result))):
        tmp = RESULTS / (name + ".tmp")
        tmp.write_text(text)
        tmp.replace(RESULTS / name)
    print(conclusion)
    return 0


if __name__ == "__main__":
    sys.exit(main())
