"""``cgmolct data reference|map``: all-atom reference data from OpenMM and its CG mapping.

Examples::

    # built-in alanine dipeptide (ACE-ALA-NME, AMBER ff03 + OBC, 300 K), 2 ns, a frame per ps
    cgmolct data reference --ns 2 --seed 1 -o ala2_ref
    # any prepared PDB with named OpenMM force-field files (run again to resume)
    cgmolct data reference protein.pdb --forcefield amber14-all.xml implicit/obc2.xml --ns 1 -o ref
    # map to 5 backbone beads (C, N, CA, C, N) with summed bead forces
    cgmolct data map ala2_ref/reference.npz --mapping backbone -o ala2_backbone.npz
"""
from __future__ import annotations

import argparse
from pathlib import Path

_MAPPINGS = ("backbone", "heavy", "ca", "cacb")           # = cgmolct.reference.mapping.REFERENCE_MAPPINGS
_PLATFORMS = ("auto", "Reference", "CPU", "CUDA", "OpenCL")  # = cgmolct.reference.system.PLATFORMS
_CONSTRAINTS = ("none", "hbonds", "allbonds", "hangles")   # = cgmolct.reference.system.CONSTRAINTS


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("data", help="reference MD data (OpenMM) and its CG mapping",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="data_command", metavar="{reference,map}")
    r = sub.add_parser("reference", help="all-atom Langevin MD with OpenMM (resumable chunks)")
    r.add_argument("pdb", nargs="?", default=None,
                   help="prepared PDB (hydrogens, known residues); default: built-in alanine dipeptide")
    r.add_argument("--forcefield", nargs="+", default=["amber03.xml", "amber03_obc.xml"], metavar="XML",
                   help="OpenMM force-field files (default: %(default)s)")
    r.add_argument("-o", "--output", required=True, help="run folder (an existing run there is resumed)")
    length = r.add_mutually_exclusive_group()
    length.add_argument("--ns", type=float, default=None, help="production length in ns (default: 1 ns)")
    length.add_argument("--steps", type=int, default=None, help="production length in steps")
    r.add_argument("--temperature", type=float, default=300.0, help="K (default: %(default)s)")
    r.add_argument("--friction", type=float, default=1.0, help="Langevin friction, 1/ps (default: %(default)s)")
    r.add_argument("--timestep", type=float, default=1.0, help="time step, fs (default: %(default)s)")
    r.add_argument("--save-every", type=int, default=1000, help="steps between saved frames (default: %(default)s)")
    r.add_argument("--chunk-frames", type=int, default=1000, help="frames per chunk file (default: %(default)s)")
    r.add_argument("--equilibration-steps", type=int, default=10_000, help="steps run and discarded first (default: %(default)s)")
    r.add_argument("--seed", type=int, default=0, help="integrator and velocity seed, >= 0 (default: %(default)s)")
    r.add_argument("--platform", default="auto", choices=_PLATFORMS,
                   help="OpenMM platform (default auto: Reference for tiny systems, else CPU)")
    r.add_argument("--constraints", default="none", choices=_CONSTRAINTS,
                   help="bond constraints (default none: mapped forces stay exact)")
    r.add_argument("--quiet", action="store_true", help="no progress output")
    m = sub.add_parser("map", help="map an all-atom reference graph to a CG resolution")
    m.add_argument("graph", help="all-atom graph (.npz or folder) or a reference run folder")
    m.add_argument("--mapping", "-m", required=True, choices=_MAPPINGS)
    m.add_argument("--force-map", default="sum", choices=("sum", "slice"),
                   help="bead force: sum over all the bead's atoms (default) or topologies' slice coefficients")
    m.add_argument("-o", "--output", required=True, help="CG graph: FILE.npz or a folder")
    return p


def _reference(args) -> int:
    from ..errors import InputError
    from ..reference import ReferenceSettings, run_reference

    dt_ps = args.timestep * 1e-3
    if args.steps is not None:
        n_steps = args.steps
    else:
        ns = 1.0 if args.ns is None else args.ns
        if not ns > 0:
            raise InputError(f"--ns must be > 0; got {ns}")
        n_steps = int(round(ns * 1000.0 / dt_ps)) if dt_ps > 0 else 0
    settings = ReferenceSettings(pdb=args.pdb, forcefield=list(args.forcefield), temperature=args.temperature,
                                 friction=args.friction, timestep=dt_ps, n_steps=n_steps,
                                 save_every=args.save_every, chunk_frames=args.chunk_frames,
                                 equilibration_steps=args.equilibration_steps, seed=args.seed,
                                 platform=args.platform, constraints=args.constraints)
    graph = run_reference(args.output, settings, progress=not args.quiet)
    ref = graph.provenance["reference"]
    from ..reference.chunks import RunFolder

    print(f"cgmolct data: wrote {RunFolder(args.output).graph_file}: {graph.n_beads} atoms, "
          f"{graph.n_frames} frames ({ref['simulated_ns']:.3f} ns), platform {ref['platform_used']}, "
          f"{ref.get('speed_ns_per_day', 0.0):,.0f} ns/day")
    return 0


def _map(args) -> int:
    from ..errors import InputError
    from ..reference.mapping import map_reference

    source = Path(args.graph)
    if not source.exists():
        raise InputError(f"{source}: no such graph file or folder")
    if source.is_dir() and (source / "run.json").exists():
        from ..reference import assemble_graph

        graph = assemble_graph(source, save=False)
    else:
        graph = source
    cg = map_reference(graph, args.mapping, force_map=args.force_map, output=args.output)
    print(f"cgmolct data: wrote {args.output}: {cg.n_beads} beads ({', '.join(cg.names.tolist()[:12])}"
          f"{', ...' if cg.n_beads > 12 else ''}), {cg.n_frames} frames, mapping {args.mapping}, "
          f"forces summed over {'all bead atoms' if args.force_map == 'sum' else 'slice coefficients'}")
    return 0


def run(args: argparse.Namespace) -> int:
    from ..errors import InputError

    command = getattr(args, "data_command", None)
    if command == "reference":
        return _reference(args)
    if command == "map":
        return _map(args)
    raise InputError("give a data sub-command: cgmolct data reference ... or cgmolct data map ...")
