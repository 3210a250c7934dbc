"""PNG of free-energy surfaces: reference and CG side by side, numbers in the title (matplotlib Agg)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import InputError
from .basins import BASINS

__all__ = ["plot_free_energy"]

_SHORT = {"beta_C7eq": "β/C7eq", "alphaR": "αR", "alphaL": "αL"}


def _populations_line(side) -> str:
    b = side["basins"]
    return ", ".join(f"{_SHORT[k]} {100 * b['populations'][k]:.1f}±{100 * b['errors'][k]:.1f}%" for k in BASINS)


def plot_free_energy(analysis, path, vmax: Optional[float] = None) -> str:
    """Draw the FES panels of a run :class:`~.free_energy.FreeEnergy` into ``path`` (PNG).

    Parameters
    ----------
    analysis : FreeEnergy
        After ``run()``.
    path : str or Path
        Output ``.png``; written atomically (temporary file, then rename).
    vmax : float, optional
        Top of the colour scale in kcal/mol (default: the largest finite free energy, at
        most 10 kcal/mol).
    """
    import io

    import matplotlib

    from ..train.checkpoint import atomic_write_bytes

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if not getattr(analysis, "_ran", False):
        raise InputError("plot_free_energy: run the analysis first")
    r = analysis.results
    panels = [("reference", r.reference)] + ([("CG", r.cg)] if r.cg is not None else [])
    finite = [p["fes"]["free_energy"][np.isfinite(p["fes"]["free_energy"])] for _, p in panels]
    top = vmax if vmax is not None else min(10.0, max(float(f.max()) for f in finite))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels) + 1.2, 5.0), squeeze=False,
                             constrained_layout=True)
    edges = r.reference["fes"]["edges"]
    mesh = None
    for k, (ax, (name, side)) in enumerate(zip(axes[0], panels)):
        f = np.where(np.isfinite(side["fes"]["free_energy"]), side["fes"]["free_energy"], np.nan)
        mesh = ax.pcolormesh(edges, edges, f.T, vmin=0.0, vmax=top, cmap="viridis", shading="flat")
        ax.set_xlim(-180, 180)
        ax.set_ylim(-180, 180)
        ax.set_xticks(range(-180, 181, 90))
        ax.set_yticks(range(-180, 181, 90))
        ax.set_xlabel(f"{analysis.labels[0]} (deg)")
        if k == 0:
            ax.set_ylabel(f"{analysis.labels[1]} (deg)")
        ax.set_aspect("equal")
        ax.axvline(0.0, color="0.5", lw=0.6, ls="--")
        ax.set_title(f"{name} ({side['n_frames']} frames)\n{_populations_line(side)}", fontsize=9)
    cbar = fig.colorbar(mesh, ax=list(axes[0]), shrink=0.85)
    cbar.set_label("free energy (kcal/mol)")
    fig.suptitle(f"{analysis.title()}  [{analysis.bins}x{analysis.bins} bins, "
                 f"T = {analysis.temperature:g} K]", fontsize=10)
    path = Path(path)
    if not path.parent.exists():
        plt.close(fig)
        raise InputError(f"cannot write {path}: folder {path.parent} does not exist")
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, format="png", dpi=110)
    finally:
        plt.close(fig)
    try:
        atomic_write_bytes(path, buffer.getvalue())
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    return str(path)
