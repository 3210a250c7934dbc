"""The documented keys of a training configuration (``cgmolct train CONFIG``).

A configuration is a JSON or YAML mapping with the sections below; every key has a type, a
default (or is required) and a one-line description.  :func:`describe` prints this table
(``cgmolct train --keys``).  Paths in ``data`` and ``output`` are relative to the folder of
the configuration file.

Example (``examples/md17_ethanol_molct.yaml``)::

    task: energy_forces
    output: runs/md17_ea1
    data: {format: md17, train: ethanol_train.npz, valid: ethanol_valid.npz}
    model: {representation: EA1}
    loss: {energy_weight: 0.01, force_weight: 0.99}
    optimizer: {lr: 1.0e-3, schedule: warmup_inverse_sqrt, warmup: 500}
    training: {batch_size: 32, max_epochs: 200, max_time_s: 900, seed: 0}
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

__all__ = ["Key", "SCHEMA", "TASKS", "DATA_FORMATS", "describe"]

TASKS = ("energy_forces", "forces", "energy", "labels")
DATA_FORMATS = ("md17", "qm9", "dataset", "graph")
_NO_DEFAULT = object()


@dataclass(frozen=True)
class Key:
    """One configuration key: accepted types, default, choices and documentation."""

    types: Tuple[type, ...]
    default: Any = _NO_DEFAULT
    doc: str = ""
    choices: Optional[Tuple[Any, ...]] = None
    path: bool = False  # a file that must exist (relative to the config file)
    nullable: bool = False

    @property
    def required(self) -> bool:
        return self.default is _NO_DEFAULT


_NUM = (int, float)

#: section → key → :class:`Key` (top-level scalar keys live in section "").
SCHEMA: Dict[str, Dict[str, Key]] = {
    "": {
        "task": Key((str,), doc="what to train: energies + forces, forces only (CG force "
                    "matching), energies, or graph labels", choices=TASKS),
        "output": Key((str,), doc="output folder (checkpoints, logs, best_model/)"),
        "seed": Key((int,), 0, "seed of initialisation and batch order"),
    },
    "data": {
        "format": Key((str,), doc="md17 / qm9 npz files (units converted at load), a saved "
                      "cgmolct data set folder, or CGGraph files/folders written by "
                      "`cgmolct graph build` (graph)", choices=DATA_FORMATS),
        "train": Key((str, list), doc="training set file/folder (graph: one path or a list of "
                     "graphs, e.g. several proteins)", path=True),
        "valid": Key((str, list), None, "validation set file/folder (or use data.split)",
                     path=True, nullable=True),
        "split": Key((dict, str), None, "split the frames of data.train: {valid: 0.1, test: 0.1, "
                     "seed: 0} (fractions or counts) or a JSON split file with index lists "
                     "train/valid/test (cgmolct.data.save_split)", nullable=True),
        "mmap": Key((bool,), True, "memory-map graph and data set folders (data bigger than memory)"),
        "test": Key((str, list), None, "test set evaluated with the best model at the end",
                    path=True, nullable=True),
        "limit": Key((int,), None, "use only the first N training samples", nullable=True),
        "cutoff": Key(_NUM, 10.0, "neighbour cutoff in Å (null: all pairs)", nullable=True),
        "labels": Key((list,), None, "label columns to train (task labels; default all)",
                      nullable=True),
    },
    "model": {
        "representation": Key((str, dict), doc="paper preset (EA1, EA3, NIU1, NIU3, NIU6, "
                              "SchNet3, PhysNet) or {class: ..., config: {...}}"),
        "dim": Key((int,), None, "feature size override of a preset", nullable=True),
        "fixed_cycles": Key((bool,), None, "NIU presets: run every cycle (a smooth potential) "
                            "instead of ACT; default true for energy/force tasks", nullable=True),
        "hidden": Key((list,), None, "hidden sizes of the readout MLP", nullable=True),
        "activation": Key((str,), "ssp", "activation of the readout MLP"),
        "pooling": Key((str,), "sum", "graph readout: sum / mean / attention (task labels)"),
        "atomwise_labels": Key((list,), None, "labels read out atomwise with per-type "
                               "references (default: the data set's modes)", nullable=True),
    },
    "loss": {
        "energy_weight": Key(_NUM, 0.01, "w_E of the unit-free loss (paper: 1 − λ = 0.01)"),
        "force_weight": Key(_NUM, 0.99, "w_F of the unit-free loss (paper: λ = 0.99)"),
        "kind": Key((str,), "mse", "mse or mae", choices=("mse", "mae")),
        "label_weights": Key((dict,), None, "weight per label name (default equal)", nullable=True),
        "ponder_cost": Key(_NUM, 0.0, "τ of the ACT ponder cost (0: off)"),
    },
    "optimizer": {
        "name": Key((str,), "adam", "adam or adamw", choices=("adam", "adamw")),
        "lr": Key(_NUM, 1e-3, "peak learning rate"),
        "weight_decay": Key(_NUM, 0.0, "weight decay (decoupled for adamw)"),
        "schedule": Key((str,), "warmup_inverse_sqrt", "learning-rate schedule",
                        choices=("constant", "warmup_inverse_sqrt", "cosine", "plateau")),
        "warmup": Key((int,), 0, "linear warm-up steps"),
        "lr_min": Key(_NUM, 1e-6, "floor of cosine / plateau schedules"),
        "plateau_factor": Key(_NUM, 0.5, "LR factor of the plateau schedule"),
        "plateau_patience": Key((int,), 10, "validations without improvement before a cut"),
        "clip_grad": Key(_NUM, 0.0, "clip gradients to this global norm (0: off)"),
    },
    "training": {
        "batch_size": Key((int,), 32, "molecules/frames per step"),
        "max_epochs": Key((int,), 100, "epochs"),
        "max_steps": Key((int,), None, "stop after this many steps", nullable=True),
        "max_time_s": Key(_NUM, None, "wall-time budget (s); stopping on it = 'not converged'",
                          nullable=True),
        "patience": Key((int,), None, "early stopping after N validations without improvement",
                        nullable=True),
        "validate_every": Key((int,), 1, "validate every N epochs"),
        "checkpoint_every": Key((int,), 50, "write last.npz every N steps inside an epoch"),
        "nan_max": Key((int,), 10, "consecutive non-finite steps tolerated"),
        "nan_lr_factor": Key(_NUM, 0.5, "LR factor after a non-finite step"),
        "monitor": Key((str,), "total", "validation quantity for best/early stopping"),
        "progress": Key((bool,), True, "show a progress bar"),
        "threads": Key((int,), None, "CPU threads for MindSpore (default: all)", nullable=True),
        "chunk_size": Key((int,), None, "force tasks on large systems: a step over chunks of this "
                          "many beads, memory set by the chunk (default: whole graph)", nullable=True),
    },
}

_POSITIVE = {("training", "batch_size"), ("training", "max_epochs"), ("training", "max_steps"),
             ("training", "max_time_s"), ("training", "validate_every"), ("optimizer", "lr"),
             ("training", "threads"), ("data", "limit"), ("data", "cutoff"),
             ("training", "patience"), ("training", "nan_max"), ("model", "dim"),
             ("training", "chunk_size")}
_NON_NEGATIVE = {("optimizer", "weight_decay"), ("optimizer", "warmup"), ("optimizer", "clip_grad"),
                 ("loss", "energy_weight"), ("loss", "force_weight"), ("loss", "ponder_cost"),
                 ("training", "checkpoint_every")}


def describe() -> str:
    """The schema as a plain-text table (section.key, type, default, description)."""
    lines = []
    for section, keys in SCHEMA.items():
        lines.append(f"[{section or 'top level'}]")
        for name, key in keys.items():
            types = "/".join(t.__name__ for t in key.types) + ("/null" if key.nullable else "")
            default = "REQUIRED" if key.required else repr(key.default)
            choices = f" (one of {', '.join(map(str, key.choices))})" if key.choices else ""
            lines.append(f"  {name:<18} {types:<12} {default:<12} {key.doc}{choices}")
    return "\n".join(lines)
