"""Training a contact model on the ``data/dssp`` chains of MDAnalysisTests.

:func:`train_contact_model` (also ``cgmolct contacts train CONFIG``):

1. reads the 50 training structures, CA graphs + closest-heavy contacts (< 4.5 Å);
2. splits them by protein (``n_valid`` for model selection, seeded);
3. trains a :class:`~cgmolct.contacts.model.ContactModel` with BCE
   (:class:`~cgmolct.contacts.objective.ContactObjective`), shuffling proteins each epoch,
   with one of two engines:

   - ``engine: trainer`` (default): the library's :class:`cgmolct.train.trainer.Trainer`
     (compiled TrainStep, cosine schedule from ``lr`` to ``lr_final``, NaN guard,
     ``best.npz``/``last.npz`` checkpoints with exact resume in ``<output>.training/``),
     validated by :func:`contact_metrics_fn`;
   - ``engine: step``: the library's compiled :class:`~cgmolct.train.step.TrainStep`
     with an exponential decay from ``lr`` to ``lr_final`` (no checkpoints; the engine the
     shipped model was trained with);
4. after every epoch computes the mean average precision (|i − j| ≥ 6) of the validation
   proteins and keeps the best parameters;
5. saves the best model with ``cgmolct.save`` (metadata: config, split, history).

Configuration keys (all optional, defaults in :data:`DEFAULTS`): ``engine``, ``seed``,
``n_valid``, ``valid_proteins`` (explicit validation names instead of the seeded split),
``epochs``, ``time_budget_s``, ``batch_size``, ``lr``, ``lr_final``, ``pos_weight``,
``noise`` (Å, Gaussian noise on CA inputs during training; engine ``step`` only), ``model``
(keywords of :func:`~cgmolct.contacts.model.build_contact_model`), ``init`` (a saved contact
model folder, or ``shipped``, whose architecture and weights training starts from; ``model``
is then ignored), ``labels`` and ``ensembles``, ``output``.

Two label modes:

- ``labels: static`` (default): closest-heavy contacts of the ``data/dssp`` crystal
  structures; model selection by validation average precision;
- ``labels: ensemble``: contact frequencies over OpenMM trajectories
  (:mod:`cgmolct.contacts.ensemble`) of the structures under the folder ``ensembles`` (one
  sub-folder per protein, made by ``benchmarks/contacts/make_ensembles.py``), the input
  being the starting structure; BCE against the frequencies (a soft target) and model
  selection by the validation mean absolute error of the predicted frequencies (pairs of
  the pair list with |i − j| ≥ 6).
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

from ..errors import ConfigError

__all__ = ["DEFAULTS", "LABEL_MODES", "train_contact_model", "load_training_proteins",
           "load_ensemble_proteins", "validation_scores", "validation_ap", "validation_frequency_mae",
           "contact_metrics_fn"]

DEFAULTS: Dict[str, Any] = {
    "engine": "trainer",
    "seed": 0,
    "n_valid": 10,
    "epochs": 30,
    "time_budget_s": 900.0,
    "batch_size": 4,
    "lr": 3e-3,
    "lr_final": 3e-4,
    "pos_weight": 1.0,
    "noise": 0.0,
    "model": {"dim": 48, "n_heads": 4, "n_interactions": 2, "r_cut": 8.0,
              "orientation": "frame"},
    "init": None,
    "labels": "static",
    "ensembles": None,
    "valid_proteins": None,
    "output": "runs/contacts/model",
}
#: Label modes (see the module docstring).
LABEL_MODES = ("static", "ensemble")


def load_training_proteins() -> Dict[str, tuple]:
    """name -> (CA graph, closest-heavy contacts (n, n)) for every ``data/dssp`` chain."""
    from .labels import contact_maps, read_structure
    from .sources import dssp_files

    out = {}
    for f in dssp_files():
        s = read_structure(f)
        out[f.name.split(".")[0]] = (s.graph, contact_maps(s, "closest-heavy")[0])
    return out


def load_ensemble_proteins(root) -> Dict[str, tuple]:
    """name -> (CA graph of the starting structure, contact frequencies (n, n)) of every
    finished ensemble under ``root`` (see :func:`cgmolct.contacts.ensemble.ensemble_folders`)."""
    from .ensemble import ensemble_folders, load_ensemble

    folders = ensemble_folders(root)
    if not folders:
        raise ConfigError(f"ensembles: no finished contact ensemble (*/labels.npz) under {root}")
    out = {}
    for name, folder in folders.items():
        graph, freq, _ = load_ensemble(folder)
        out[name] = (graph, freq)
    return out


def _scored_maps(forward, dataset, min_separation: int):
    """(sample index, graph, separation, predicted (n, n) probabilities) of every sample."""
    import mindspore as ms

    from .data import BATCH_KEYS
    from .labels import separation_matrix
    from .pairs import pairs_to_map

    keys = BATCH_KEYS[:-1]
    for start in range(0, len(dataset), dataset.batch_size):
        idx = list(range(start, min(start + dataset.batch_size, len(dataset))))
        batch = dataset.batch(idx)
        logits = forward(*[ms.Tensor(batch[k]) for k in keys]).asnumpy()
        for row, k in enumerate(idx):
            g, _, pairs, _ = dataset.item(k)
            graph = dataset.graphs[g]
            sep = separation_matrix(graph)
            prob = 1.0 / (1.0 + np.exp(-logits[row, :len(pairs)].astype(np.float64)))
            yield k, g, sep, pairs, pairs_to_map(graph.n_beads, pairs, prob, sep, min_separation)


def _mean_over_samples(values) -> float:
    vals = [v for v in values if np.isfinite(v)]
    return float(np.mean(vals)) if vals else float("nan")


def validation_scores(forward, dataset, min_separation: int = 3) -> Dict[str, Dict[str, float]]:
    """Both validation metrics from ONE pass of the model over a :class:`ContactDataset`.

    Parameters
    ----------
    forward : callable
        Compiled model call: the arrays of ``ContactModel.INPUTS`` (tensors) → (B, P) logits.
    dataset : ContactDataset
        Fixed-shape batches; scores go back into (n, n) maps (0 beyond the pair list) and
        are compared with ``dataset.truth(k)``.

    Returns
    -------
    dict
        ``{"ap": {protein: AP, ..., "mean": ...}, "frequency_mae": {protein: MAE, ..., "mean": ...}}``:
        the average precision (|i − j| ≥ 6; frequencies thresholded at 0.5), the static-mode
        selection metric, and the mean absolute error of the predicted frequencies (pairs of
        the pair list with |i − j| ≥ 6), the ensemble-mode one; means over samples.
    """
    from .metrics import contact_metrics

    out: Dict[str, Dict[str, float]] = {"ap": {}, "frequency_mae": {}}
    aps, errs = [], []
    for k, g, sep, pairs, score in _scored_maps(forward, dataset, min_separation):
        truth = dataset.truth(k)
        ap = contact_metrics(score, truth, sep, classes=("all",))["all"]["ap"]
        i, j = pairs[:, 0], pairs[:, 1]
        keep = sep[i, j] >= 6
        err = float(np.abs(score[i, j][keep] - truth[i, j][keep]).mean()) if keep.any() else float("nan")
        out["ap"][dataset.names[g]], out["frequency_mae"][dataset.names[g]] = ap, err
        aps.append(ap)
        errs.append(err)
    out["ap"]["mean"], out["frequency_mae"]["mean"] = _mean_over_samples(aps), _mean_over_samples(errs)
    return out


def validation_ap(forward, dataset, min_separation: int = 3) -> Dict[str, float]:
    """``{protein name: AP, ..., "mean": mean AP over samples}`` (see :func:`validation_scores`)."""
    return validation_scores(forward, dataset, min_separation)["ap"]


def validation_frequency_mae(forward, dataset, min_separation: int = 3) -> Dict[str, float]:
    """``{protein name: MAE, ..., "mean": ...}`` of the predicted frequencies (see
    :func:`validation_scores`); the ensemble-mode selection metric."""
    return validation_scores(forward, dataset, min_separation)["frequency_mae"]


def contact_metrics_fn(predict, dataset, batch_size: Optional[int] = None,
                       labels: str = "static") -> Dict[str, Dict[str, float]]:
    """Validation metrics for the lead's ``Trainer(metrics_fn=...)``.

    ``predict`` is the compiled ContactModel (inputs ``ContactModel.INPUTS``).  Returns
    ``{"contacts": {"mae": ..., "rmse": ..., "ap": mean AP}}``: the trainer monitors and
    logs ``mae``/``rmse`` (lower is better), here both one minus the mean average precision
    (|i − j| ≥ 6) for static labels, and the mean absolute error of the predicted
    frequencies (:func:`validation_frequency_mae`) for ensemble labels.
    """
    scores = validation_scores(predict, dataset)
    ap = scores["ap"]["mean"]
    if labels == "ensemble":
        mae = scores["frequency_mae"]["mean"]
        return {"contacts": {"mae": mae, "rmse": mae, "ap": ap}}
    return {"contacts": {"mae": 1.0 - ap, "rmse": 1.0 - ap, "ap": ap}}


def _config(config: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    cfg = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULTS.items()}
    for k, v in (config or {}).items():
        if k not in DEFAULTS:
            raise ConfigError(f"unknown contact-training key {k!r}; known: {', '.join(DEFAULTS)}")
        cfg[k] = {**cfg[k], **v} if k == "model" and isinstance(v, dict) else v
    for key in ("epochs", "batch_size", "n_valid"):
        if not isinstance(cfg[key], int) or cfg[key] <= 0:
            raise ConfigError(f"{key} must be a positive integer, got {cfg[key]!r}")
    for key in ("lr", "lr_final", "pos_weight", "time_budget_s"):
        if not isinstance(cfg[key], (int, float)) or cfg[key] <= 0:
            raise ConfigError(f"{key} must be a positive number, got {cfg[key]!r}")
    if not isinstance(cfg["noise"], (int, float)) or cfg["noise"] < 0:
        raise ConfigError(f"noise must be >= 0 Å, got {cfg['noise']!r}")
    if cfg["engine"] not in ("trainer", "step"):
        raise ConfigError(f"engine must be 'trainer' or 'step', got {cfg['engine']!r}")
    if cfg["engine"] == "trainer" and cfg["noise"] > 0:
        raise ConfigError("noise (input augmentation) needs engine 'step'")
    if cfg["labels"] not in LABEL_MODES:
        raise ConfigError(f"labels must be one of {', '.join(LABEL_MODES)}, got {cfg['labels']!r}")
    if cfg["valid_proteins"] is not None and (not isinstance(cfg["valid_proteins"], (list, tuple))
                                              or not cfg["valid_proteins"]):
        raise ConfigError(f"valid_proteins must be a non-empty list of protein names, got {cfg['valid_proteins']!r}")
    return cfg


def _parameters(model) -> Dict[str, np.ndarray]:
    """Copies of the parameters by attribute path (stable however the model is wrapped)."""
    return {name: p.asnumpy().copy() for name, p in model.parameters_and_names()}


def _fit_step(cfg, model, objective, ds, valid, log):
    """Engine ``step``: the library's compiled :class:`~cgmolct.train.step.TrainStep` in a plain
    loop, exponential LR decay (the rate is an input of the graph), best epoch by validation AP."""
    import mindspore as ms

    from ..data import keys as K
    from .data import BATCH_KEYS
    from ..train.step import TrainStep
    from .predict import _forward

    rng = np.random.default_rng(int(cfg["seed"]))
    optimizer = ms.nn.Adam(model.trainable_params(), learning_rate=float(cfg["lr"]))
    step = TrainStep(objective, optimizer, clip=10.0)

    n_steps_epoch = int(np.ceil(len(ds) / cfg["batch_size"]))
    total = cfg["epochs"] * n_steps_epoch
    history: List[Dict[str, float]] = []
    ensemble = cfg["labels"] == "ensemble"
    best = (-np.inf, None, -1)
    start, done = time.time(), 0
    for epoch in range(cfg["epochs"]):
        model.set_train(True)
        order = rng.permutation(len(ds))
        losses = []
        for s in range(n_steps_epoch):
            frac = done / max(1, total - 1)
            lr = cfg["lr"] * (cfg["lr_final"] / cfg["lr"]) ** frac
            batch = ds.batch(order[s * cfg["batch_size"]:(s + 1) * cfg["batch_size"]])
            if cfg["noise"] > 0:
                noise = rng.normal(0.0, cfg["noise"], batch[K.POSITIONS].shape)
                batch[K.POSITIONS] = (batch[K.POSITIONS] + noise * batch[K.ATOM_MASK][..., None]
                                      ).astype(np.float32)
            loss, _ = step(ms.Tensor(np.float32(lr)), *[ms.Tensor(batch[k]) for k in BATCH_KEYS])
            losses.append(float(loss.asnumpy()))
            done += 1
        model.set_train(False)
        scores = validation_scores(_forward(model), valid, model.min_separation)
        rec = {"epoch": epoch + 1, "loss": float(np.mean(losses)), "valid_ap": scores["ap"]["mean"],
               "lr": float(lr), "elapsed_s": round(time.time() - start, 1)}
        score = scores["ap"]["mean"]
        if ensemble:
            rec["valid_mae"] = scores["frequency_mae"]["mean"]
            score = -rec["valid_mae"]
        history.append(rec)
        log(json.dumps(rec))
        if score > best[0]:
            best = (score, _parameters(model), epoch + 1)
        if time.time() - start > cfg["time_budget_s"]:
            log(f"time budget {cfg['time_budget_s']} s reached after epoch {epoch + 1}")
            break
    return best[1], best[2], best[0], history


def _fit_trainer(cfg, model, objective, ds, valid, log):
    """Engine ``trainer``: the library Trainer; the best epoch's parameters by validation AP."""
    from ..io.checkpoint import load_model, save_model
    from ..train.trainer import Trainer, TrainOptions

    run_dir = Path(str(cfg["output"]) + ".training")

    def export(m, folder):
        folder = Path(folder)
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()  # an empty folder handed over: save_model writes it atomically
        save_model(m, folder, metadata={"task": "contacts"})

    options = TrainOptions(batch_size=cfg["batch_size"], max_epochs=cfg["epochs"],
                           max_time_s=float(cfg["time_budget_s"]), seed=int(cfg["seed"]),
                           optimizer="adam", lr=float(cfg["lr"]), schedule="cosine",
                           lr_min=float(cfg["lr_final"]), clip_grad=10.0, monitor="contacts",
                           progress=False)
    import functools

    metrics_fn = functools.partial(contact_metrics_fn, labels=cfg["labels"])
    trainer = Trainer(model, objective, model, "contacts", ds, valid, run_dir, options,
                      export=export, metrics_fn=metrics_fn,
                      meta={"contacts_config": cfg})
    summary = trainer.fit()
    history = []
    for row in trainer.state.history:
        rec = {"epoch": row["epoch"], "loss": row["train_loss"], "lr": row["lr"],
               "elapsed_s": row["elapsed_s"]}
        if "valid_contacts_mae" in row:
            if cfg["labels"] == "ensemble":
                rec["valid_mae"] = row["valid_contacts_mae"]
            else:
                rec["valid_ap"] = 1.0 - row["valid_contacts_mae"]
        history.append(rec)
        log(json.dumps(rec))
    log(json.dumps({"trainer": summary.get("status"), "steps": summary.get("steps")}))
    params = _parameters(load_model(run_dir / "best_model"))
    best_epoch = int(summary.get("best_epoch") or 0)
    monitor = float(summary["best_monitor"]) if summary.get("best_monitor") is not None else float("nan")
    best_score = -monitor if cfg["labels"] == "ensemble" else 1.0 - monitor
    return params, best_epoch, best_score, history


def train_contact_model(config: Optional[Dict[str, Any]] = None, proteins=None,
                        log=print):
    """Train, select on validation AP (static) or frequency MAE (ensemble), save.

    Parameters
    ----------
    config : dict, optional
        See the module docstring.
    proteins : dict, optional
        name -> (CA graph, labels (n, n)); default: ``load_training_proteins()`` for static
        labels, ``load_ensemble_proteins(config["ensembles"])`` for ensemble labels.
    log : callable
        Progress printer (one line per epoch).

    Returns
    -------
    (ContactModel, dict)
        The best model (also saved under ``output``) and the training record
        (``best_valid_ap`` for static labels, ``best_valid_mae`` for ensemble labels).
    """
    import mindspore as ms

    from ..io.checkpoint import load_model, save_model
    from .data import ContactDataset
    from .model import ContactModel, build_contact_model
    from .objective import ContactObjective
    from .sources import split_proteins

    cfg = _config(config)
    ms.set_seed(int(cfg["seed"]))
    if proteins is None:
        if cfg["labels"] == "ensemble":
            if not cfg["ensembles"]:
                raise ConfigError("labels: ensemble needs 'ensembles': the folder of contact ensembles "
                                  "(benchmarks/contacts/make_ensembles.py --output DIR makes DIR/train)")
            proteins = load_ensemble_proteins(cfg["ensembles"])
        else:
            proteins = load_training_proteins()
    if cfg["valid_proteins"] is not None:
        valid_names = sorted(str(n) for n in cfg["valid_proteins"] if str(n) in proteins)
        if not valid_names:
            raise ConfigError(f"none of valid_proteins {cfg['valid_proteins']} is among the "
                              f"{len(proteins)} training proteins")
        train_names = sorted(n for n in proteins if n not in valid_names)
        if not train_names:
            raise ConfigError("valid_proteins leaves no protein to train on")
    else:
        train_names, valid_names = split_proteins(sorted(proteins), cfg["n_valid"], cfg["seed"])
    if cfg["init"] is not None:
        from .shipped import SHIPPED_MODEL

        init = SHIPPED_MODEL if cfg["init"] == "shipped" else Path(str(cfg["init"]))
        model = load_model(init)
        if not isinstance(model, ContactModel):
            raise ConfigError(f"init: {init} holds a saved {type(model).__name__}, not a contact model")
    else:
        model = build_contact_model(**cfg["model"])
    ds = ContactDataset([proteins[n][0] for n in train_names], [proteins[n][1] for n in train_names],
                        names=train_names, cutoff=model.representation.r_cut,
                        r_pair=model.r_pair, min_separation=model.min_separation,
                        batch_size=cfg["batch_size"])
    valid = ContactDataset([proteins[n][0] for n in valid_names],
                           [proteins[n][1] for n in valid_names], names=valid_names,
                           cutoff=model.representation.r_cut, r_pair=model.r_pair,
                           min_separation=model.min_separation, batch_size=cfg["batch_size"])
    objective = ContactObjective(model, cfg["pos_weight"])
    fit = _fit_trainer if cfg["engine"] == "trainer" else _fit_step
    best_params, best_epoch, best_score, history = fit(cfg, model, objective, ds, valid, log)
    for name, p in model.parameters_and_names():
        p.set_data(ms.Tensor(best_params[name]))
    model.set_train(False)
    ensemble = cfg["labels"] == "ensemble"
    record = {"config": cfg, "train_proteins": train_names, "valid_proteins": valid_names,
              "best_epoch": best_epoch, "history": history,
              "labels": ("closest-heavy < 4.5 A, frequencies over OpenMM trajectories" if ensemble
                         else "closest-heavy < 4.5 A"),
              "load_average": list(os.getloadavg())}
    if ensemble:
        record["best_valid_mae"] = -best_score
    else:
        record["best_valid_ap"] = best_score
    out = Path(cfg["output"])
    save_model(model, out, metadata={"task": "contacts", "training": record})
    return model, record
