"""Small PNG figures a scientist looks at first (matplotlib, Agg backend, no display needed).

Each function writes one PNG atomically and returns its path: the distance/contact map of a
CG graph with its bonds, the learning curve of a training run, and predicted against
reference forces.
"""
from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .storage import atomic_write_bytes

__all__ = ["distance_map", "learning_curve", "force_parity"]


def _figure(width: float = 5.0, height: float = 4.0):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt, plt.figure(figsize=(width, height), dpi=110)


def _save(plt, fig, path) -> str:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png")
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return str(path)


def distance_map(graph, path, frame: int = 0, contact_cutoff: float = 8.0,
                 title: Optional[str] = None) -> str:
    """Bead–bead distance map (Å) of one frame, contacts below ``contact_cutoff`` outlined,
    bonds marked."""
    pos = np.asarray(graph.positions[frame], np.float64)
    d = np.sqrt(((pos[:, None] - pos[None]) ** 2).sum(-1))
    plt, fig = _figure(5.2, 4.4)
    ax = fig.add_subplot(111)
    im = ax.imshow(d, cmap="viridis_r", origin="lower", interpolation="nearest",
                   vmax=min(40.0, float(d.max()) or 1.0))
    ax.contour(d < contact_cutoff, levels=[0.5], colors="white", linewidths=0.4)
    bonds = np.asarray(graph.bonds).reshape(-1, 2)
    if len(bonds):
        ax.plot(bonds[:, 0], bonds[:, 1], ",", color="red")
    fig.colorbar(im, ax=ax, label="distance (Å)")
    ax.set_xlabel("bead")
    ax.set_ylabel("bead")
    ax.set_title(title or f"{graph.n_beads} beads, frame {frame}; white: < {contact_cutoff:g} Å",
                 fontsize=9)
    return _save(plt, fig, path)


def learning_curve(run_folder, path, keys: Sequence[str] = ("train_loss",)) -> str:
    """Training loss and validation MAE per epoch from a run's ``history.json``."""
    hist = json.loads((Path(run_folder) / "history.json").read_text())
    epochs = [h["epoch"] for h in hist]
    plt, fig = _figure(5.2, 3.6)
    ax = fig.add_subplot(111)
    for key in keys:
        ax.plot(epochs, [h.get(key, np.nan) for h in hist], "o-", label=key)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (unit-free)")
    valid = [k for k in (hist[-1] if hist else {}) if k.startswith("valid_") and k.endswith("_mae")]
    if valid:
        ax2 = ax.twinx()
        for key in valid:
            ax2.plot(epochs, [h.get(key, np.nan) for h in hist], "s--", label=key, color="C3")
        ax2.set_ylabel("validation MAE (physical units)")
        ax2.legend(loc="upper center", fontsize=7)
    ax.legend(loc="upper right", fontsize=7)
    ax.set_title(f"learning curve: {Path(run_folder).name}")
    return _save(plt, fig, path)


def force_parity(predicted: np.ndarray, reference: np.ndarray, path,
                 title: str = "forces") -> str:
    """Predicted against reference force components (kcal/mol/Å) with their RMSE."""
    p, r = np.asarray(predicted).ravel(), np.asarray(reference).ravel()
    rmse = float(np.sqrt(np.mean((p - r) ** 2)))
    plt, fig = _figure(4.2, 4.0)
    ax = fig.add_subplot(111)
    ax.plot(r, p, ".", ms=2, alpha=0.4)
    lim = float(np.percentile(np.abs(np.concatenate([p, r])), 99.5)) or 1.0
    ax.plot([-lim, lim], [-lim, lim], "k-", lw=0.8)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_xlabel("reference force (kcal/mol/Å)")
    ax.set_ylabel("predicted force (kcal/mol/Å)")
    ax.set_title(f"{title}: RMSE {rmse:.2f} kcal/mol/Å")
    return _save(plt, fig, path)
