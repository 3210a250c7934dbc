"""``cgmolct priors fit|show|subtract``: prior potentials of CG force fields.

Examples::

    cgmolct priors fit ala2_backbone.npz --temperature 300 -o model_folder
    cgmolct priors fit ala2_backbone.npz -o priors --terms bonds,angles,dihedrals
    cgmolct priors show model_folder
    cgmolct priors subtract ala2_backbone.npz model_folder -o ala2_delta.npz

``fit`` fits harmonic bonds and angles, signed Fourier dihedrals (and impropers) and
non-bonded repulsion by Boltzmann inversion of the graph's frames at the given temperature
and writes ``priors.json`` into the output folder (a saved model folder may hold it: save
the model first, then the priors).  ``subtract`` writes a copy of the graph whose forces are
the delta forces F_ref − F_prior, the target of force matching.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("priors", help="fit, show and subtract CG prior potentials",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="priors_command", metavar="{fit,show,subtract}")
    f = sub.add_parser("fit", help="fit priors to a reference CG graph (Boltzmann inversion)")
    f.add_argument("graph", nargs="+", help="saved CG graph(s) with frames (.npz or folder); several "
                   "graphs of the same system (e.g. reference seeds) are pooled")
    f.add_argument("-o", "--output", required=True, help="folder to write priors.json into")
    f.add_argument("--temperature", "-T", type=float, default=300.0, help="K (default 300)")
    f.add_argument("--terms", default="bonds,angles,dihedrals,impropers,repulsion",
                   help="comma-separated subset of bonds,angles,dihedrals,impropers,repulsion "
                        "(default all; terms the graph lacks are skipped)")
    f.add_argument("--dihedral-terms", type=int, default=6, help="Fourier multiplicities M (default 6)")
    f.add_argument("--bins", type=int, default=100, help="histogram bins of the harmonic fits (default 100)")
    f.add_argument("--repulsion-exponent", type=int, default=6, help="n in eps (sigma/r)^n (default 6)")
    f.add_argument("--repulsion-exclusion", type=int, default=3,
                   help="no repulsion for pairs at most this many bonds apart (default 3)")
    f.add_argument("--repulsion-max-sigma", type=float, default=4.0,
                   help="cap of the repulsion sigma in A (default 4.0; 0: no cap, sigma = closest approach)")
    f.add_argument("--json", action="store_true", help="print the fitted parameters as JSON")
    s = sub.add_parser("show", help="print the priors saved in a folder")
    s.add_argument("folder", help="folder with priors.json (a priors or saved model folder)")
    s.add_argument("--json", action="store_true", help="print as JSON")
    d = sub.add_parser("subtract", help="write a graph whose forces are reference minus prior forces")
    d.add_argument("graph", help="saved CG graph with forces (.npz or folder)")
    d.add_argument("priors", help="folder with priors.json")
    d.add_argument("-o", "--output", required=True, help="output graph (.npz or folder)")
    d.add_argument("--chunk-size", type=int, default=1024, help="frames per compiled call (default 1024)")
    return p


def _load_graph(path: str):
    from topologies import CGGraph

    from ..errors import InputError
    from ..analysis.trajectories import is_saved_graph

    if not Path(path).exists():
        raise InputError(f"{path}: no such file or folder")
    if not is_saved_graph(path):
        raise InputError(f"{path}: not a saved CG graph (.npz or folder with graph.json); build one with "
                         "`cgmolct graph build ... -o FILE.npz` or `cgmolct data map`")
    return CGGraph.load(path, mmap=Path(path).is_dir())


def _fit(args) -> int:
    from ..errors import InputError
    from ..priors import PriorFitter, save_priors

    terms = [t.strip() for t in args.terms.split(",") if t.strip()]
    if Path(args.output).exists() and not Path(args.output).is_dir():
        raise InputError(f"-o {args.output}: exists and is not a folder")
    graphs = [_load_graph(g) for g in args.graph]
    fitter = PriorFitter(temperature=args.temperature, terms=terms, n_bins=args.bins,
                         dihedral_terms=args.dihedral_terms, repulsion_exponent=args.repulsion_exponent,
                         repulsion_exclusion=args.repulsion_exclusion,
                         repulsion_max_sigma=args.repulsion_max_sigma or None)
    priors = fitter.fit(graphs).fetch_model()
    Path(args.output).mkdir(parents=True, exist_ok=True)
    path = save_priors(priors, args.output)
    if args.json:
        print(json.dumps({"file": path, "temperature": priors.temperature, "terms": priors.rows()}, indent=1))
    else:
        print(f"priors fitted to {sum(g.n_frames for g in graphs)} frames of {', '.join(args.graph)} at "
              f"{priors.temperature:g} K (Boltzmann inversion)")
        print(priors.table())
        print(f"wrote {path}")
    return 0


def _show(args) -> int:
    from ..errors import InputError
    from ..priors import load_priors

    priors = load_priors(args.folder)
    if priors is None:
        raise InputError(f"{args.folder}: no priors.json there")
    if args.json:
        print(json.dumps({"temperature": priors.temperature, "n_beads": priors.n_beads,
                          "terms": priors.rows()}, indent=1))
    else:
        print(f"priors of {priors.n_beads} beads fitted at {priors.temperature} K")
        print(priors.table())
    return 0


def _subtract(args) -> int:
    from ..errors import InputError
    from ..priors import load_priors, subtract_prior_forces

    priors = load_priors(args.priors)
    if priors is None:
        raise InputError(f"{args.priors}: no priors.json there")
    graph = _load_graph(args.graph)
    delta = subtract_prior_forces(graph, priors, chunk_size=args.chunk_size)
    out = delta.save(args.output)
    rms = float((delta.forces.astype("float64") ** 2).mean() ** 0.5)
    ref = float((graph.forces.astype("float64") ** 2).mean() ** 0.5)
    print(f"wrote {out}: {delta.n_frames} frames; rms force {ref:.3f} -> delta {rms:.3f} kcal/mol/A")
    return 0


def run(args: argparse.Namespace) -> int:
    jobs = {"fit": _fit, "show": _show, "subtract": _subtract}
    if getattr(args, "priors_command", None) not in jobs:
        from ..errors import InputError

        raise InputError("priors needs a sub-command: fit, show or subtract (see cgmolct priors --help)")
    return jobs[args.priors_command](args)
