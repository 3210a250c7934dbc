"""Jensen–Shannon divergence of two histograms (natural log, no pseudocounts).

    JS(P, Q) = ½ KL(P ‖ M) + ½ KL(Q ‖ M),  M = ½ (P + Q),  KL(P ‖ M) = Σ_{p_i > 0} p_i ln(p_i / m_i)

P and Q are the histograms normalised to sum 1; bins empty in one histogram contribute only
through the other.  0 ≤ JS ≤ ln 2 (0 for equal histograms, ln 2 for disjoint supports).
"""
from __future__ import annotations

import numpy as np

from ..errors import InputError
from .fes import BINS, angle_histogram

__all__ = ["js_divergence", "js_divergence_angles", "half_split_js"]


def _normalised(h, name: str) -> np.ndarray:
    h = np.asarray(h, dtype=np.float64)
    if np.any(~np.isfinite(h)) or np.any(h < 0):
        raise InputError(f"{name}: histogram values must be finite and >= 0")
    total = h.sum()
    if not total > 0:
        raise InputError(f"{name}: histogram is empty")
    return h / total


def js_divergence(p, q) -> float:
    """JS divergence (nats) of two histograms of the same shape (counts or probabilities)."""
    p, q = _normalised(p, "p"), _normalised(q, "q")
    if p.shape != q.shape:
        raise InputError(f"js_divergence: histograms have shapes {p.shape} and {q.shape}")
    m = 0.5 * (p + q)
    kl = 0.0
    for a in (p, q):
        nz = a > 0
        kl += 0.5 * float(np.sum(a[nz] * np.log(a[nz] / m[nz])))
    return max(kl, 0.0)


def js_divergence_angles(x1, y1, x2, y2, bins: int = BINS) -> float:
    """JS divergence of the 2D angle histograms (degrees) of two samples."""
    return js_divergence(angle_histogram(x1, y1, bins), angle_histogram(x2, y2, bins))


def half_split_js(x, y, bins: int = BINS) -> float:
    """Sampling-noise floor: JS between the first and second half of one trajectory.

    The two halves are consecutive in time, so they are as independent as the trajectory
    allows; a model cannot be told apart from the reference below this value at this length.
    """
    x = np.asarray(x).reshape(-1)
    y = np.asarray(y).reshape(-1)
    h = len(x) // 2
    if h < 1:
        raise InputError(f"half_split_js needs at least 2 frames, got {len(x)}")
    return js_divergence_angles(x[:h], y[:h], x[h:2 * h], y[h:2 * h], bins)
