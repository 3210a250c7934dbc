"""``FreeEnergy``: reference vs CG free-energy surfaces, JS divergence, noise floor, basins.

    FreeEnergy((phi_ref, psi_ref), (phi_cg, psi_cg), temperature=300).run().results

Results (angles in degrees, energies kcal/mol):

- ``reference`` / ``cg``: ``fes`` (:func:`~.fes.free_energy_surface` output) and
  ``basins`` (:func:`~.basins.basin_populations` output) of each sample (``cg`` is None
  without a CG sample);
- ``js``: JS divergence (natural log, B × B bins, no pseudocounts) of CG vs reference;
- ``js_noise_floor``: JS between the two halves of the reference (:func:`~.divergence.half_split_js`);
- ``max_population_difference``: the largest |p_cg − p_ref| over the basins (fraction);
- ``summary()``: a JSON-able dict of the numbers.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from ..errors import InputError
from .base import AnalysisBase
from .basins import BASINS, basin_populations
from .divergence import half_split_js, js_divergence
from .fes import BINS, free_energy_surface

__all__ = ["FreeEnergy"]


def _pair(angles, name: str) -> Tuple[np.ndarray, np.ndarray]:
    if angles is None:
        return None
    if isinstance(angles, np.ndarray) and angles.ndim == 2 and angles.shape[1] == 2:
        x, y = angles[:, 0], angles[:, 1]
    else:
        try:
            x, y = angles
        except (TypeError, ValueError):
            raise InputError(f"{name}: expected (x, y) angle arrays or an (F, 2) array of degrees") from None
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if x.shape != y.shape or x.size < 2:
        raise InputError(f"{name}: x and y must have the same number (>= 2) of angles; got {x.size} and {y.size}")
    return x, y


class FreeEnergy(AnalysisBase):
    """Free-energy comparison of a CG sample with a reference in two angles (φ, ψ by default).

    Parameters
    ----------
    reference : (x, y) arrays or (F, 2) array
        Reference angles in degrees, in time order.
    cg : (x, y) arrays or (F, 2) array, optional
        CG angles in degrees, in time order (replicas concatenated).
    temperature : float
        K (the FES is −kT ln p).
    bins : int
        Bins per axis over [−180°, 180°) (default 60).
    labels : (str, str)
        Names of the axes (default ("phi", "psi")); basins are defined on them as (φ, ψ).
    n_blocks, n_resamples, seed : int
        Block bootstrap of the basin populations (:mod:`.basins`).
    """

    def __init__(self, reference, cg=None, temperature: float = 300.0, bins: int = BINS,
                 labels: Sequence[str] = ("phi", "psi"), n_blocks: int = 20,
                 n_resamples: int = 500, seed: int = 0):
        super().__init__()
        self.reference = _pair(reference, "reference")
        self.cg = _pair(cg, "cg")
        self.temperature = float(temperature)
        self.bins = int(bins)
        self.labels = tuple(labels)
        self.bootstrap = {"n_blocks": int(n_blocks), "n_resamples": int(n_resamples), "seed": int(seed)}

    def _sample(self, xy, frames: slice) -> Dict[str, object]:
        x, y = xy[0][frames], xy[1][frames]
        return {"fes": free_energy_surface(x, y, self.temperature, self.bins),
                "basins": basin_populations(x, y, **self.bootstrap), "n_frames": int(len(x))}

    def _run(self, frames: slice) -> None:
        r = self.results
        r.reference = self._sample(self.reference, frames)
        r.js_noise_floor = half_split_js(self.reference[0][frames], self.reference[1][frames], self.bins)
        r.cg = None
        r.js = None
        r.max_population_difference = None
        if self.cg is not None:
            r.cg = self._sample(self.cg, slice(None))
            r.js = js_divergence(r.reference["fes"]["counts"], r.cg["fes"]["counts"])
            r.max_population_difference = max(
                abs(r.cg["basins"]["populations"][b] - r.reference["basins"]["populations"][b])
                for b in BASINS)

    def summary(self) -> Dict[str, object]:
        """The numbers as a JSON-able dict (populations and errors in percent)."""
        if not self._ran:
            raise InputError("FreeEnergy: call run() first")
        r = self.results

        def pops(side):
            if side is None:
                return None
            b = side["basins"]
            return {"n_frames": side["n_frames"],
                    "populations_percent": {k: 100 * v for k, v in b["populations"].items()},
                    "errors_percent": {k: 100 * v for k, v in b["errors"].items()}}

        return {"temperature_K": self.temperature, "bins": self.bins, "axes": list(self.labels),
                "js": r.js, "js_noise_floor": r.js_noise_floor, "js_log": "natural",
                "max_population_difference_percent":
                    None if r.max_population_difference is None else 100 * r.max_population_difference,
                "reference": pops(r.reference), "cg": pops(r.cg),
                "basins": {"beta_C7eq": "phi < 0 and (psi > 100 or psi < -150)",
                           "alphaR": "phi < 0 otherwise", "alphaL": "phi >= 0"},
                "bootstrap": {"reference": r.reference["basins"]["method"],
                              "cg": None if r.cg is None else r.cg["basins"]["method"]}}

    def title(self) -> str:
        """One-line summary for plot titles."""
        r = self.results
        parts = []
        if r.js is not None:
            parts.append(f"JS = {r.js:.4f} (noise floor {r.js_noise_floor:.4f})")
        else:
            parts.append(f"JS noise floor (half vs half) = {r.js_noise_floor:.4f}")
        return "; ".join(parts)

    def plot(self, path: str, vmax: Optional[float] = None) -> str:
        """Write the PNG of the surfaces (:func:`~.plot.plot_free_energy`); returns the path."""
        from .plot import plot_free_energy

        return plot_free_energy(self, path, vmax=vmax)
