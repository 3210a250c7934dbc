"""Residue contacts: labels from all-atom structures, metrics, baselines and a MolCT contact model.

Where things live: ``labels`` (ca / cb / closest-heavy contacts per frame and as
frequencies, sequence-separation classes), ``native`` (fraction of native contacts Q),
``metrics`` (AP, ROC AUC, precision@L per class), ``baselines`` (CA distance, logistic
regression), ``pairs`` (the scored pair list), ``sources`` (training / test structures),
``model`` (ContactReadout, ContactModel), ``data`` (ContactDataset), ``objective``
(ContactObjective), ``predict`` (predict_contacts), ``train`` (train_contact_model),
``plot`` (heat maps), ``shipped`` (the trained model that comes with the library).

The label, metric and baseline functions are numpy only; the model functions below import
MindSpore on first use.
"""
from __future__ import annotations

from .baselines import LogisticContactBaseline, ca_distance_scores
from .labels import (CUTOFFS, DEFINITIONS, SEPARATION_CLASSES, ResidueStructure,
                     contact_frequency, contact_maps, read_structure, residue_distances,
                     separation_class_mask, separation_matrix, structure_from_graphs)
from .metrics import contact_metrics, mean_metrics, precision_at
from .native import native_contacts_q
from .pairs import MIN_SEPARATION, R_PAIR, contact_pairs, pairs_to_map

__all__ = [
    "DEFINITIONS", "CUTOFFS", "SEPARATION_CLASSES", "ResidueStructure", "read_structure",
    "structure_from_graphs", "residue_distances", "contact_maps", "contact_frequency",
    "separation_matrix", "separation_class_mask", "native_contacts_q", "contact_metrics",
    "mean_metrics", "precision_at", "ca_distance_scores", "LogisticContactBaseline",
    "contact_pairs", "pairs_to_map", "R_PAIR", "MIN_SEPARATION",
]

_LAZY = {
    "ContactModel": ("cgmolct.contacts.model", "ContactModel"),
    "ContactReadout": ("cgmolct.contacts.model", "ContactReadout"),
    "build_contact_model": ("cgmolct.contacts.model", "build_contact_model"),
    "ContactDataset": ("cgmolct.contacts.data", "ContactDataset"),
    "ContactObjective": ("cgmolct.contacts.objective", "ContactObjective"),
    "predict_contacts": ("cgmolct.contacts.predict", "predict_contacts"),
    "predict_contact_maps": ("cgmolct.contacts.predict", "predict_contact_maps"),
    "train_contact_model": ("cgmolct.contacts.train", "train_contact_model"),
    "plot_contact_map": ("cgmolct.contacts.plot", "plot_contact_map"),
    "load_shipped": ("cgmolct.contacts.shipped", "load_shipped"),
    "SHIPPED_MODEL": ("cgmolct.contacts.shipped", "SHIPPED_MODEL"),
}
__all__ += list(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'cgmolct.contacts' has no attribute {name!r}")
