"""Baselines of contact prediction from a CA trace.

- :func:`ca_distance_scores`: score = −d_CA (Å); thresholding it at −8 Å is the ``ca``
  definition, and ranking by it gives the AP / precision@L of "CA distance alone".
- :class:`LogisticContactBaseline`: scikit-learn logistic regression on the CA distance
  (d, d², standardised) and the one-hot unordered residue-type pair (231 pairs of 20 amino
  acids + UNK), fitted on the pairs of :func:`~cgmolct.contacts.pairs.contact_pairs`
  (CA–CA ≤ 16 Å, |i − j| ≥ 3) of training proteins; ``fit(examples) -> self``,
  ``predict_scores(graph) -> (n, n)`` probabilities (0 beyond the pair list, NaN near the
  diagonal, as :func:`~cgmolct.contacts.pairs.pairs_to_map`).
"""
from __future__ import annotations

from typing import Sequence, Tuple

import numpy as np

from ..errors import InputError
from .labels import separation_matrix
from .pairs import MIN_SEPARATION, R_PAIR, contact_pairs, pairs_to_map

__all__ = ["ca_distance_scores", "LogisticContactBaseline", "residue_index"]

_FIRST_RESIDUE, _N_RESIDUE_TYPES = 120, 21  # topologies.vocabulary: 20 amino acids + UNK (140)


def ca_distance_scores(graph, frame: int = 0) -> np.ndarray:
    """(n, n) score −d_CA in Å of frame ``frame`` (higher = closer)."""
    x = np.asarray(graph.positions[int(frame)], np.float64)
    return -np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))


def residue_index(types: np.ndarray) -> np.ndarray:
    """0–19 for the amino acids, 20 for anything else (UNK, non-residue beads)."""
    k = np.asarray(types, np.int64) - _FIRST_RESIDUE
    return np.where((k >= 0) & (k < _N_RESIDUE_TYPES - 1), k, _N_RESIDUE_TYPES - 1)


def _pair_code(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    # index of (lo, hi), lo <= hi, in the upper triangle of a 21 x 21 table
    return lo * _N_RESIDUE_TYPES - lo * (lo - 1) // 2 + (hi - lo)


_N_PAIR_CODES = _N_RESIDUE_TYPES * (_N_RESIDUE_TYPES + 1) // 2


class LogisticContactBaseline:
    """Logistic regression on CA distance + residue-type pair (see module docstring).

    Parameters
    ----------
    r_pair : float
        Pair-list distance in Å (default 16).
    min_separation : int
        Smallest |i − j| of a pair (default 3).
    C : float
        Inverse L2 regularisation of scikit-learn's ``LogisticRegression``.
    """

    def __init__(self, r_pair: float = R_PAIR, min_separation: int = MIN_SEPARATION,
                 C: float = 1.0):
        self.r_pair, self.min_separation, self.C = float(r_pair), int(min_separation), float(C)
        self.model = None

    def _features(self, graph, frame: int = 0) -> Tuple[np.ndarray, np.ndarray]:
        pairs = contact_pairs(graph, frame, self.r_pair, self.min_separation)
        x = np.asarray(graph.positions[int(frame)], np.float64)
        d = np.linalg.norm(x[pairs[:, 0]] - x[pairs[:, 1]], axis=1)
        res = residue_index(graph.types)
        code = _pair_code(res[pairs[:, 0]], res[pairs[:, 1]])
        feats = np.zeros((len(pairs), 2 + _N_PAIR_CODES))
        feats[:, 0] = (d - 10.0) / 3.0
        feats[:, 1] = feats[:, 0] ** 2
        feats[np.arange(len(pairs)), 2 + code] = 1.0
        return pairs, feats

    def fit(self, examples: Sequence[Tuple[object, np.ndarray]]) -> "LogisticContactBaseline":
        """Fit on ``(ca_graph, truth (n, n))`` examples (frame 0 of each graph)."""
        from sklearn.linear_model import LogisticRegression

        xs, ys = [], []
        for graph, truth in examples:
            truth = np.asarray(truth)
            if truth.shape != (graph.n_beads, graph.n_beads):
                raise InputError(f"truth has shape {truth.shape}; expected "
                                 f"({graph.n_beads}, {graph.n_beads})")
            pairs, f = self._features(graph)
            xs.append(f)
            ys.append(truth[pairs[:, 0], pairs[:, 1]] > 0.5)
        if not xs:
            raise InputError("LogisticContactBaseline.fit needs at least one example")
        y = np.concatenate(ys)
        if y.all() or not y.any():
            raise InputError("LogisticContactBaseline.fit needs contacts and non-contacts")
        self.model = LogisticRegression(C=self.C, max_iter=2000).fit(np.concatenate(xs), y)
        return self

    def predict_scores(self, graph, frame: int = 0) -> np.ndarray:
        """(n, n) contact probabilities of frame ``frame`` (0 beyond the pair list)."""
        if self.model is None:
            raise InputError("LogisticContactBaseline: call fit first")
        pairs, f = self._features(graph, frame)
        p = self.model.predict_proba(f)[:, 1] if len(pairs) else np.zeros(0)
        return pairs_to_map(graph.n_beads, pairs, p, separation_matrix(graph), self.min_separation)
