"""Contact-map heat maps (matplotlib, Agg backend)."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import InputError

__all__ = ["plot_contact_map"]


def plot_contact_map(path, prob: np.ndarray, truth: Optional[np.ndarray] = None,
                     separation: Optional[np.ndarray] = None, title: str = "") -> str:
    """Write a PNG heat map of a contact probability map (atomically); returns the path.

    Parameters
    ----------
    path : str or Path
        Output ``.png``.
    prob : (n, n) array
        Probabilities (NaN drawn as 0).
    truth : (n, n) array, optional
        True contacts or frequencies (> 0.5 drawn): then predictions fill the triangle below
        the diagonal and true contacts (|i − j| ≥ 3) are marked above it; without truth the
        whole map is drawn.
    separation : (n, n) int array, optional
        Sequence separations (default |i − j|).
    title : str
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..train.checkpoint import atomic_write_bytes

    prob = np.asarray(prob, np.float64)
    n = prob.shape[0]
    if prob.shape != (n, n):
        raise InputError(f"prob has shape {prob.shape}; expected a square (n, n) map")
    if truth is not None and np.shape(truth) != (n, n):
        raise InputError(f"truth has shape {np.shape(truth)}; expected ({n}, {n})")
    if separation is None:
        separation = np.abs(np.arange(n)[:, None] - np.arange(n)[None])
    rows, cols = np.indices((n, n))
    shown = np.where(np.isfinite(prob), prob, 0.0)
    if truth is not None:
        shown = np.where(rows < cols, shown, np.nan)  # array row < col: below the diagonal
    fig, ax = plt.subplots(figsize=(6, 5.2))
    im = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1, origin="lower", interpolation="nearest")
    fig.colorbar(im, ax=ax, label="predicted contact probability")
    if truth is not None:
        i, j = np.nonzero((truth > 0.5) & (rows > cols) & (np.asarray(separation) >= 3))
        ax.scatter(j, i, s=3, c="tab:red", marker="s", linewidths=0,
                   label="true contacts (closest heavy < 4.5 Å)")
        ax.legend(loc="upper left", fontsize=7, frameon=False)
        ax.set_title(f"{title}\nbelow the diagonal: predicted; above: true contacts", fontsize=9)
    else:
        ax.set_title(f"{title}\n(no true contacts given: e.g. a CA-only input)", fontsize=9)
    ax.set_xlabel("residue")
    ax.set_ylabel("residue")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    plt.close(fig)
    atomic_write_bytes(Path(path), buf.getvalue())
    return str(path)
