"""A CG force field end to end: reference → map → priors → delta forces → training → simulation → FES.

:func:`run_cg_forcefield` joins the library's pieces in the order a user would run the
command-line tools, writing every intermediate file under ``output``:

==========================  ================================================================
``reference_backbone.npz``  the reference mapped to the 5-bead ``backbone`` map (all runs pooled)
``priors.json``             priors fitted by Boltzmann inversion at ``temperature``
``delta.npz``               the reference with delta forces F_ref − F_prior (the target)
``train.json``              the training configuration (``cgmolct train train.json`` reruns it)
``train/``                  the training run (``best_model/``, ``history.json``, ``summary.json``)
``model/``                  the best model saved with its priors (``cgmolct.save(..., priors=)``)
``simulation/``             Langevin replicas from reference frames (``cgmolct simulate`` files)
``fes.png``                 reference vs CG free-energy surfaces in φ/ψ
``summary.json``            all numbers (format ``cgmolct-cg-forcefield``)
==========================  ================================================================

Units: Å, kcal/mol, kcal/mol/Å, ps, amu, K.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Union

import numpy as np

from ..errors import DataError, InputError
from ..storage import make_header, write_json_record

__all__ = ["run_cg_forcefield", "pool_graphs", "read_summary", "SUMMARY_FORMAT", "SUMMARY_VERSION"]

SUMMARY_FORMAT = "cgmolct-cg-forcefield"
SUMMARY_VERSION = 1
SUMMARY_SUPPORTED_VERSIONS = (1,)
SUMMARY_FILE = "summary.json"


def read_summary(path) -> Dict[str, Any]:
    """The ``summary.json`` of a :func:`run_cg_forcefield` output folder (or the file itself).

    Raises
    ------
    InputError
        Missing, corrupt, another format or an unknown version.
    """
    from ..storage import read_json_record

    return read_json_record(path, SUMMARY_FORMAT, SUMMARY_SUPPORTED_VERSIONS, InputError,
                            what="cgmolct CG force-field summary", file_in_folder=SUMMARY_FILE)


def _load(graph):
    import topologies
    from topologies import CGGraph

    if isinstance(graph, CGGraph):
        return graph
    path = Path(graph)
    if not path.exists():
        raise InputError(f"{path}: reference graph does not exist")
    try:
        return CGGraph.load(str(path))
    except topologies.TopologyError as exc:
        raise InputError(f"{path}: not a readable CGGraph ({exc})") from None


def _backbone(graph, name: str):
    from ..reference.mapping import map_reference

    if graph.forces is None:
        raise DataError(f"{name}: the reference graph has no forces; force matching needs mapped "
                        "reference forces (make it with cgmolct data reference)")
    mapping = graph.mapping.name if graph.mapping is not None else graph.provenance.get("mapping")
    if mapping == "all-atom":
        return map_reference(graph, "backbone")
    if mapping != "backbone" and graph.n_beads != 5:
        raise InputError(f"{name}: mapping {mapping!r}; give an all-atom alanine-dipeptide reference "
                         "or its 5-bead backbone map")
    return graph


def pool_graphs(graphs: Sequence):
    """One graph with the frames of several graphs of the same system, in order.

    Parameters
    ----------
    graphs : sequence of topologies.CGGraph
        Same beads (types and names) in each; all with forces or all without.

    Returns
    -------
    topologies.CGGraph
        The first graph's topology with every graph's frames concatenated; the provenance
        records ``pooled_frames`` (frames per input).
    """
    graphs = list(graphs)
    if not graphs:
        raise InputError("pool_graphs: no graph given")
    first = graphs[0]
    if len(graphs) == 1:
        return first
    for k, g in enumerate(graphs[1:], 1):
        if g.n_beads != first.n_beads or not np.array_equal(g.types, first.types) \
                or not np.array_equal(g.names, first.names):
            raise InputError(f"pool_graphs: graph {k} has other beads than graph 0")
        if (g.forces is None) != (first.forces is None):
            raise InputError(f"pool_graphs: graph {k} and graph 0 differ in having forces")
    cat = (lambda name: None if getattr(first, name) is None
           else np.concatenate([getattr(g, name) for g in graphs]))
    labels = {k: np.concatenate([np.asarray(g.labels[k]) for g in graphs])
              for k in first.labels if all(k in g.labels for g in graphs)}
    pooled = first._replace(positions=cat("positions"), forces=cat("forces"),
                            energies=cat("energies"), box=None, labels=labels)
    pooled.provenance["pooled_frames"] = [int(g.n_frames) for g in graphs]
    return pooled


def _check_positive(name, value, integer=False):
    ok = isinstance(value, (int, np.integer)) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok or not np.isfinite(value) or value <= 0:
        kind = "a positive integer" if integer else "a positive number"
        raise InputError(f"{name} must be {kind}, got {value!r}")


def _training_config(out: Path, delta_path: Path, model: str, dim: int, max_time_s: float,
                     max_epochs: int, batch_size: int, lr: float, seed: int, valid: float,
                     threads: Optional[int], patience: Optional[int],
                     schedule: str = "warmup_inverse_sqrt") -> Dict[str, Any]:
    return {
        "task": "forces", "output": str(out / "train"), "seed": int(seed),
        "data": {"format": "graph", "train": str(delta_path),
                 "split": {"valid": float(valid), "seed": int(seed)}, "cutoff": None},
        "model": {"representation": model, "dim": int(dim)},
        "optimizer": {"lr": float(lr), "schedule": schedule, "warmup": 50},
        "training": {"batch_size": int(batch_size), "max_epochs": int(max_epochs),
                     "max_time_s": float(max_time_s), "patience": patience,
                     "progress": False, "threads": threads, "checkpoint_every": 500},
    }


def _best_record(history):
    valid = [h for h in history if "valid_forces_rmse" in h]
    if not valid:
        return None
    return min(valid, key=lambda h: h["monitor"] if "monitor" in h else h["valid_forces_rmse"])


def run_cg_forcefield(reference_graphs: Union[str, os.PathLike, Any, Sequence[Any]],
                      output: Union[str, os.PathLike], *, model: str = "NIU1", dim: int = 32,
                      max_time_s: float = 300.0, max_epochs: int = 1000, batch_size: int = 64,
                      lr: float = 1e-3, schedule: str = "warmup_inverse_sqrt",
                      priors_terms: Optional[Sequence[str]] = None,
                      temperature: float = 300.0, replicas: int = 64, sim_steps: int = 20000,
                      save_every: int = 100, dt: float = 0.002, friction: float = 1.0,
                      seed: int = 0, valid: float = 0.1, patience: Optional[int] = None,
                      threads: Optional[int] = None, noise_frames: int = 2000,
                      n_resamples: int = 500, train_frames: Optional[int] = None,
                      overwrite: bool = False, reuse_training: bool = False) -> Dict[str, Any]:
    """Train, simulate and evaluate a 5-bead alanine-dipeptide CG force field.

    Parameters
    ----------
    reference_graphs : path, CGGraph or sequence of them
        Reference data with forces: ``all-atom`` graphs (``cgmolct data reference``; mapped to
        ``backbone`` here) or ``backbone`` graphs (``cgmolct data map``).  Several are pooled
        (e.g. independent seeds).
    output : path
        Output folder (see the module docstring for its files).
    model : str
        Representation preset (``NIU1`` — MolCT with fixed cycles —, ``SchNet3``, ...).
    dim : int
        Feature size of the preset.
    max_time_s : float
        Wall-time budget of the training in s (the run stops there, "not converged").
    max_epochs, batch_size, lr, patience
        Training limits and optimiser (Adam, learning rate ``lr``).
    schedule : str
        Learning-rate schedule (:data:`cgmolct.train.schedules.SCHEDULES`): the default warm-up +
        inverse square root, or ``cosine``, which decays to ~0 at ``max_epochs`` (set
        ``max_epochs`` to what the time budget allows: force matching on noisy mapped forces
        needs the small final steps to settle on the mean force).
    priors_terms : sequence of str, optional
        Prior terms (:data:`cgmolct.priors.TERMS`; default all: bonds, angles, signed
        dihedrals, impropers, repulsion).  Leaving out ``dihedrals`` leaves a mirror-blind model.
    temperature : float
        K, of the reference, the prior fit, the simulation and the FES.
    replicas, sim_steps, save_every, dt, friction
        Langevin simulation: replicas (started from reference frames spread over the data),
        steps per replica, frame interval (steps), time step (ps), friction (1/ps).
    seed : int
        Seed of the split, the initialisation and the thermostat.
    valid : float
        Validation fraction of the frames.
    threads : int, optional
        MindSpore CPU threads.
    noise_frames : int
        Frames of the force noise-floor estimate (:func:`~cgmolct.pipeline.force_noise_floor`).
    n_resamples : int
        Bootstrap resamples of the basin populations.
    train_frames : int, optional
        Train (and validate) on at most this many evenly spaced frames (default all); the
        priors, the noise floor and the reference FES use every frame.
    overwrite : bool
        Replace an earlier run in ``output``.
    reuse_training : bool
        Keep a finished training of an earlier call in ``output`` (its ``train/summary.json``
        and checkpoints) when its training configuration ``train.json`` equals this call's,
        and redo only the steps after it (model folder, simulation, FES): a run stopped
        after training continues there instead of training again.

    Returns
    -------
    dict
        The summary written to ``output/summary.json``: ``reference`` (frames, ns),
        ``priors`` (terms), ``training`` (status, epochs, best validation force RMSE/MAE,
        kcal/mol/Å), ``force_noise_floor``, ``simulation`` (replica-steps/s, frames),
        ``fes`` (JS, its noise floor, basin populations with errors), ``files``.

    Raises
    ------
    InputError
        Missing or unreadable graphs, a mapping other than all-atom/backbone, bad options,
        an output folder holding a run (without ``overwrite``).
    DataError
        A reference graph without forces.
    SimulationError
        A replica blew up (the files so far are kept).
    """
    t_start = time.perf_counter()
    if isinstance(reference_graphs, (str, os.PathLike)) or not isinstance(reference_graphs, (list, tuple)):
        reference_graphs = [reference_graphs]
    if not reference_graphs:
        raise InputError("run_cg_forcefield: no reference graph given")
    for name, value, integer in (("dim", dim, True), ("max_time_s", max_time_s, False),
                                 ("max_epochs", max_epochs, True), ("batch_size", batch_size, True),
                                 ("lr", lr, False), ("temperature", temperature, False),
                                 ("replicas", replicas, True), ("sim_steps", sim_steps, True),
                                 ("save_every", save_every, True), ("dt", dt, False),
                                 ("noise_frames", noise_frames, True), ("n_resamples", n_resamples, True)):
        _check_positive(name, value, integer)
    if not 0 < valid < 1:
        raise InputError(f"valid must be a fraction in (0, 1), got {valid!r}")
    from ..train.schedules import SCHEDULES
    if schedule not in SCHEDULES:
        raise InputError(f"schedule must be one of {', '.join(SCHEDULES)}, got {schedule!r}")
    out = Path(output)
    if (out / "summary.json").exists() and not overwrite:
        raise InputError(f"{out} already holds a pipeline run (summary.json); choose another "
                         "folder or pass overwrite=True")
    out.mkdir(parents=True, exist_ok=True)
    names = [str(g) if isinstance(g, (str, os.PathLike)) else f"graph {k}"
             for k, g in enumerate(reference_graphs)]
    graphs = [_backbone(_load(g), n) for g, n in zip(reference_graphs, names)]
    ref = pool_graphs(graphs)
    ref_path = out / "reference_backbone.npz"
    ref.save(str(ref_path))
    timings: Dict[str, float] = {}

    # priors and delta forces
    t0 = time.perf_counter()
    import mindspore as ms

    if threads is not None:
        ms.set_context(runtime_num_threads=int(threads))
    from ..priors import DEFAULT_TERMS, PriorFitter, save_priors, subtract_prior_forces

    terms = tuple(DEFAULT_TERMS if priors_terms is None else priors_terms)
    priors = PriorFitter(temperature=temperature, terms=terms).fit(ref).fetch_model()
    save_priors(priors, out)
    delta = subtract_prior_forces(ref, priors)
    from .noise import force_noise_floor

    noise = force_noise_floor(delta, n_frames=noise_frames, seed=seed)
    delta_path = out / "delta.npz"
    if train_frames is not None and (isinstance(train_frames, bool) or train_frames < 10):
        raise InputError(f"train_frames must be an integer >= 10, got {train_frames!r}")
    if train_frames is not None and delta.n_frames > train_frames:
        # evenly spaced frames: a time budget then still sees whole epochs and validations
        keep = np.unique(np.linspace(0, delta.n_frames - 1, int(train_frames)).round().astype(int))
        delta = delta.select_frames(keep)
    delta.save(str(delta_path))
    timings["priors_s"] = time.perf_counter() - t0



    # training through the same code path as `cgmolct train`
    t0 = time.perf_counter()
    from ..train.config import validate_config
    from ..train.run import train

    raw = _training_config(out, delta_path, model, dim, max_time_s, max_epochs, batch_size, lr,
                           seed, valid, threads, patience, schedule)
    trained = out / "train" / "summary.json"
    if reuse_training and trained.exists():
        earlier = json.loads((out / "train.json").read_text()) if (out / "train.json").exists() else None
        if earlier != json.loads(json.dumps(raw)):
            raise InputError(f"{out / 'train.json'}: the finished training was configured differently "
                             "from this call (other model, data or limits); train again without "
                             "reuse_training")
        summary_train = json.loads(trained.read_text())
    else:
        (out / "train.json").write_text(json.dumps(raw, indent=2))
        cfg = validate_config(raw, str(out / "train.json"))
        summary_train = train(cfg, overwrite=True)
    timings["training_s"] = time.perf_counter() - t0
    best_folder = out / "train" / "best_model"
    import cgmolct
    from ..io.checkpoint import load_model

    if best_folder.exists():
        net = load_model(best_folder)
        info = getattr(net, "saved_info", {}) or {}
        metadata = dict(info.get("metadata") or {})
        chosen = "best_model"
    else:  # the budget ran out before the first validation: the last weights, said so
        from ..train.run import model_from_checkpoint

        last = out / "train" / "last.npz"
        if not last.exists():
            raise DataError(f"{out / 'train'}: training wrote no checkpoint "
                            f"({summary_train.get('status')}); give it more time (max_time_s)")
        net, _ = model_from_checkpoint(last)
        metadata, chosen = {}, "last.npz (no validation within the budget)"
    metadata.update(mapping="backbone", temperature_K=float(temperature),
                    prior_terms=list(priors.term_names), pipeline="cgmolct.pipeline.run_cg_forcefield")
    model_folder = out / "model"
    cgmolct.save(net, model_folder, metadata=metadata, priors=priors)
    hist_path = out / "train" / "history.json"
    hist = json.loads(hist_path.read_text()) if hist_path.exists() else []
    best = _best_record(hist)

    # simulation from reference frames
    t0 = time.perf_counter()
    from ..simulate import Simulation

    sim = Simulation(net, ref, priors=priors, n_replicas=int(replicas), dt=dt, friction=friction,
                     temperature=temperature, seed=seed)
    sim_out = out / "simulation"
    # a short first piece holds the compilation; the second gives the steady-state speed
    first_piece = int(save_every) * max(1, min(10, int(sim_steps) // (10 * int(save_every))))
    first_piece = min(first_piece, int(sim_steps))
    warm = sim.run(first_piece, sim_out, save_every=int(save_every), progress=False, overwrite=True)
    result = warm
    if int(sim_steps) > first_piece:
        result = sim.run(int(sim_steps) - first_piece, sim_out, save_every=int(save_every),
                         progress=False)
    timings["simulation_s"] = time.perf_counter() - t0

    # free-energy comparison
    from ..analysis import FreeEnergy, load_angles, simulation_angles

    ra = load_angles(str(ref_path))
    ca = simulation_angles(sim_out, temperature)
    fes = FreeEnergy((ra["x"], ra["y"]), (ca["x"], ca["y"]), temperature=temperature,
                     n_resamples=n_resamples, seed=seed).run()
    fes_summary = fes.summary()
    png = fes.plot(str(out / "fes.png"))
    n_ns = None
    meta_ref = ref.provenance.get("reference")
    dt_frame = meta_ref.get("save_interval_ps") if isinstance(meta_ref, dict) else None
    if dt_frame:
        n_ns = ref.n_frames * float(dt_frame) / 1000.0
    summary = make_header(SUMMARY_FORMAT, SUMMARY_VERSION)
    summary.update({
        "reference": {"inputs": names, "frames": int(ref.n_frames), "beads": int(ref.n_beads),
                      "bead_names": [str(n) for n in ref.names], "ns": n_ns,
                      "pooled_frames": ref.provenance.get("pooled_frames", [int(ref.n_frames)])},
        "priors": {"terms": list(priors.term_names), "temperature_K": float(temperature)},
        "training": {"model": model, "dim": int(dim), "frames": int(delta.n_frames), "n_params": summary_train.get("n_params"),
                     "status": summary_train.get("status"), "epochs": summary_train.get("epochs"),
                     "steps": summary_train.get("steps"), "best_epoch": summary_train.get("best_epoch"),
                     "max_time_s": float(max_time_s), "max_epochs": int(max_epochs),
                     "batch_size": int(batch_size), "lr": float(lr), "schedule": schedule,
                     "model_used": chosen,
                     "valid_force_rmse": None if best is None else best["valid_forces_rmse"],
                     "valid_force_mae": None if best is None else best["valid_forces_mae"],
                     "valid_force_mse": None if best is None else best["valid_forces_rmse"] ** 2,
                     "unit": "kcal/mol/Å per component (delta forces)"},
        "force_noise_floor": noise,
        "simulation": {"replicas": int(replicas), "steps": int(sim_steps), "dt_ps": float(dt),
                       "friction_per_ps": float(friction), "masses_amu": [float(m) for m in sim.masses],
                       "save_every": int(save_every), "frames_per_replica": int(warm.frames + (result.frames if result is not warm else 0)),
                       "first_piece_steps": first_piece,
                       "first_piece_wall_s": warm.wall_s,
                       "wall_s": result.wall_s, "replica_steps_per_s": result.replica_steps_per_s,
                       "ns_per_day": result.ns_per_day,
                       "speed_note": "replica_steps_per_s and ns_per_day of the steps after the "
                                     "first piece (which includes compilation)"},
        "fes": fes_summary,
        "timings_s": {k: round(v, 2) for k, v in timings.items()},
        "total_s": round(time.perf_counter() - t_start, 2),
        "load_average": list(os.getloadavg()),
        "files": {"reference": str(ref_path), "priors": str(out / "priors.json"),
                  "delta": str(delta_path), "config": str(out / "train.json"),
                  "model": str(model_folder), "simulation": str(sim_out), "png": png},
    })
    write_json_record(out / SUMMARY_FILE, summary, default=str)
    return summary
