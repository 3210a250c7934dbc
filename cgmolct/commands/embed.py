"""``cgmolct embed CHECKPOINT TOPOLOGY [TRAJ ...] -o emb.npy``: one vector per frame.

Examples::

    # a saved embedder (MolCTEmbedder.save) or a force field (its features, mean-pooled)
    cgmolct embed ff_model/ adk.psf adk.dcd --mapping ca -o adk_emb.npy
    # train a VAMP embedder from the force field's representation first, and keep it
    cgmolct embed ff_model/ ala2_backbone.npz --fit vamp --lag 10 --save-model ala2_vamp -o emb.npy
    # no checkpoint: a new MolCT trained with the metric (CG RMSD) objective
    cgmolct embed new ala2_backbone.npz --fit metric -o emb.npy

CHECKPOINT is a saved model folder, or ``new`` with ``--fit``.  TOPOLOGY is a saved graph
(.npz or folder) or a structure file read with the trajectories and --mapping.  The output
is a (frames, d) float32 array (``--states``: VAMP soft state assignments instead).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from .graph import _build_options


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("embed", help="per-frame conformation embeddings (MolCT + graph readout)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", help="saved model folder (embedder or force field), or 'new' with --fit")
    p.add_argument("topology", help="saved graph (.npz/folder) or structure file")
    p.add_argument("trajectories", nargs="*", metavar="TRAJ", help="trajectory files (structure input)")
    p.add_argument("-o", "--output", required=True, help="output .npy file (frames, d)")
    p.add_argument("--fit", choices=("vamp", "metric"), default=None,
                   help="train an embedder on these frames first (from the checkpoint's representation)")
    p.add_argument("--lag", type=int, default=1, help="VAMP lag in frames (default 1)")
    p.add_argument("--dim", type=int, default=16, help="embedding size of a trained embedder (default 16)")
    p.add_argument("--n-states", type=int, default=4, help="VAMP soft states (default 4)")
    p.add_argument("--epochs", type=int, default=10, help="training epochs (default 10)")
    p.add_argument("--max-seconds", type=float, default=None, help="training time budget (s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--states", action="store_true", help="write VAMP state assignments, not embeddings")
    p.add_argument("--save-model", default=None, metavar="DIR", help="save the trained embedder here")
    p.add_argument("--batch-size", type=int, default=512, help="frames per batch (default 512)")
    _build_options(p)
    return p


def load_frames(args):
    """The CGGraph of ``args.topology`` (+ trajectories) with the graph build options."""
    import topologies

    from ..errors import InputError
    from .graph import _build, _is_saved_graph, _print_warnings

    path = Path(args.topology)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if _is_saved_graph(path) and not args.trajectories:
        return topologies.CGGraph.load(path)
    graph, messages = _build(args, str(path), list(args.trajectories))
    _print_warnings(messages)
    return graph


def _check(args) -> None:
    from ..errors import InputError

    for name in ("lag", "dim", "n_states", "epochs", "batch_size"):
        value = getattr(args, name)
        if value is None or value < (2 if name == "n_states" else 1):
            raise InputError(f"--{name.replace('_', '-')} must be >= {2 if name == 'n_states' else 1}, "
                             f"got {value}")
    if args.checkpoint == "new" and not args.fit:
        raise InputError("checkpoint 'new' needs --fit vamp|metric")
    if args.checkpoint != "new" and not Path(args.checkpoint).exists():
        raise InputError(f"{args.checkpoint}: no saved model there")
    if args.states and args.fit == "metric":
        raise InputError("--states needs a VAMP embedder (--fit vamp or a saved one)")
    if not str(args.output).endswith(".npy"):
        raise InputError(f"{args.output}: the output must be a .npy file")
    if args.save_model and not args.fit:
        raise InputError("--save-model needs --fit")


def run(args: argparse.Namespace) -> int:
    import io

    import numpy as np

    from ..embed import MolCTEmbedder
    from ..errors import InputError
    from ..train.checkpoint import atomic_write_bytes

    _check(args)
    graph = load_frames(args)
    embedder = MolCTEmbedder(
        objective=args.fit or "pretrained",
        checkpoint=None if args.checkpoint == "new" else args.checkpoint,
        dim=args.dim, n_states=args.n_states, lag=args.lag, epochs=args.epochs,
        max_seconds=args.max_seconds, seed=args.seed, batch_size=min(args.batch_size, 256))
    embedder.fit(graph)
    model = embedder.model_
    if args.states and not model.n_states:
        raise InputError(f"{args.checkpoint}: the model has no state head; --states needs a VAMP embedder")
    embedder.output = "states" if args.states else "embedding"
    embedder.batch_size = args.batch_size
    x = embedder.transform(graph).astype(np.float32)
    buf = io.BytesIO()
    np.save(buf, x, allow_pickle=False)
    atomic_write_bytes(Path(args.output), buf.getvalue())
    if args.save_model:
        embedder.save(args.save_model)
    trained = (f", trained {args.fit} {embedder.history_['steps']} steps" if args.fit else "")
    print(f"cgmolct embed: wrote {args.output}: {x.shape[0]} frames x {x.shape[1]} "
          f"{'states' if args.states else 'dims'}{trained}")
    return 0
