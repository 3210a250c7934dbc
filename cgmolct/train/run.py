"""From a validated configuration to a running :class:`~cgmolct.train.trainer.Trainer`.

:func:`build_run` loads the data sets, fits the normalisation on the training split
(scale, shift, per-type references by least squares; d_E and d_F of the unit-free loss),
builds the model (paper presets or a registry spec), the objective and the trainer.
:func:`train` adds resume / overwrite handling, the final test evaluation and the
``summary.json`` record.  :func:`model_from_checkpoint` rebuilds a trained model.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import numpy as np

from ..errors import CheckpointError, ConfigError, DataError
from .checkpoint import atomic_write_text, read_checkpoint

__all__ = ["load_split_data", "build_model", "build_run", "train", "model_from_checkpoint",
           "REPRESENTATION_PRESETS"]

#: Names accepted by ``model.representation`` besides a registry spec.
REPRESENTATION_PRESETS = ("EA1", "EA3", "NIU1", "NIU3", "NIU6", "SchNet3", "PhysNet")


def load_split_data(path, fmt: str, cutoff: Optional[float], limit: Optional[int] = None,
                    mmap: bool = True):
    """Load one split as a :class:`cgmolct.data.dataset.MolecularDataset`.

    ``path`` is a file/folder, or a list of saved CGGraph files/folders for ``fmt="graph"``
    (several systems, e.g. different proteins, in one data set).
    """
    from ..data import loaders

    options = {"cutoff": cutoff}
    if fmt == "graph":
        ds = loaders.open_dataset(path if isinstance(path, list) else [path], format="graph",
                                  mmap=mmap, batch_options=options)
    elif fmt == "md17":
        ds = loaders.load_md17(path, batch_options=options)
    elif fmt == "qm9":
        ds = loaders.load_qm9(path, batch_options=options)
    elif fmt == "dataset":
        from ..data import folder

        ds = folder.load_folder(path, mmap=mmap).with_options(**options)
    else:  # validated by the schema
        raise ConfigError(f"data.format: unknown format {fmt!r}")
    if limit is not None:
        ds = ds.subset(np.arange(min(int(limit), len(ds))))
    return ds


def _split_counts(spec: Dict[str, Any], n: int):
    counts = []
    for name in ("valid", "test"):
        v = spec.get(name, 0) or 0
        counts.append(int(v) if isinstance(v, int) and v >= 1 else int(np.floor(float(v) * n + 1e-9)))
    if counts[0] < 1 or sum(counts) >= n:
        raise ConfigError(f"data.split: {counts[0]} validation and {counts[1]} test frames of {n} "
                          "leave no training frames (or no validation frame)")
    return counts


def load_data(d: Dict[str, Any]):
    """(train, valid, test) data sets of a validated ``data`` section; ``test`` is None when
    it comes from ``data.test`` (a file evaluated at the end) or is not asked for.

    With ``data.split`` the frames of ``data.train`` are split at random by fractions/counts
    and a seed (the same seed gives the same split), or by the index lists of a split file.
    """
    from ..data.splits import load_split, split_by_fraction

    fmt, cutoff = d["format"], d["cutoff"]
    if d["split"] is None:
        train = load_split_data(d["train"], fmt, cutoff, d["limit"], d["mmap"])
        return train, load_split_data(d["valid"], fmt, cutoff, mmap=d["mmap"]), None
    full = load_split_data(d["train"], fmt, cutoff, mmap=d["mmap"])
    n = len(full)
    if isinstance(d["split"], str):
        split = load_split(d["split"], n)
        train_idx, valid_idx = split["train"], split["valid"]
        test_idx = split.get("test")
    else:
        n_valid, n_test = _split_counts(d["split"], n)
        train_idx, valid_idx, test_idx = split_by_fraction(
            n, [n - n_valid - n_test, n_valid, n_test], seed=int(d["split"].get("seed", 0)))
    if d["limit"] is not None:
        train_idx = train_idx[:int(d["limit"])]
    test = full.subset(test_idx) if test_idx is not None and len(test_idx) else None
    return full.subset(train_idx), full.subset(valid_idx), test


class _FixedShape:
    """Wrap a data set so every batch has the same bead/neighbour/relation capacities
    (one compiled graph for the whole run)."""

    def __init__(self, dataset, capacities: Dict[str, int]):
        self.dataset = dataset
        self.capacities = capacities

    def __len__(self) -> int:
        return len(self.dataset)

    def batch(self, indices):
        out = self.dataset.batch(indices, **self.capacities)
        for key in ("energy", "labels", "forces"):
            if key in out:
                out[key] = np.asarray(out[key], np.float32)
        return out


def _capacities(datasets, cutoff) -> Dict[str, int]:
    bead = neigh = rel = 1
    for ds in datasets:
        for start in range(0, len(ds), 256):
            b = ds.batch(np.arange(start, min(start + 256, len(ds))))
            bead = max(bead, b["types"].shape[1])
            neigh = max(neigh, int(b["neighbour_mask"].sum(-1).max()))
            rel = max(rel, int(b["rel_mask"].sum(-1).max()))
    return {"bead_capacity": bead, "neighbour_capacity": max(neigh, 1), "rel_capacity": max(rel, 1)}


def forces_only_normalisation(dataset):
    """Energy normalisation of a data set with forces but no energies (CG force matching).

    The energy is only known up to a constant: shift 0 and no per-type references; the
    readout scale is the RMS force times 1 Å (kcal/mol), which is also d_F of the loss.
    """
    from ..data.normalisation import Normalisation, _rms_forces

    rms = _rms_forces(dataset)
    if not np.isfinite(rms) or rms <= 0:
        raise DataError("the training forces are all zero (or not finite); nothing to match")
    return Normalisation(target="energy", unit="kcal/mol", mode="atomwise", scale=rms,
                         shift=0.0, force_scale=rms)


def build_model(cfg: Dict[str, Any], task: str, norms, label_names=(), atomwise=()):
    """Build the trainable model of ``task`` from the ``model`` section and the statistics."""
    from ..models import MolCT, PhysNet, SchNet, build
    from ..readouts import EnergyForceModel, GraphReadout, NodeReadout
    from .property_model import PropertyModel

    m = cfg["model"]
    rep = m["representation"]
    overrides = {"dim": m["dim"]} if m["dim"] else {}
    if isinstance(rep, dict):
        representation = build(rep)
    elif rep in ("EA1", "EA3", "NIU1", "NIU3", "NIU6"):
        if rep.startswith("NIU"):
            # ACT changes the cycle count of a bead abruptly: the energy would jump, so energy
            # and force models run every cycle unless the configuration says otherwise
            fixed = m["fixed_cycles"]
            overrides["fixed_cycles"] = (task in ("energy_forces", "forces", "energy")) \
                if fixed is None else bool(fixed)
        representation = MolCT.preset(rep, **overrides)
    elif rep == "SchNet3":
        representation = SchNet(n_interactions=3, **overrides)
    elif rep == "PhysNet":
        representation = PhysNet(**overrides)
    else:
        import difflib

        close = difflib.get_close_matches(rep, REPRESENTATION_PRESETS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"model.representation: unknown preset {rep!r}{hint} "
                          f"(presets: {', '.join(REPRESENTATION_PRESETS)}, or {{class:, config:}})")
    dim = representation.dim
    readout_kw = {"activation": m["activation"]}
    if m["hidden"] is not None:
        readout_kw["hidden"] = [int(h) for h in m["hidden"]]
    if task in ("energy_forces", "forces", "energy"):
        n = norms["energy"]
        readout = NodeReadout(dim, 1, scale=n.scale, shift=n.shift,
                              type_reference={t: v for t, v in n.type_ref.items()}, **readout_kw)
        return EnergyForceModel(representation, readout)
    names = list(label_names)
    a_cols = [k for k, name in enumerate(names) if name in atomwise]
    g_cols = [k for k, name in enumerate(names) if name not in atomwise]
    node = graph = None
    if a_cols:
        refs: Dict[int, list] = {}
        for j, k in enumerate(a_cols):
            for t, v in norms[names[k]].type_ref.items():
                refs.setdefault(int(t), [0.0] * len(a_cols))[j] = v
        node = NodeReadout(dim, len(a_cols), scale=[norms[names[k]].scale for k in a_cols],
                           shift=[norms[names[k]].shift for k in a_cols], type_reference=refs,
                           **readout_kw)
    if g_cols:
        graph = GraphReadout(dim, pooling=m["pooling"], dim_out=len(g_cols),
                             hidden=readout_kw.get("hidden", [dim // 2]), activation=m["activation"])
    return PropertyModel(representation, node, graph, a_cols, g_cols,
                         [norms[names[k]].scale for k in g_cols],
                         [norms[names[k]].shift for k in g_cols])


def build_run(cfg: Dict[str, Any], output: Optional[str] = None):
    """Data, statistics, model, objective and trainer for a validated configuration.

    Returns
    -------
    trainer, info : Trainer, dict
        ``info`` has the data sets, normalisations and the parameter count.
    """
    import mindspore as ms

    from ..data.normalisation import fit_normalisation
    from .losses import ForceLoss, LabelLoss, PonderCost, UnitFreeEnergyForceLoss, EnergyLoss
    from .objective import (EnergyForceObjective, EnergyForcePredict, EnergyObjective,
                            ForceObjective, LabelObjective, OutputPredict)
    from .trainer import TrainOptions, Trainer

    from ..runtime import set_threads

    set_threads(cfg["training"]["threads"])
    ms.set_seed(int(cfg["seed"]))
    d, task = cfg["data"], cfg["task"]
    train_ds, valid_ds, test_ds = load_data(d)
    label_names, label_units, atomwise = [], [], []
    norms = {}
    if task == "forces":
        if not train_ds.has("forces"):
            raise DataError(f"{d['train']}: has no forces for task 'forces'")
        norms["energy"] = forces_only_normalisation(train_ds)
    elif task in ("energy_forces", "energy"):
        if not train_ds.has("energy"):
            hint = " (CG force matching without energies: use task 'forces')" \
                if train_ds.has("forces") else ""
            raise DataError(f"{d['train']}: has no energies for task {task!r}{hint}")
        if task == "energy_forces" and not train_ds.has("forces"):
            raise DataError(f"{d['train']}: has no forces for task 'energy_forces'")
        norms["energy"] = fit_normalisation(train_ds, "energy")
    else:
        all_names = list(train_ds.label_names)
        if not all_names:
            raise DataError(f"{d['train']}: has no graph labels for task 'labels'")
        label_names = list(d["labels"] or all_names)
        unknown = [n for n in label_names if n not in all_names]
        if unknown:
            raise ConfigError(f"data.labels: unknown label(s) {unknown}; the data has {all_names}")
        modes = train_ds.metadata.get("label_modes") or ["graph"] * len(all_names)
        wanted_atomwise = cfg["model"]["atomwise_labels"]
        for name in label_names:
            col = all_names.index(name)
            mode = ("atomwise" if name in wanted_atomwise else "graph") if wanted_atomwise is not None \
                else modes[col]
            if mode == "atomwise":
                atomwise.append(name)
            norms[name] = fit_normalisation(train_ds, name, mode=mode,
                                            type_ref=(mode == "atomwise"))
            label_units.append(train_ds.label_units[col] if col < len(train_ds.label_units) else "")
        columns = [all_names.index(n) for n in label_names]
        if columns != list(range(len(all_names))):
            train_ds = _LabelColumns(train_ds, columns)
            valid_ds = _LabelColumns(valid_ds, columns)
    caps = _capacities([x for x in (train_ds, valid_ds, test_ds) if x is not None], d["cutoff"])
    train_data, valid_data = _FixedShape(train_ds, caps), _FixedShape(valid_ds, caps)

    model = build_model(cfg, task, norms, label_names, atomwise)
    lc = cfg["loss"]
    if task == "energy_forces":
        n = norms["energy"]
        loss = UnitFreeEnergyForceLoss(lc["energy_weight"], lc["force_weight"], n.scale,
                                       n.force_scale or 1.0)
        objective = EnergyForceObjective(model, loss, model_returns_forces=True)
        predict = EnergyForcePredict(model, model_returns_forces=True)
        mean_n = float(np.mean(train_ds.n_beads()))
        monitor = {"energy": (lc["energy_weight"], n.scale * mean_n),
                   "forces": (lc["force_weight"], n.force_scale or 1.0)}
    elif task == "forces":
        d_f = norms["energy"].force_scale or 1.0
        objective = ForceObjective(model, ForceLoss(lc["kind"]), d_f, model_returns_forces=True)
        predict = EnergyForcePredict(model, model_returns_forces=True)
        monitor = {"forces": (1.0, d_f)}
    elif task == "energy":
        n = norms["energy"]
        objective = EnergyObjective(model, EnergyLoss(lc["kind"], per_bead=True), n.scale)
        predict = OutputPredict(model, first=True)
        monitor = {"energy": (1.0, n.scale)}
    else:
        weights = lc["label_weights"] or {}
        unknown = [k for k in weights if k not in label_names]
        if unknown:
            raise ConfigError(f"loss.label_weights: unknown label(s) {unknown}; labels are {label_names}")
        w = [float(weights.get(name, 1.0)) for name in label_names]
        total = sum(w) or 1.0
        w = [x / total for x in w]
        scales = [norms[name].scale * (float(np.mean(train_ds.n_beads())) if name in atomwise else 1.0)
                  for name in label_names]
        ponder = PonderCost(lc["ponder_cost"]) if lc["ponder_cost"] > 0 else None
        objective = LabelObjective(model, LabelLoss(scales, w, lc["kind"]), ponder)
        predict = OutputPredict(model)
        monitor = {name: (w[k], scales[k]) for k, name in enumerate(label_names)}
    t = cfg["training"]
    o = cfg["optimizer"]
    options = TrainOptions(
        batch_size=t["batch_size"], max_epochs=t["max_epochs"], max_steps=t["max_steps"],
        max_time_s=t["max_time_s"], patience=t["patience"], validate_every=t["validate_every"],
        checkpoint_every=t["checkpoint_every"], seed=int(cfg["seed"]), optimizer=o["name"],
        lr=o["lr"], weight_decay=o["weight_decay"], schedule=o["schedule"], warmup=o["warmup"],
        lr_min=o["lr_min"], plateau_factor=o["plateau_factor"],
        plateau_patience=o["plateau_patience"], clip_grad=o["clip_grad"], nan_max=t["nan_max"],
        nan_lr_factor=t["nan_lr_factor"], monitor=t["monitor"], progress=t["progress"],
        chunk_size=t["chunk_size"])
    from ..models import to_spec

    meta = {"config": cfg, "model_spec": to_spec(model),
            "normalisation": {k: v.to_dict() for k, v in norms.items()},
            "capacities": caps}
    trainer = Trainer(model, objective, predict, task, train_data, valid_data,
                      output or cfg["output"], options, monitor_scales=monitor,
                      label_names=label_names or None, label_units=label_units or None,
                      export=_exporter({"task": task, **trained_vocabulary(train_ds),
                                        "max_separation": _max_separation(train_ds),
                                        "data": d["train"] if isinstance(d["train"], str)
                                        else list(d["train"])}), meta=meta)
    n_params = int(sum(int(np.prod(p.shape)) for p in model.trainable_params()))
    return trainer, {"train": train_ds, "valid": valid_ds, "test": test_ds, "norms": norms, "n_params": n_params,
                     "capacities": caps, "label_names": label_names, "label_units": label_units}


class _LabelColumns:
    """View of a data set whose ``labels`` keep only the chosen columns."""

    def __init__(self, dataset, columns):
        self.dataset, self.columns = dataset, list(columns)

    def __len__(self):
        return len(self.dataset)

    def __getattr__(self, name):
        return getattr(self.dataset, name)

    def batch(self, indices, **options):
        out = self.dataset.batch(indices, **options)
        if "labels" in out:
            out["labels"] = out["labels"][:, self.columns]
        return out


def _max_separation(dataset) -> int:
    """Sequence separation of the data set's relational pairs (recorded with the model)."""
    value = (getattr(dataset, "metadata", None) or {}).get("max_separation", 3)
    return int(value) if isinstance(value, (int, np.integer)) else 3


def _exporter(metadata: Dict[str, Any]):
    """``cgmolct.save`` with ``metadata`` (the best model is then a saved model)."""
    from ..io.checkpoint import save_model

    return lambda model, folder: save_model(model, folder, metadata=metadata)


def trained_vocabulary(*datasets) -> Dict[str, Any]:
    """Bead types and relation codes a model was trained on (recorded in the saved model, so
    that :func:`cgmolct.predict` can warn about graphs holding others)."""
    types, codes = set(), set()
    for ds in datasets:
        types.update(int(t) for t in np.unique(np.asarray(ds.arrays["system_types"])))
        codes.update(int(c) for c in np.unique(np.asarray(ds.arrays["rel_codes"])))
    return {"trained_types": sorted(types), "trained_relation_codes": sorted(codes)}


def model_from_checkpoint(path) -> Tuple[Any, Dict[str, Any]]:
    """Rebuild the trained model of a training checkpoint (``best.npz``/``last.npz``)."""
    from ..models import build
    from . import property_model  # noqa: F401  (registers PropertyModel)
    from .step import set_params

    meta, params, _ = read_checkpoint(Path(path))
    spec = meta.get("model_spec")
    if spec is None:
        raise CheckpointError(f"{path}: checkpoint has no model specification")
    model = build(spec)
    set_params(model, params, str(path))
    model.set_train(False)
    return model, meta


def train(cfg: Dict[str, Any], resume: bool = False, overwrite: bool = False,
          resume_from: Optional[str] = None) -> Dict[str, Any]:
    """Run a configuration: resume from ``last.npz`` (or ``resume_from``) or start fresh;
    evaluate the test set with the best model.

    Raises
    ------
    ConfigError
        When the output folder already holds a run and neither ``resume`` nor ``overwrite``.
    CheckpointError
        When the checkpoint to resume from is missing, truncated or corrupt (checked before
        any data is loaded).
    """
    out = Path(cfg["output"])
    last = out / "last.npz"
    if last.exists() and not (resume or overwrite or resume_from):
        raise ConfigError(f"output folder {out} already holds a run (last.npz); pass --resume to "
                          "continue it or --overwrite to start again")
    if resume_from:
        resume, last = True, Path(resume_from)
        if not last.exists():
            raise CheckpointError(f"{last}: checkpoint to resume from does not exist")
    if resume and last.exists():
        read_checkpoint(last)  # fail fast on a corrupt file, before data and compilation
    from .distributed import world

    if overwrite and out.exists() and not resume and world()[0] == 0:
        for name in ("last.npz", "best.npz", "log.csv", "history.json", "summary.json",
                     "events.log", "test_metrics.json"):
            if (out / name).exists():
                (out / name).unlink()
        if (out / "best_model").exists():
            shutil.rmtree(out / "best_model")
    trainer, info = build_run(cfg)
    out.mkdir(parents=True, exist_ok=True)
    if trainer.writes:
        atomic_write_text(out / "config.json", json.dumps(cfg, indent=2))
    resumed_from = None
    if resume and last.exists():
        meta = trainer.load_checkpoint(last)
        if meta.get("config", {}).get("data") != cfg["data"] or \
                meta.get("config", {}).get("model") != cfg["model"]:
            raise ConfigError(f"{last}: was written with other data/model settings than this "
                              "configuration; resume with the original configuration")
        resumed_from = {"epoch": trainer.state.epoch, "step": trainer.state.step,
                        "batch": trainer.state.batch}
    summary = trainer.fit()
    summary.update({"n_params": info["n_params"], "resumed_from": resumed_from,
                    "task": cfg["task"], "output": str(out)})
    if cfg["data"]["test"] or info["test"] is not None:
        # the best checkpoint; the last one when no validation has run yet (tiny budgets)
        chosen = out / "best.npz" if (out / "best.npz").exists() else out / "last.npz"
        summary["test_checkpoint"] = chosen.name
        summary["test"] = evaluate_checkpoint(chosen, cfg["data"]["test"] or info["test"],
                                              cfg["data"]["format"])
        if trainer.writes:
            atomic_write_text(out / "test_metrics.json", json.dumps(summary["test"], indent=2))
    if trainer.writes:
        atomic_write_text(out / "summary.json", json.dumps(summary, indent=2, default=str))
    return summary


def evaluate_checkpoint(checkpoint, data_path, fmt: Optional[str] = None,
                        batch_size: Optional[int] = None) -> Dict[str, Dict[str, float]]:
    """MAE/RMSE per target of a training checkpoint on a data file (or a data set object,
    e.g. the test frames of ``data.split``), physical units."""
    import mindspore as ms

    from .metrics import evaluate
    from .objective import EnergyForcePredict, OutputPredict

    model, meta = model_from_checkpoint(checkpoint)
    cfg = meta.get("config") or {}
    data_cfg = cfg.get("data", {})
    fmt = fmt or data_cfg.get("format")
    if fmt is None:
        raise ConfigError(f"{checkpoint}: give the data format (md17, qm9, dataset)")
    if hasattr(data_path, "batch"):
        ds = data_path
    else:
        ds = load_split_data(data_path if isinstance(data_path, list) else str(data_path), fmt,
                             data_cfg.get("cutoff", 10.0))
    task = meta["task"]
    names = meta.get("label_names")
    if task == "labels":
        all_names = list(ds.label_names)
        missing = [n for n in names or [] if n not in all_names]
        if missing:
            raise DataError(f"{data_path}: lacks the label(s) {missing} the model was trained on")
        cols = [all_names.index(n) for n in names]
        if cols != list(range(len(all_names))):
            ds = _LabelColumns(ds, cols)
    elif task == "forces" and not ds.has("forces"):
        raise DataError(f"{data_path}: has no forces")
    elif task != "forces" and (not ds.has("energy") or (task == "energy_forces" and not ds.has("forces"))):
        raise DataError(f"{data_path}: has no {'energies and forces' if task == 'energy_forces' else 'energies'}")
    caps = _capacities([ds], data_cfg.get("cutoff", 10.0))
    data = _FixedShape(ds, caps)
    if task in ("energy_forces", "forces"):
        predict = EnergyForcePredict(model, model_returns_forces=True)
    else:
        predict = OutputPredict(model, first=True)
    bs = batch_size or meta.get("options", {}).get("batch_size", 32)
    return evaluate(ms.jit(predict.construct), data, task, min(bs, len(ds)), names,
                    meta.get("label_units"))
