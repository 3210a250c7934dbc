"""``cgmolct cluster INPUT [TRAJ ...] -o OUTDIR``: cluster frames, write labels and representatives.

Examples::

    # embeddings from `cgmolct embed`; representatives need the frames (--structure)
    cgmolct cluster emb.npy --structure ala2_backbone.npz --method kmeans -o clusters/
    # embed with a saved model and cluster in one go (number of clusters by silhouette)
    cgmolct cluster adk.psf adk.dcd --mapping ca --checkpoint embedder/ -o clusters/
    # no model: pairwise CG bead distances as features, DBSCAN
    cgmolct cluster ala2_backbone.npz --method dbscan -o clusters/

INPUT is a (frames, d) .npy embedding, a saved graph, or a structure file with trajectories.
OUTDIR receives ``labels.npy`` (frames,) int64 (−1: DBSCAN noise), ``clusters.json``
(format ``cgmolct-clusters``: populations, silhouette, representative frames; read back by
:func:`read_clusters`), ``cluster_<k>.pdb`` (the CG frame nearest
each cluster centre, read by MDAnalysis) and ``embedding.png``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from .graph import _build_options

FORMAT = "cgmolct-clusters"
VERSION = 1
SUPPORTED_VERSIONS = (1,)
CLUSTERS_FILE = "clusters.json"


def read_clusters(path) -> dict:
    """The ``clusters.json`` record of a ``cgmolct cluster`` output folder (or the file itself).

    Raises
    ------
    InputError
        Missing, corrupt, another format or an unknown version.
    """
    from ..errors import InputError
    from ..storage import read_json_record

    return read_json_record(path, FORMAT, SUPPORTED_VERSIONS, InputError,
                            what="cgmolct clusters file", file_in_folder=CLUSTERS_FILE)


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("cluster", help="cluster frames (KMeans, agglomerative, DBSCAN)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("input", help="embedding .npy, saved graph, or structure file")
    p.add_argument("trajectories", nargs="*", metavar="TRAJ", help="trajectory files (structure input)")
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("--method", choices=("kmeans", "agglomerative", "dbscan"), default="kmeans")
    p.add_argument("--n-clusters", type=int, default=None,
                   help="number of clusters (default: best silhouette for 2..8)")
    p.add_argument("--eps", type=float, default=None, help="DBSCAN radius (default from the data)")
    p.add_argument("--checkpoint", default=None, help="saved model to embed structure input with "
                   "(default: pairwise CG bead distances as features)")
    p.add_argument("--structure", default=None, metavar="GRAPH",
                   help="saved graph (or structure file with --traj) of the embedded frames, "
                        "for representative PDB files")
    p.add_argument("--traj", nargs="*", default=[], help="trajectories of --structure")
    p.add_argument("--seed", type=int, default=0)
    _build_options(p)
    return p


def _load_graph(args, source, trajectories):
    from argparse import Namespace

    from .embed import load_frames

    ns = Namespace(**vars(args))
    ns.topology, ns.trajectories = source, trajectories
    return load_frames(ns)


def _features(args):
    """(features (frames, d), graph or None, kind)."""
    import numpy as np

    from ..errors import InputError

    path = Path(args.input)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.suffix == ".npy":
        try:
            x = np.load(path, allow_pickle=False)
        except (ValueError, OSError) as exc:
            raise InputError(f"{path}: not a readable .npy array ({exc})") from None
        if x.ndim != 2 or not np.issubdtype(x.dtype, np.number):
            raise InputError(f"{path}: embedding has shape {x.shape} and dtype {x.dtype}; "
                             "expected a numeric (frames, dim) array")
        graph = _load_graph(args, args.structure, args.traj) if args.structure else None
        if graph is not None and graph.n_frames != len(x):
            raise InputError(f"{args.structure}: {graph.n_frames} frames but {path} has {len(x)} rows")
        return x.astype(np.float64), graph, "embedding"
    graph = _load_graph(args, args.input, args.trajectories)
    if args.checkpoint:
        from ..embed import MolCTEmbedder

        emb = MolCTEmbedder(objective="pretrained", checkpoint=args.checkpoint).fit(graph)
        return emb.transform(graph).astype(np.float64), graph, "embedding"
    from ..embed.geometry import pairwise_distances

    return pairwise_distances(graph.positions), graph, "pairwise distances"


def write_pdb(graph, frame: int, path: Path) -> None:
    """Write frame ``frame`` of a CG graph as a PDB file (one atom per bead) with MDAnalysis."""
    import warnings

    import MDAnalysis as mda
    import numpy as np

    n = graph.n_beads
    resids = np.asarray(graph.residue_ids, int)
    # one residue per consecutive (chain, residue id) block
    key = list(zip(graph.chain_ids.tolist(), resids.tolist()))
    starts = [0] + [i for i in range(1, n) if key[i] != key[i - 1]]
    resindex = np.zeros(n, int)
    for r, s in enumerate(starts):
        resindex[s:] = r
    u = mda.Universe.empty(n, n_residues=len(starts), n_segments=1, atom_resindex=resindex,
                           trajectory=True)
    u.add_TopologyAttr("names", [str(s)[:4] or "X" for s in graph.names])
    u.add_TopologyAttr("resnames", [str(graph.residue_names[s])[:4] or "UNK" for s in starts])
    u.add_TopologyAttr("resids", [int(resids[s]) for s in starts])
    u.add_TopologyAttr("chainIDs", [str(c)[:1] or "A" for c in graph.chain_ids])
    u.add_TopologyAttr("segids", ["CG"])
    u.atoms.positions = np.asarray(graph.positions[frame], np.float64)
    if len(graph.bonds):
        u.add_TopologyAttr("bonds", [tuple(int(i) for i in b) for b in graph.bonds])
    tmp = path.with_name(f".{path.name}.tmp.pdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u.atoms.write(str(tmp))
    tmp.replace(path)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..analysis.clustering import cluster, plot_embedding, populations, representatives
    from ..errors import InputError
    from ..storage import atomic_write_bytes, make_header, write_json_record

    if args.n_clusters is not None and args.n_clusters < 1:
        raise InputError(f"--n-clusters must be >= 1, got {args.n_clusters}")
    if args.eps is not None and args.eps <= 0:
        raise InputError(f"--eps must be > 0, got {args.eps}")
    out = Path(args.output)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    x, graph, kind = _features(args)
    res = cluster(x, args.method, args.n_clusters, eps=args.eps, seed=args.seed)
    labels = res["labels"]
    reps = representatives(x, labels)
    out.mkdir(parents=True, exist_ok=True)
    import io

    buf = io.BytesIO()
    np.save(buf, labels, allow_pickle=False)
    atomic_write_bytes(out / "labels.npy", buf.getvalue())
    pdbs = {}
    if graph is not None:
        for c, frame in reps.items():
            write_pdb(graph, frame, out / f"cluster_{c}.pdb")
            pdbs[str(c)] = f"cluster_{c}.pdb"
    plot_embedding(x, labels, out / "embedding.png",
                   title=f"{args.method}: {res['n_clusters']} clusters ({kind})")
    info = make_header(
        FORMAT, VERSION, input=str(args.input), features=kind, method=args.method,
        n_frames=int(len(labels)), n_clusters=res["n_clusters"], silhouette=res["silhouette"],
        silhouette_by_k={str(k): v for k, v in res.get("silhouette_by_k", {}).items()},
        eps=res.get("eps"), populations={str(k): v for k, v in populations(labels).items()},
        representatives={str(k): v for k, v in reps.items()}, pdb=pdbs)
    write_json_record(out / CLUSTERS_FILE, info, indent=2)
    pops = ", ".join(f"{k}: {v:.2f}" for k, v in populations(labels).items())
    print(f"cgmolct cluster: {res['n_clusters']} clusters by {args.method} on {kind} of "
          f"{len(labels)} frames (silhouette {res['silhouette']:.2f}; populations {pops}); wrote {out}")
    return 0
