"""``cgmolct simulate MODEL START_GRAPH -o OUTDIR``: Langevin MD of a trained CG model.

MODEL is a saved model folder (``cgmolct.save``); its priors (``priors.json``, written with
the model) are added to the network energy.  START_GRAPH is a saved CGGraph (``cgmolct graph
build ... -o g.npz``) whose frames start the replicas.  ``--steps`` is the total length of
the simulation: with ``--restart OUTDIR/state.npz`` the run continues from the saved step
up to it, bit for bit as if it had never stopped.  Output: ``topology.pdb``, one DCD per
replica and run piece, ``energies.csv``, ``state.npz``, ``simulation.json``.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("simulate", help="Langevin simulation of a trained CG model",
                              description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="saved model folder (with priors.json when it has priors)")
    p.add_argument("graph", help="saved CGGraph (.npz or folder) whose frames start the replicas")
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("--replicas", type=int, default=1, help="replicas simulated together (default 1)")
    p.add_argument("--steps", type=int, required=True,
                   help="total number of steps (a restart continues up to it)")
    p.add_argument("--dt", type=float, default=0.002, help="time step in ps (default 0.002)")
    p.add_argument("--friction", type=float, default=1.0, help="Langevin friction in 1/ps (default 1)")
    p.add_argument("--temperature", type=float, default=300.0, help="temperature in K (default 300)")
    p.add_argument("--temperatures", default=None,
                   help="parallel tempering: comma-separated ladder in K, one replica each "
                        "(sets --replicas); needs --exchange-every")
    p.add_argument("--exchange-every", type=int, default=0,
                   help="parallel tempering: steps between temperature-exchange attempts")
    p.add_argument("--save-every", type=int, default=1000, help="frame interval in steps (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--restart", default=None, help="state file to continue from (OUTDIR/state.npz)")
    p.add_argument("--steps-per-call", type=int, default=50,
                   help="steps per compiled call (default 50)")
    p.add_argument("--skin", type=float, default=2.0,
                   help="neighbour-list skin in Å for systems above 64 beads (default 2)")
    p.add_argument("--mass", type=float, default=None,
                   help="one mass in amu for every bead (default: the graph's bead masses)")
    p.add_argument("--priors-only", action="store_true",
                   help="simulate the priors of MODEL alone (no network)")
    p.add_argument("--no-priors", action="store_true", help="ignore the model's priors")
    p.add_argument("--threads", type=int, default=None, help="MindSpore CPU threads")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an earlier simulation in OUTDIR (fresh runs only)")
    p.add_argument("--progress", dest="progress", action="store_true", default=None,
                   help="progress bar (default: on a terminal)")
    p.add_argument("--no-progress", dest="progress", action="store_false")
    p.add_argument("--json", action="store_true", help="print the run summary as JSON")
    return p


def _check_args(args) -> None:
    from ..errors import InputError

    for name in ("replicas", "save_every", "steps_per_call"):
        if getattr(args, name) < 1:
            raise InputError(f"--{name.replace('_', '-')} must be >= 1, got {getattr(args, name)}")
    if args.steps < 0:
        raise InputError(f"--steps must be >= 0, got {args.steps}")
    if args.seed < 0:
        raise InputError(f"--seed must be >= 0, got {args.seed}")
    if args.threads is not None and args.threads < 1:
        raise InputError(f"--threads must be >= 1, got {args.threads}")
    if args.exchange_every < 0:
        raise InputError(f"--exchange-every must be >= 0, got {args.exchange_every}")
    if args.temperatures is not None:
        try:
            ladder = [float(t) for t in args.temperatures.split(",") if t.strip()]
        except ValueError:
            raise InputError(f"--temperatures must be numbers separated by commas, got "
                             f"{args.temperatures!r}") from None
        if len(ladder) < 2 or not args.exchange_every:
            raise InputError("--temperatures needs at least two temperatures and --exchange-every")
        args.temperature = ladder
        args.replicas = len(ladder)
    elif args.exchange_every:
        raise InputError("--exchange-every needs a ladder of --temperatures")
    if args.priors_only and args.no_priors:
        raise InputError("--priors-only and --no-priors exclude each other")
    if not Path(args.model).exists():
        raise InputError(f"{args.model}: model folder does not exist")
    if not Path(args.graph).exists():
        raise InputError(f"{args.graph}: graph file does not exist")
    if args.restart is not None and not Path(args.restart).is_file():
        raise InputError(f"{args.restart}: restart state file does not exist")


def _load_priors(folder: Path, required: bool):
    from ..errors import InputError

    has_file = (folder / "priors.json").exists() if folder.is_dir() else folder.suffix == ".json"
    try:
        from ..priors import load_priors
    except ImportError as exc:
        if has_file or required:
            raise InputError(f"{folder}: has priors but cgmolct.priors cannot be imported ({exc})") from None
        return None
    priors = load_priors(folder)
    if priors is None and required:
        raise InputError(f"{folder}: no priors.json (needed by --priors-only)")
    return priors


def run(args: argparse.Namespace) -> int:
    _check_args(args)
    import mindspore as ms

    if args.threads is not None:
        ms.set_context(runtime_num_threads=int(args.threads))
    from topologies.graph import CGGraph

    from ..errors import InputError
    from ..simulate import Simulation, load_state

    graph = CGGraph.load(args.graph)
    folder = Path(args.model)
    model = None
    if not args.priors_only:
        from ..io.checkpoint import load_model

        model = load_model(folder)
    priors = None if args.no_priors else _load_priors(folder, required=args.priors_only)
    n_prior = getattr(priors, "n_beads", None)
    if n_prior is not None and n_prior != graph.n_beads:
        raise InputError(f"{folder}: the priors were fitted on {n_prior} beads; {args.graph} has "
                         f"{graph.n_beads}")
    sim = Simulation(model, graph, priors=priors, n_replicas=args.replicas, dt=args.dt,
                     friction=args.friction, temperature=args.temperature, seed=args.seed,
                     masses=args.mass, steps_per_call=args.steps_per_call, skin=args.skin,
                     exchange_every=args.exchange_every)
    start = 0
    if args.restart is not None:
        state = load_state(args.restart)
        sim.set_state(state)
        start = state.step
    remaining = args.steps - start
    if remaining < 0:
        raise InputError(f"{args.restart} is at step {start}, beyond --steps {args.steps}")
    result = sim.run(remaining, args.output, save_every=args.save_every,
                     progress=args.progress, overwrite=args.overwrite)
    summary = {"output": str(args.output), "first_step": result.first_step,
               "last_step": result.last_step, "replicas": args.replicas,
               "wall_s": round(result.wall_s, 3),
               "replica_steps_per_s": round(result.replica_steps_per_s, 1),
               "ns_per_day": round(result.ns_per_day, 3), "frames": result.frames,
               "neighbour_builds": result.neighbour_builds}
    if result.exchange_acceptance:
        summary["exchange_acceptance"] = [round(a, 3) for a in result.exchange_acceptance]
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"simulated steps {result.first_step}-{result.last_step} of {args.replicas} "
              f"replica(s) in {result.wall_s:.1f} s: {result.replica_steps_per_s:,.0f} "
              f"replica-steps/s, {result.ns_per_day:,.2f} ns/day per replica; "
              f"{result.frames} frames per replica in {args.output}")
    return 0
