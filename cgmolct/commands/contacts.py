"""``cgmolct contacts labels|train|predict``: residue contacts from structures and CG models.

Examples::

    cgmolct contacts labels adk.psf adk_dims.dcd --definition closest-heavy -o labels.npz
    cgmolct contacts labels 1abc.pdb --definition cb --q -o labels.npz
    cgmolct contacts train contacts.yaml            # keys: see cgmolct.contacts.train
    cgmolct contacts predict shipped adk_closed.pdb -o map.npz --png map.png --json
    cgmolct contacts ensemble 1abc.pdb -o ens_1abc/       # OpenMM, 10 ps: frequencies
    cgmolct contacts predict shipped-ensemble 1abc.pdb -o freq.npz   # frequencies predicted
    cgmolct contacts predict my_model/ ca_graph.npz -o map.npz   # CA-only input: no overlay

``labels`` writes an npz with ``contacts`` (frames, n, n) uint8, ``frequency`` (n, n),
``separation`` (n, n), residue names/ids/chains, ``q`` (frames,) with ``--q`` and a JSON
header ``__json__`` (format ``cgmolct-contact-labels``, ``format_version`` 1).  ``predict`` writes
``probability`` (n, n) (0 beyond the 16 Å pair list, NaN for |i − j| < 3), the residue
table and, when the input has all atoms, ``truth`` (n, n) closest-heavy contacts
(frequencies over the frames of a trajectory) and the header ``__json__`` (format
``cgmolct-contact-map``); MODEL is a saved contact model folder or ``shipped`` (the model
that comes with cgmolct).  :func:`read_contacts` reads either file back.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..contacts.files import (FORMAT_VERSION, HEADER_KEY, LABELS_FORMAT, MAP_FORMAT,  # noqa: F401
                              SUPPORTED_VERSIONS, read_contacts, write_contacts)
from ..storage import make_header


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("contacts", help="residue contact labels, training and prediction",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="contacts_command", metavar="{labels,ensemble,train,predict}")
    lab = sub.add_parser("labels", help="contact maps of an all-atom structure or trajectory")
    lab.add_argument("topology", help="structure/topology file (PDB, PSF, GRO, ...)")
    lab.add_argument("trajectories", nargs="*", metavar="TRAJ", help="trajectory files")
    lab.add_argument("--definition", default="closest-heavy", choices=("ca", "cb", "closest-heavy"))
    lab.add_argument("--cutoff", type=float, default=None, help="contact cutoff in Å (default 8 / 8 / 4.5)")
    lab.add_argument("--q", action="store_true",
                     help="also the fraction of native contacts Q of each frame against frame 0")
    _common(lab)
    lab.add_argument("-o", "--output", required=True, help="output .npz")
    en = sub.add_parser("ensemble", help="contact frequencies over an OpenMM trajectory of a structure")
    en.add_argument("structure", help="crystal or model structure (PDB, PDB.gz, ...)")
    en.add_argument("--select", default="protein", metavar="SEL", help="MDAnalysis selection (default 'protein')")
    en.add_argument("--seed", type=int, default=0, help="OpenMM seed")
    en.add_argument("--ps", type=float, default=None,
                    help="simulated time after equilibration in ps (default 10)")
    en.add_argument("-o", "--output", required=True,
                    help="output folder (input.pdb, run/, trajectory.dcd, labels.npz); a finished "
                         "folder is kept, an interrupted one continues")
    tr = sub.add_parser("train", help="train a contact model (YAML/JSON configuration)")
    tr.add_argument("config", help="configuration file; keys of cgmolct.contacts.train.DEFAULTS")
    pr = sub.add_parser("predict", help="contact probability map of a structure or CA graph")
    pr.add_argument("model", help="saved contact model folder, 'shipped' (contacts of the input "
                    "structure) or 'shipped-ensemble' (contact frequencies over a 10 ps trajectory "
                    "started from it)")
    pr.add_argument("input", help="structure file, or a saved CA graph (.npz / folder)")
    pr.add_argument("trajectories", nargs="*", metavar="TRAJ",
                    help="trajectory files (the map is then the mean over frames)")
    _common(pr)
    pr.add_argument("-o", "--output", required=True, help="output .npz")
    pr.add_argument("--png", default=None, help="heat map PNG (true contacts overlaid when known)")
    pr.add_argument("--json", action="store_true", help="print a JSON summary (and metrics)")
    return p


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--select", default="protein", metavar="SEL",
                   help="MDAnalysis selection (default 'protein')")
    p.add_argument("--frames", default=None, metavar="START:STOP:STEP", help="frames to read")


def _write(path: str, arrays: dict, header: dict) -> None:
    write_contacts(path, arrays, header)


def _read(args, need_atoms: bool):
    from ..errors import InputError
    from ..contacts.labels import read_structure
    from .graph import _frames

    path = Path(args.topology if hasattr(args, "topology") else args.input)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    s = read_structure(path, list(args.trajectories) or None, selection=args.select,
                       frames=_frames(args.frames))
    if need_atoms and not s.has_atoms:
        raise InputError(f"{path}: only CA atoms; contact labels need all heavy atoms")
    return s, path


def _residues(graph) -> dict:
    import numpy as np

    return {"residue_ids": np.asarray(graph.residue_ids), "residue_names": np.asarray(graph.residue_names),
            "chain_ids": np.asarray(graph.chain_ids)}


def _labels(args) -> int:
    import numpy as np

    from ..contacts.labels import CUTOFFS, contact_frequency, contact_maps, separation_matrix
    from ..contacts.native import native_contacts_q

    s, path = _read(args, need_atoms=args.definition != "ca")
    maps = contact_maps(s, args.definition, args.cutoff)
    cut = CUTOFFS[args.definition] if args.cutoff is None else float(args.cutoff)
    arrays = {"contacts": maps.astype(np.uint8), "frequency": contact_frequency(maps),
              "separation": separation_matrix(s.graph).astype(np.int32), **_residues(s.graph)}
    if args.q:
        arrays["q"] = native_contacts_q(s, level="all-atom" if s.has_atoms else "ca")
    header = make_header(LABELS_FORMAT, FORMAT_VERSION, definition=args.definition,
                         cutoff_angstrom=cut, source=str(path),
                         trajectories=[str(t) for t in args.trajectories], selection=args.select,
                         n_frames=s.n_frames, n_residues=s.n_residues)
    _write(args.output, arrays, header)
    n_c = int(np.triu(maps.mean(0) > 0.5, 1).sum())
    print(f"cgmolct contacts: wrote {args.output}: {s.n_residues} residues, {s.n_frames} frame(s), "
          f"{args.definition} < {cut:g} Å, {n_c} contacts in >= half of the frames")
    return 0


def _ensemble(args) -> int:
    import numpy as np

    from ..contacts.ensemble import ENSEMBLE_SETTINGS, simulate_ensemble
    from ..errors import InputError

    settings = {}
    if args.ps is not None:
        if not args.ps > 0:
            raise InputError(f"--ps must be > 0; got {args.ps}")
        steps = int(round(args.ps / ENSEMBLE_SETTINGS["timestep"]))
        save = ENSEMBLE_SETTINGS["save_every"]
        settings["n_steps"] = max(save, steps // save * save)
    header = simulate_ensemble(args.structure, args.output, selection=args.select, seed=args.seed,
                               settings=settings, progress=True)
    _, arrays = read_contacts(Path(args.output) / "labels.npz")
    f = arrays["frequency"]
    sep = arrays["separation"]
    m = np.triu(sep >= 6, 1)
    changing = int(((f > 0) & (f < 1))[m].sum())
    print(f"cgmolct contacts: wrote {args.output}/labels.npz: {header['n_residues']} residues, "
          f"{header['n_frames']} frames ({header['ensemble']['simulated_ps']:g} ps, "
          f"{header['ensemble']['speed_ns_per_day']:.1f} ns/day); {changing} pairs (|i-j| >= 6) "
          "change contact state")
    return 0


def _train(args) -> int:
    from ..contacts.train import train_contact_model
    from ..train.config import read_config_file

    cfg = read_config_file(args.config)
    _, record = train_contact_model(cfg, log=lambda s: print(s, flush=True))
    best = (f"validation frequency MAE {record['best_valid_mae']:.4f}" if "best_valid_mae" in record
            else f"validation AP {record['best_valid_ap']:.3f}")
    print(f"cgmolct contacts: best {best} at epoch {record['best_epoch']}; model saved in "
          f"{record['config']['output']}")
    return 0


def _load_model(name: str):
    from ..errors import InputError
    from ..io.checkpoint import load_model
    from ..contacts.model import ContactModel
    from ..contacts.shipped import SHIPPED_MODELS

    path = SHIPPED_MODELS[name] if name in SHIPPED_MODELS else Path(name)
    model = load_model(path)
    if not isinstance(model, ContactModel):
        raise InputError(f"{name}: a saved {type(model).__name__}, not a contact model")
    return model


def _predict(args) -> int:
    import numpy as np

    from ..errors import InputError
    from ..contacts.labels import contact_frequency, contact_maps, separation_matrix
    from ..contacts.metrics import contact_metrics
    from ..contacts.predict import predict_contacts

    if not Path(args.output).suffix == ".npz":
        raise InputError(f"{args.output}: the output must be a .npz file")
    if args.png and Path(args.png).suffix.lower() != ".png":
        raise InputError(f"{args.png}: --png needs a .png file name")
    from ..contacts.shipped import SHIPPED_MODELS

    if args.model not in SHIPPED_MODELS and not Path(args.model).exists():
        raise InputError(f"{args.model}: no saved model there")
    s, path = _read(args, need_atoms=False)
    model = _load_model(args.model)
    prob = predict_contacts(model, s.graph)
    truth = contact_frequency(contact_maps(s, "closest-heavy")) if s.has_atoms else None
    arrays = {"probability": prob, "separation": separation_matrix(s.graph).astype(np.int32),
              **_residues(s.graph)}
    summary = make_header(MAP_FORMAT, FORMAT_VERSION, input=str(path), model=str(args.model),
                          n_residues=s.n_residues, n_frames=s.n_frames)
    summary.update({"predicted_contacts_p_gt_0.5": int(np.nansum(np.triu(prob > 0.5, 1))),
                    "r_pair_angstrom": model.r_pair, "min_separation": model.min_separation,
                    "has_truth": truth is not None})
    if truth is not None:
        arrays["truth"] = truth
        summary["metrics"] = contact_metrics(prob, truth, arrays["separation"])
    _write(args.output, arrays, summary)
    if args.png:
        from ..contacts.plot import plot_contact_map

        plot_contact_map(args.png, prob, truth, arrays["separation"],
                         f"{path.name}: {s.n_residues} residues")
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        line = (f"cgmolct contacts: wrote {args.output}: {s.n_residues} residues, "
                f"{summary['predicted_contacts_p_gt_0.5']} pairs with p > 0.5")
        if truth is not None:
            m = summary["metrics"]["all"]
            line += f"; against the true contacts AP {m['ap']:.3f}, precision@L {m['p@L']:.3f}"
        print(line)
    return 0


def run(args: argparse.Namespace) -> int:
    command = getattr(args, "contacts_command", None)
    if command == "labels":
        return _labels(args)
    if command == "ensemble":
        return _ensemble(args)
    if command == "train":
        return _train(args)
    if command == "predict":
        return _predict(args)
    print("cgmolct contacts: choose one of labels, ensemble, train, predict (see --help)", file=sys.stderr)
    return 2
