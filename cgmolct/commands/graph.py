"""``cgmolct graph build|info``: CG graphs from structure files (never imports MindSpore).

Examples::

    cgmolct graph build adk.psf adk.dcd --mapping ca -o adk_ca.npz
    cgmolct graph build 1abc.pdb --mapping cacb --select "protein and chainID A" -o a.npz
    cgmolct graph info adk_ca.npz --json
    cgmolct graph info 1abc.pdb            # builds with --mapping auto and shows the summary
"""
from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import List, Optional

_MAPPINGS = ("auto", "ca", "cacb", "backbone", "nucleic-3", "nucleic-1", "heavy", "all-atom")  # = topologies.MAPPINGS
_MAX_SHOWN_WARNINGS = 10


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("graph", help="build and inspect CG graphs from structure files",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="graph_command", metavar="{build,info}")
    b = sub.add_parser("build", help="build a CG graph from a structure (+ trajectory) file")
    b.add_argument("input", help="structure/topology file (PDB, PDBx/mmCIF, PSF, GRO, PRMTOP, TPR, mol2, XYZ)")
    b.add_argument("trajectories", nargs="*", metavar="TRAJ",
                   help="trajectory files read in order (DCD, XTC, TRR, NetCDF, PDB)")
    _build_options(b)
    b.add_argument("-o", "--output", required=True,
                   help="output: FILE.npz, or a folder (memory-mappable .npy files)")
    i = sub.add_parser("info", help="summary of a saved graph (or of a structure file)")
    i.add_argument("file", help="saved graph (.npz or folder) or a structure file")
    i.add_argument("trajectories", nargs="*", metavar="TRAJ", help="trajectories (structure files only)")
    i.add_argument("--json", action="store_true", help="print the summary as JSON")
    _build_options(i)
    return p


def _build_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mapping", "-m", default="auto", choices=_MAPPINGS,
                   help="resolution (default auto: proteins ca, nucleic acids nucleic-3, others atoms)")
    p.add_argument("--select", default=None, metavar="SEL", help="MDAnalysis selection applied first")
    p.add_argument("--strict", action="store_true",
                   help="stop at residues missing key atoms or duplicate atoms instead of skipping them")
    p.add_argument("--keep-water", action="store_true", help="keep water molecules (dropped by default)")
    p.add_argument("--keep-ions", action="store_true", help="keep monatomic ions (dropped by default)")
    p.add_argument("--keep-additives", action="store_true",
                   help="keep crystallisation additives and buffer molecules (glycerol, DMSO, PEG, "
                        "sulfate, HEPES, ...; dropped by default beside other molecules)")
    p.add_argument("--frames", default=None, metavar="START:STOP:STEP", help="frames to read (default all)")
    p.add_argument("--no-unwrap", action="store_true", help="do not make molecules whole across the box")
    p.add_argument("--format", default=None, help="MDAnalysis topology format when the extension is unusual")


def _frames(text: Optional[str]):
    if not text:
        return None
    from ..errors import InputError
    parts = text.split(":")
    try:
        values = [int(p) if p.strip() else None for p in parts]
    except ValueError:
        raise InputError(f"--frames {text!r}: expected START:STOP:STEP with integers, e.g. 0:100:2") from None
    if len(values) == 1:  # one frame; -1 is the last one
        v = values[0]
        return slice(v, (v + 1 or None) if v is not None else None)
    if len(values) > 3 or (len(values) == 3 and values[2] == 0):
        raise InputError(f"--frames {text!r}: expected START:STOP:STEP with a non-zero step")
    return slice(*values)


def _build(args, source: str, trajectories: List[str]):
    import topologies

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", topologies.TopologyWarning)
        graph = topologies.build_graph(
            source, trajectories or None, mapping=args.mapping, selection=args.select,
            strict=args.strict, keep_water=args.keep_water, keep_ions=args.keep_ions,
            keep_additives=getattr(args, "keep_additives", False),
            frames=_frames(args.frames), unwrap=not args.no_unwrap, topology_format=args.format)
    return graph, [str(w.message) for w in caught if issubclass(w.category, topologies.TopologyWarning)]


def _print_warnings(messages: List[str]) -> None:
    for m in messages[:_MAX_SHOWN_WARNINGS]:
        print(f"cgmolct: warning: {m}", file=sys.stderr)
    if len(messages) > _MAX_SHOWN_WARNINGS:
        print(f"cgmolct: warning: ... and {len(messages) - _MAX_SHOWN_WARNINGS} more "
              "(all are kept in the graph's provenance)", file=sys.stderr)


def _is_saved_graph(path: Path) -> bool:
    return path.suffix == ".npz" or (path.is_dir() and (path / "graph.json").exists())


def _format_summary(s: dict) -> str:
    lines = [f"source      {s['source']}" + (f" + {s['trajectory']}" if s.get("trajectory") else ""),
             f"mapping     {s['mapping']}",
             f"beads       {s['n_beads']}    frames {s['n_frames']}    bonds {s['n_bonds']}",
             f"forces      {'yes' if s['has_forces'] else 'no'}    energies "
             f"{'yes' if s['has_energies'] else 'no'}    box {'yes' if s['has_box'] else 'no'}",
             f"chains      {s['n_chains']}"]
    for c in s["chains"]:
        lines.append(f"  chain {c['chain_id'] or '-':<6} {c['n_polymer_beads']:>6} polymer beads in "
                     f"{c['n_segments']} segment(s), {c['n_other_molecules']} other molecule(s)")
    types = ", ".join(f"{k} {v}" for k, v in sorted(s["type_counts"].items(), key=lambda kv: -kv[1]))
    lines.append(f"types       {types}")
    bonds = ", ".join(f"{k} {v}" for k, v in s["bond_type_counts"].items()) or "none"
    lines.append(f"bond types  {bonds}")
    lines.append(f"warnings    {len(s['warnings'])}")
    lines += [f"  - {w}" for w in s["warnings"]]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ..errors import InputError

    command = getattr(args, "graph_command", None)
    if command == "build":
        graph, messages = _build(args, args.input, args.trajectories)
        _print_warnings(messages)
        out = Path(args.output)
        graph.save(out)
        print(f"cgmolct graph: wrote {out}: {graph.n_beads} beads, {graph.n_frames} frames, "
              f"{graph.n_bonds} bonds, mapping {graph.provenance['mapping']}, "
              f"forces {'yes' if graph.forces is not None else 'no'}, {len(messages)} warning(s)")
        return 0
    if command == "info":
        import topologies

        path = Path(args.file)
        if _is_saved_graph(path) and not args.trajectories:
            graph = topologies.CGGraph.load(path)
        else:
            graph, messages = _build(args, args.file, args.trajectories)
            if not args.json:
                _print_warnings(messages)
        summary = graph.summary()
        print(json.dumps(summary, indent=2) if args.json else _format_summary(summary))
        return 0
    raise InputError("give a graph sub-command: cgmolct graph build ... or cgmolct graph info FILE")
