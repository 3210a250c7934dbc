"""Boltzmann inversion of reference histograms (numpy): the fits behind ``from_statistics``.

At temperature T (k_B T = kT in kcal/mol) a coordinate x sampled with density p(x) has the
potential of mean force U(x) = −kT ln(p(x) / J(x)) + const, where J is the Jacobian of the
coordinate: J(r) = r² for a distance (the volume of a spherical shell), J(θ) = sin θ for a
bond angle, J = 1 for a dihedral (uniform on the circle).

- :func:`fit_harmonic`: U(x) ≈ ½ k (x − x0)² + c by least squares over the populated
  histogram bins, weighted by √count (the statistical error of U in a bin is kT/√count);
- :func:`fit_fourier`: U(φ) ≈ Σ_{n=1..M} a_n cos nφ + b_n sin nφ + c by least squares over
  all bins of [−π, π); empty bins (never sampled) get U = max(U over sampled bins) + kT, so
  the series keeps unsampled regions (e.g. αL of alanine dipeptide) high instead of leaving
  them free to dip; the sin terms carry the sign of φ.
- :func:`minimum_distances`: the smallest distance observed for each pair (Å).
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

from ..errors import DataError, InputError
from ..units import kT as _kT

__all__ = ["fit_harmonic", "fit_fourier", "minimum_distances", "JACOBIANS"]

#: Jacobian name -> J(x) (unnormalised).
JACOBIANS = {"r2": lambda x: x * x, "sin": np.sin, "none": np.ones_like}


def _check_samples(values, name: str) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 1:
        v = v[:, None]
    if v.ndim != 2:
        raise InputError(f"{name}: samples have shape {np.shape(values)}; expected (frames, terms)")
    if v.shape[0] < 2:
        raise DataError(f"{name}: {v.shape[0]} frame(s); a Boltzmann inversion needs a histogram "
                        "of many frames")
    if not np.all(np.isfinite(v)):
        raise DataError(f"{name}: samples hold NaN or inf")
    return v


def fit_harmonic(values, temperature: float, jacobian: str = "none", n_bins: int = 100,
                 name: str = "harmonic term") -> Tuple[np.ndarray, np.ndarray]:
    """Fit U(x) = ½ k (x − x0)² to −kT ln(p(x)/J(x)) for each column of ``values``.

    Parameters
    ----------
    values : (F, T) array
        Samples of T coordinates (Å or rad).
    temperature : float
        K.
    jacobian : {"r2", "sin", "none"}
        J(x) removed from the histogram before the inversion.
    n_bins : int
        Histogram bins spanning each column's observed range.

    Returns
    -------
    k : (T,) float64
        Force constants, kcal/mol per unit² of x (kcal/mol/Å² or kcal/mol/rad²).
    x0 : (T,) float64
        Positions of the minimum (Å or rad).

    Notes
    -----
    If the weighted quadratic fit is not convex (too few populated bins), the moment
    estimate k = kT / var(x), x0 = mean(x) is used instead.
    """
    if jacobian not in JACOBIANS:
        raise InputError(f"jacobian must be one of {sorted(JACOBIANS)}, got {jacobian!r}")
    if int(n_bins) < 3:
        raise InputError(f"n_bins must be >= 3, got {n_bins}")
    v = _check_samples(values, name)
    kt = _kT(temperature)
    k_out, x_out = np.empty(v.shape[1]), np.empty(v.shape[1])
    for t in range(v.shape[1]):
        x = v[:, t]
        var = x.var()
        if not var > 0:
            raise DataError(f"{name} {t}: all {len(x)} samples are equal ({x[0]:.4g}); no spread "
                            "to fit a force constant")
        counts, edges = np.histogram(x, bins=int(n_bins))
        centres = 0.5 * (edges[1:] + edges[:-1])
        jac = JACOBIANS[jacobian](centres)
        ok = (counts > 0) & (jac > 0)
        k = x0 = np.nan
        if ok.sum() >= 3:
            u = -kt * np.log(counts[ok] / jac[ok])
            a, b, _ = np.polyfit(centres[ok], u, 2, w=np.sqrt(counts[ok]))
            if a > 0:
                k, x0 = 2.0 * a, -b / (2.0 * a)
        if not np.isfinite(k):
            k, x0 = kt / var, x.mean()
        k_out[t], x_out[t] = k, x0
    return k_out, x_out


def fit_fourier(angles, temperature: float, n_terms: int = 6, n_bins: int = 72,
                name: str = "dihedral") -> Tuple[np.ndarray, np.ndarray]:
    """Fit U(φ) = Σ_{n=1..M} a_n cos nφ + b_n sin nφ + c to −kT ln p(φ) for each column.

    Parameters
    ----------
    angles : (F, D) array
        Signed dihedral angles in rad.
    temperature : float
        K.
    n_terms : int
        M, the highest multiplicity.
    n_bins : int
        Bins over [−π, π) (must exceed 2M + 1).

    Returns
    -------
    k_cos, k_sin : (D, M) float64
        a_n and b_n in kcal/mol (the constant c is dropped).
    """
    m = int(n_terms)
    if m < 1:
        raise InputError(f"n_terms must be >= 1, got {n_terms}")
    if int(n_bins) <= 2 * m + 1:
        raise InputError(f"n_bins ({n_bins}) must exceed 2 n_terms + 1 = {2 * m + 1}")
    phi = _check_samples(angles, name)
    kt = _kT(temperature)
    edges = np.linspace(-np.pi, np.pi, int(n_bins) + 1)
    centres = 0.5 * (edges[1:] + edges[:-1])
    n = np.arange(1, m + 1)
    design = np.concatenate([np.cos(np.outer(centres, n)), np.sin(np.outer(centres, n)),
                             np.ones((len(centres), 1))], axis=1)
    k_cos, k_sin = np.empty((phi.shape[1], m)), np.empty((phi.shape[1], m))
    for d in range(phi.shape[1]):
        wrapped = np.mod(phi[:, d] + np.pi, 2 * np.pi) - np.pi
        idx = np.minimum((wrapped + np.pi) / (2 * np.pi) * n_bins, n_bins - 1).astype(np.int64)
        counts = np.bincount(idx, minlength=int(n_bins)).astype(np.float64)
        u = np.empty(len(counts))
        seen = counts > 0
        u[seen] = -kt * np.log(counts[seen] / counts.sum())
        u[~seen] = u[seen].max() + kt
        coef, *_ = np.linalg.lstsq(design, u, rcond=None)
        k_cos[d], k_sin[d] = coef[:m], coef[m:2 * m]
    return k_cos, k_sin


def minimum_distances(distances, name: str = "repulsion pair") -> np.ndarray:
    """(P,) the smallest observed distance of each pair (Å); raises DataError if any is 0."""
    r = _check_samples(distances, name)
    rmin = r.min(axis=0)
    bad = np.flatnonzero(rmin <= 0)
    if len(bad):
        raise DataError(f"{name} {int(bad[0])}: two beads coincide in some frame (distance 0)")
    return rmin
