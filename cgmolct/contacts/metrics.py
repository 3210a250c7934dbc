"""Contact-prediction metrics per protein (scikit-learn where it has them).

For a score map S (n, n) (higher = more likely in contact), true contacts T (n, n) and
sequence separations s (n, n), each separation class (short 6–11, medium 12–23, long ≥ 24,
all ≥ 6; pairs i < j) gets:

- ``ap``: average precision (``sklearn.metrics.average_precision_score``);
- ``auc``: ROC AUC (``sklearn.metrics.roc_auc_score``);
- ``p@L``, ``p@L/2``, ``p@L/5``: precision of the top ⌊L/k⌋ (at least 1) scored pairs
  of the class, L = number of residues (CASP convention);
- ``n_pairs``, ``n_contacts``.

AP and AUC are NaN for a class without positives (or without negatives for AUC); means over
proteins skip NaN.  A float T (ensemble frequencies) is thresholded at 0.5.
"""
from __future__ import annotations

from typing import Dict, Iterable, List, Optional

import numpy as np

from ..errors import InputError
from .labels import separation_class_mask

__all__ = ["contact_metrics", "precision_at", "mean_metrics", "TOP_FRACTIONS"]

#: Top-k fractions of L reported.
TOP_FRACTIONS = {"p@L": 1, "p@L/2": 2, "p@L/5": 5}


def precision_at(scores: np.ndarray, truth: np.ndarray, k: int) -> float:
    """Precision of the ``k`` highest scores (ties broken by order; NaN when empty)."""
    scores, truth = np.asarray(scores, np.float64), np.asarray(truth, bool)
    if len(scores) == 0:
        return float("nan")
    k = max(1, min(int(k), len(scores)))
    top = np.argsort(-scores, kind="stable")[:k]
    return float(truth[top].mean())


def contact_metrics(scores: np.ndarray, truth: np.ndarray, separation: np.ndarray,
                    classes: Iterable[str] = ("short", "medium", "long", "all"),
                    length: Optional[int] = None) -> Dict[str, Dict[str, float]]:
    """Metrics of one protein per separation class (see module docstring).

    Parameters
    ----------
    scores : (n, n) float
        Contact scores or probabilities (NaN entries count as the lowest score).
    truth : (n, n) bool or float
        True contacts (a float map is thresholded at 0.5).
    separation : (n, n) int
        Sequence separations (:func:`~cgmolct.contacts.labels.separation_matrix`).
    length : int, optional
        L for the top-L precisions (default n).

    Returns
    -------
    dict class -> dict metric -> float
    """
    from sklearn.metrics import average_precision_score, roc_auc_score

    scores = np.asarray(scores, np.float64)
    truth = np.asarray(truth)
    n = scores.shape[0]
    for name, a in (("scores", scores), ("truth", truth), ("separation", separation)):
        if np.shape(a) != (n, n):
            raise InputError(f"{name} has shape {np.shape(a)}; expected ({n}, {n})")
    truth = truth > 0.5 if truth.dtype.kind == "f" else truth.astype(bool)
    scores = np.where(np.isfinite(scores), scores, -np.inf)
    if np.isinf(scores).any():
        low = np.min(scores[np.isfinite(scores)]) - 1.0 if np.isfinite(scores).any() else 0.0
        scores = np.where(np.isfinite(scores), scores, low)
    big_l = n if length is None else int(length)
    out: Dict[str, Dict[str, float]] = {}
    for cls in classes:
        m = separation_class_mask(separation, cls)
        s, t = scores[m], truth[m]
        res: Dict[str, float] = {"n_pairs": int(m.sum()), "n_contacts": int(t.sum())}
        res["ap"] = float(average_precision_score(t, s)) if t.any() else float("nan")
        res["auc"] = float(roc_auc_score(t, s)) if t.any() and not t.all() else float("nan")
        for key, div in TOP_FRACTIONS.items():
            res[key] = precision_at(s, t, big_l // div) if len(s) else float("nan")
        out[cls] = res
    return out


def mean_metrics(per_protein: List[Dict[str, Dict[str, float]]]) -> Dict[str, Dict[str, float]]:
    """Mean of every metric over proteins, ignoring NaN (``n_*`` are summed)."""
    if not per_protein:
        raise InputError("mean_metrics needs at least one protein")
    out: Dict[str, Dict[str, float]] = {}
    for cls in per_protein[0]:
        out[cls] = {}
        for key in per_protein[0][cls]:
            vals = np.array([p[cls][key] for p in per_protein], np.float64)
            if key.startswith("n_"):
                out[cls][key] = int(np.nansum(vals))
            else:
                ok = np.isfinite(vals)
                out[cls][key] = float(vals[ok].mean()) if ok.any() else float("nan")
    return out

