"""``cgmolct fes REFERENCE [CG]``: φ/ψ free-energy surfaces, JS divergence and basin populations.

Examples::

    cgmolct fes ala2_backbone.npz --png fes_ref.png                    # reference alone
    cgmolct fes ala2_backbone.npz sim/traj.dcd --cg-top sim/traj.pdb --png fes.png --json
    cgmolct fes ref.prmtop --ref-traj ref.nc cg.dcd --residue ALA2
    cgmolct fes ref.npz cg.dcd --cg-top cg.pdb --cv 0,1,2,3 --cv 1,2,3,4
    cgmolct fes ref.npz rep0.dcd rep1.dcd rep2.dcd --cg-top cg.pdb        # replicas pooled
    cgmolct fes ref.npz sim_output/ --png fes.png     # a cgmolct simulate folder: all replicas at -T

REFERENCE is a saved graph, a reference run folder or a topology file (with --ref-traj
files); CG is a ``cgmolct simulate`` output folder (every replica, frames whose bath is
--temperature), a saved graph, a structure file, or trajectories with their topology in --cg-top (a PDB or a saved graph; a
``X.dcd`` without --cg-top uses ``X.pdb`` beside it).  Each frame must hold one molecule.  The axes are backbone φ/ψ found from
bead names (C, N, CA, C, N) or two dihedrals given with --cv (0-based bead indices).

Reported: the 2D FES (−kT ln p, 60×60 bins over [−180°, 180°)²), the Jensen–Shannon
divergence CG vs reference (natural log, no pseudocounts), the noise floor (JS between the
two halves of the reference), and the populations of β/C7eq (φ<0 and (ψ>100° or ψ<−150°)),
αR (φ<0 otherwise) and αL (φ≥0) with block-bootstrap errors.
"""
from __future__ import annotations

import argparse
import json

import numpy as np


def _quadruplet(text: str):
    try:
        q = [int(x) for x in text.split(",")]
    except ValueError:
        q = []
    if len(q) != 4:
        raise argparse.ArgumentTypeError(f"{text!r}: expected four comma-separated bead indices, e.g. 0,1,2,3")
    return q


def _indices(text: str):
    try:
        out = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        out = []
    if not out or min(out) < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected comma-separated replica numbers, e.g. 0,1,2")
    return out


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("fes", help="free-energy surfaces, JS divergence and basin populations",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("reference", help="reference: saved graph, or topology file (then --ref-traj)")
    p.add_argument("cg", nargs="*", default=[], metavar="CG",
                   help="CG sample: saved graph, structure or trajectory file(s); several trajectories "
                        "(e.g. one per replica) are read in order with the same --cg-top")
    p.add_argument("--ref-traj", nargs="+", default=[], metavar="TRAJ", help="reference trajectory files")
    p.add_argument("--more-ref", nargs="+", default=[], metavar="REF",
                   help="more reference graphs or run folders of the same system (e.g. other seeds), "
                        "appended in order (the noise floor then compares the first and second half)")
    p.add_argument("--cg-top", default=None, metavar="TOP", help="topology of the CG trajectory (PDB or saved graph)")
    p.add_argument("--replicas", type=_indices, default=None, metavar="I,J,...",
                   help="replicas of a simulation folder to read (default all)")
    p.add_argument("--cv", action="append", type=_quadruplet, metavar="I,J,K,L",
                   help="a dihedral as four 0-based bead indices; give twice (x then y) instead of φ/ψ")
    p.add_argument("--residue", default=None, help="residue of the φ/ψ pair (ALA2 or 2; default the only "
                   "one, or all residues pooled)")
    p.add_argument("--temperature", "-T", type=float, default=300.0, help="K (default 300)")
    p.add_argument("--bins", type=int, default=60, help="bins per axis (default 60)")
    p.add_argument("--blocks", type=int, default=20, help="bootstrap blocks (default 20)")
    p.add_argument("--resamples", type=int, default=500, help="bootstrap resamples (default 500)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--png", default=None, help="write the FES plot here")
    p.add_argument("--json", action="store_true", help="print the numbers as JSON")
    return p


def _format(summary) -> str:
    lines = []
    if summary["js"] is not None:
        lines.append(f"JS divergence (CG vs reference): {summary['js']:.4f}   noise floor (reference "
                     f"half vs half): {summary['js_noise_floor']:.4f}")
    else:
        lines.append(f"JS noise floor (reference half vs half): {summary['js_noise_floor']:.4f}")
    for side in ("reference", "cg"):
        s = summary[side]
        if s is None:
            continue
        pops = "  ".join(f"{k} {s['populations_percent'][k]:5.1f} ± {s['errors_percent'][k]:.1f}%"
                         for k in s["populations_percent"])
        lines.append(f"{side:9s} ({s['n_frames']} frames): {pops}")
    if summary["max_population_difference_percent"] is not None:
        lines.append(f"largest basin population difference: {summary['max_population_difference_percent']:.1f} "
                     "percentage points")
    for side, method in summary["bootstrap"].items():
        if method:
            lines.append(f"errors ({side}): {method}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ..analysis import FreeEnergy, load_angles
    from ..analysis.simulations import is_simulation_folder, simulation_angles
    from ..errors import InputError
    from ..units import kT

    kT(args.temperature)
    for name in ("bins", "blocks", "resamples"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name} must be >= 1, got {getattr(args, name)}")
    if args.cv is not None and len(args.cv) != 2:
        raise InputError(f"--cv must be given exactly twice (x and y dihedrals); got {len(args.cv)}")
    if args.cg_top and not args.cg:
        raise InputError("--cg-top given without a CG trajectory")
    ref = load_angles(args.reference, args.ref_traj, cvs=args.cv, residue=args.residue)
    for extra in args.more_ref:
        more = load_angles(extra, (), cvs=args.cv, residue=args.residue)
        ref = dict(ref, x=np.concatenate([ref["x"], more["x"]]), y=np.concatenate([ref["y"], more["y"]]),
                   n_frames=ref["n_frames"] + more["n_frames"], source=ref["source"] + more["source"])
    cg = None
    if len(args.cg) == 1 and is_simulation_folder(args.cg[0]):
        if args.cg_top:
            raise InputError(f"{args.cg[0]} is a simulation folder (it has its topology.pdb); drop --cg-top")
        cg = simulation_angles(args.cg[0], args.temperature, cvs=args.cv, residue=args.residue,
                               replicas=args.replicas)
    elif args.cg:
        if args.replicas is not None:
            raise InputError("--replicas applies to a simulation folder given as CG")
        cg = load_angles(args.cg[0], args.cg[1:], topology=args.cg_top, cvs=args.cv, residue=args.residue)
    for name, side in ((args.reference, ref), (" ".join(args.cg), cg)):
        if side is not None and side["n_frames"] < 2:
            raise InputError(f"{name}: {side['n_frames']} frame; a free-energy surface needs many frames")
    analysis = FreeEnergy((ref["x"], ref["y"]), None if cg is None else (cg["x"], cg["y"]),
                          temperature=args.temperature, bins=args.bins, labels=ref["labels"],
                          n_blocks=args.blocks, n_resamples=args.resamples, seed=args.seed).run()
    summary = analysis.summary()
    summary["reference_files"] = ref["source"]
    summary["cg_files"] = None if cg is None else cg["source"]
    summary["residues"] = ref["residues"]
    if args.png:
        summary["png"] = analysis.plot(args.png)
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        print(_format(summary))
        if args.png:
            print(f"wrote {summary['png']}")
    return 0
