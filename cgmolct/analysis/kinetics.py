"""Kinetic scores in numpy: VAMP-2, TICA, Koopman matrices and implied timescales.

All functions take trajectories as arrays (frames, features) or lists of them (several
trajectories; time-lagged pairs never cross a trajectory boundary).  Times are in frames
unless a time step ``dt`` (ps) is given.

VAMP-2 (Wu & Noé 2020) of features χ with instantaneous covariances C00 = E[χ̄_t χ̄_tᵀ],
C11 = E[χ̄_{t+τ} χ̄_{t+τ}ᵀ] and cross covariance C01 = E[χ̄_t χ̄_{t+τ}ᵀ] (χ̄ mean-free):

    VAMP-2 = 1 + ||(C00 + εI)^(-1/2) C01 (C11 + εI)^(-1/2)||_F²
           = 1 + tr[(C00 + εI)^(-1) C01 (C11 + εI)^(-1) C10]

The 1 counts the constant singular function (deeptime's convention); a d-dimensional
feature set scores at most 1 + d.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Union

import numpy as np

from ..errors import InputError

__all__ = ["lagged_pairs", "covariances", "vamp2_score", "TICA", "koopman_matrix",
           "implied_timescales", "held_out_vamp2"]

Trajectories = Union[np.ndarray, Sequence[np.ndarray]]


def _as_list(data: Trajectories, name: str = "data") -> List[np.ndarray]:
    if isinstance(data, np.ndarray):
        data = [data]
    out = []
    for k, x in enumerate(data):
        x = np.asarray(x, np.float64)
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2:
            raise InputError(f"{name}[{k}] has shape {x.shape}; expected (frames, features)")
        if not np.isfinite(x).all():
            raise InputError(f"{name}[{k}] has non-finite values")
        out.append(x)
    if not out:
        raise InputError(f"{name} is empty")
    if len({x.shape[1] for x in out}) != 1:
        raise InputError(f"{name}: trajectories have different feature sizes "
                         f"{sorted({x.shape[1] for x in out})}")
    return out


def lagged_pairs(data: Trajectories, lag: int):
    """Stacked (x_t, x_{t+lag}) over every trajectory: two arrays (pairs, features)."""
    if not isinstance(lag, (int, np.integer)) or lag < 1:
        raise InputError(f"lag must be a positive integer (frames), got {lag!r}")
    trajs = _as_list(data)
    x0 = [x[:-lag] for x in trajs if len(x) > lag]
    xt = [x[lag:] for x in trajs if len(x) > lag]
    if not x0:
        raise InputError(f"no trajectory is longer than the lag ({lag} frames)")
    return np.concatenate(x0), np.concatenate(xt)


def covariances(x0: np.ndarray, xt: np.ndarray):
    """Mean-free C00, C01, C11 of paired samples (pairs, d) (each mean removed)."""
    x0 = x0 - x0.mean(0)
    xt = xt - xt.mean(0)
    n = max(len(x0) - 1, 1)
    return x0.T @ x0 / n, x0.T @ xt / n, xt.T @ xt / n


def _inv_sqrt(c: np.ndarray, epsilon: float) -> np.ndarray:
    w, v = np.linalg.eigh(c)
    w = np.maximum(w, 0.0) + epsilon
    return (v / np.sqrt(w)) @ v.T


def vamp2_score(x0: np.ndarray, xt: np.ndarray, epsilon: float = 1e-6) -> float:
    """VAMP-2 of paired features (module docstring), with inverse square roots by eigh.

    Parameters
    ----------
    x0, xt : (pairs, d) float
        Features at t and t + τ.
    epsilon : float
        Added to the covariance eigenvalues (regularisation).
    """
    x0 = np.asarray(x0, np.float64)
    xt = np.asarray(xt, np.float64)
    if x0.shape != xt.shape or x0.ndim != 2 or len(x0) < 2:
        raise InputError(f"x0 {x0.shape} and xt {xt.shape} must be equal (pairs >= 2, d)")
    c00, c01, c11 = covariances(x0, xt)
    k = _inv_sqrt(c00, epsilon) @ c01 @ _inv_sqrt(c11, epsilon)
    return float(1.0 + (k ** 2).sum())


class TICA:
    """Time-lagged independent component analysis (symmetrised, regularised), numpy.

    Solves C01_sym v = λ C00 v with C00 and C01_sym = (C01 + C10)/2 of the mean-free
    data; components sorted by λ.  ``fit(data) -> self``, ``transform(x)``.

    Parameters
    ----------
    lag : int
        Lag in frames.
    dim : int, optional
        Number of components kept (default all).
    epsilon : float
        Eigenvalues of C00 below it are dropped (rank-deficient features).
    """

    def __init__(self, lag: int = 1, dim: Optional[int] = None, epsilon: float = 1e-6):
        self.lag, self.dim, self.epsilon = lag, dim, epsilon

    def fit(self, data: Trajectories) -> "TICA":
        x0, xt = lagged_pairs(data, self.lag)
        both = np.concatenate([x0, xt])
        self.mean_ = both.mean(0)
        a, b = x0 - self.mean_, xt - self.mean_
        n = len(a)
        c00 = (a.T @ a + b.T @ b) / (2 * n)
        c01 = (a.T @ b + b.T @ a) / (2 * n)
        w, v = np.linalg.eigh(c00)
        keep = w > self.epsilon * max(w.max(), 1e-300)
        white = v[:, keep] / np.sqrt(w[keep])
        lam, u = np.linalg.eigh(white.T @ c01 @ white)
        order = np.argsort(lam)[::-1]
        dim = len(order) if self.dim is None else min(int(self.dim), len(order))
        self.eigenvalues_ = lam[order][:dim]
        self.components_ = white @ u[:, order[:dim]]
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        if not hasattr(self, "components_"):
            raise InputError("TICA: call fit before transform")
        return (np.asarray(x, np.float64) - self.mean_) @ self.components_

    def timescales(self, dt: float = 1.0) -> np.ndarray:
        """Implied timescales −τ/ln|λ_i| of the components (frames × dt)."""
        lam = np.clip(np.abs(self.eigenvalues_), 1e-12, 1 - 1e-12)
        return -self.lag * dt / np.log(lam)


def koopman_matrix(chi0: np.ndarray, chit: np.ndarray, epsilon: float = 1e-8) -> np.ndarray:
    """Koopman matrix K = (C00 + εI)^(-1) C01 of (non-mean-free) soft state assignments.

    For assignments χ (pairs, m) summing to one per frame, K is row-stochastic-like and its
    eigenvalues give implied timescales (VAMPnet).
    """
    chi0 = np.asarray(chi0, np.float64)
    chit = np.asarray(chit, np.float64)
    n = len(chi0)
    c00 = chi0.T @ chi0 / n
    c01 = chi0.T @ chit / n
    return np.linalg.solve(c00 + epsilon * np.eye(len(c00)), c01)


def implied_timescales(assignments: Trajectories, lags: Sequence[int], dt: float = 1.0,
                       n_timescales: Optional[int] = None) -> np.ndarray:
    """Implied timescales t_i(τ) = −τ dt / ln|λ_i(τ)| from soft state assignments.

    Parameters
    ----------
    assignments : (frames, m) array or list of them
        Soft state assignments (a VAMPnet's softmax output).
    lags : sequence of int
        Lag times in frames.
    dt : float
        Time between frames (ps); the result is in the same unit.
    n_timescales : int, optional
        Number kept (default m − 1: the stationary eigenvalue 1 is dropped).

    Returns
    -------
    (len(lags), n_timescales) float; NaN where an eigenvalue is not in (0, 1).
    """
    trajs = _as_list(assignments, "assignments")
    m = trajs[0].shape[1]
    k = m - 1 if n_timescales is None else int(n_timescales)
    out = np.full((len(lags), k), np.nan)
    for row, lag in enumerate(lags):
        x0, xt = lagged_pairs(trajs, int(lag))
        lam = np.sort(np.abs(np.linalg.eigvals(koopman_matrix(x0, xt))))[::-1][1:k + 1]
        ok = (lam > 0) & (lam < 1)
        ts = np.full(k, np.nan)
        ts[:len(lam)][ok] = -lag * dt / np.log(lam[ok])
        out[row] = ts
    return out


def held_out_vamp2(train: Trajectories, test: Trajectories, lag: int, dim: int,
                   epsilon: float = 1e-6) -> dict:
    """VAMP-2 on held-out data of a TICA model fitted on training features.

    The ``dim`` slowest TICA components fitted on ``train`` are scored on ``test``
    (:func:`vamp2_score`), the baseline for a network's ``dim``-dimensional output.

    Returns
    -------
    dict with ``vamp2_test``, ``vamp2_train``, ``timescales`` (frames).
    """
    tica = TICA(lag=lag, dim=dim).fit(train)
    tr = [tica.transform(x) for x in _as_list(train, "train")]
    te = [tica.transform(x) for x in _as_list(test, "test")]
    return {"vamp2_train": vamp2_score(*lagged_pairs(tr, lag), epsilon=epsilon),
            "vamp2_test": vamp2_score(*lagged_pairs(te, lag), epsilon=epsilon),
            "timescales": tica.timescales().tolist()}
