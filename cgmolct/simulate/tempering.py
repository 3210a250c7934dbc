"""Parallel tempering: replicas on a temperature ladder swap temperatures by Metropolis.

Replica i holds a configuration with potential energy E_i at bath temperature T_i.  Every
``exchange_every`` steps the replicas at neighbouring rungs of the ladder (even pairs and odd
pairs in turn) try to swap their temperatures; the swap is accepted with probability

    min(1, exp((β_i − β_j)(E_i − E_j))),   β = 1 / (k_B T)

(detailed balance in the joint ensemble), and the velocities of a swapped replica are
rescaled by sqrt(T_new / T_old).  Configurations stay with their replica (their DCD); the
energy file records each frame's bath temperature.
"""
from __future__ import annotations

import math
from typing import List

import numpy as np

from ..errors import InputError
from ..units import KB_KCAL_PER_MOL_K

__all__ = ["TemperatureLadder"]


class TemperatureLadder:
    """Bath temperatures of the replicas and the exchange bookkeeping.

    Parameters
    ----------
    temperatures : (B,) array
        Initial bath temperature of each replica in K (distinct, > 0).

    Attributes
    ----------
    temperatures : (B,) float64
        Current bath temperature of each replica (a permutation of :attr:`ladder`).
    ladder : (B,) float64
        The sorted temperatures.
    attempts, accepted : (B − 1,) int64
        Exchange attempts and accepted swaps between rungs k and k + 1.
    """

    def __init__(self, temperatures):
        t = np.asarray(temperatures, np.float64).copy()
        if t.ndim != 1 or len(t) < 2 or len(np.unique(t)) != len(t):
            raise InputError("parallel tempering (exchange_every > 0) needs one distinct temperature "
                             f"per replica; got {np.atleast_1d(t).tolist()}")
        self.temperatures = t
        self.ladder = np.sort(t)
        self.attempts = np.zeros(len(t) - 1, np.int64)
        self.accepted = np.zeros(len(t) - 1, np.int64)

    def exchange(self, energies: np.ndarray, uniforms: np.ndarray, parity: int) -> np.ndarray:
        """Try the swaps of one round; returns the velocity scale (B,) of each replica.

        Parameters
        ----------
        energies : (B,) potential energies in kcal/mol
        uniforms : (len(rungs(parity)),) uniform numbers in [0, 1), one per tried pair
        parity : 0 (pairs 0-1, 2-3, ...) or 1 (pairs 1-2, 3-4, ...)
        """
        old = self.temperatures.copy()
        order = np.argsort(old, kind="stable")          # replica sitting on each rung
        beta = 1.0 / (KB_KCAL_PER_MOL_K * old)
        e = np.asarray(energies, np.float64)
        for k, u in zip(self.rungs(parity), uniforms):
            i, j = order[k], order[k + 1]
            self.attempts[k] += 1
            log_p = (beta[i] - beta[j]) * (e[i] - e[j])
            if log_p >= 0 or u < math.exp(log_p):
                self.accepted[k] += 1
                self.temperatures[i], self.temperatures[j] = old[j], old[i]
        return np.sqrt(self.temperatures / old)

    def rungs(self, parity: int) -> np.ndarray:
        """Lower rungs k of the pairs (k, k + 1) tried in a round of this parity."""
        return np.arange(int(parity) % 2, len(self.ladder) - 1, 2)

    @property
    def acceptance(self) -> List[float]:
        """Accepted fraction of the attempts between each pair of neighbouring rungs."""
        return [float(a) / n if n else 0.0 for a, n in zip(self.accepted, self.attempts)]

    def state(self) -> dict:
        """JSON-able record for restart files."""
        return {"bath_temperatures": self.temperatures.tolist(),
                "exchange_attempts": self.attempts.tolist(),
                "exchange_accepted": self.accepted.tolist()}

    def restore(self, record: dict) -> None:
        """Continue from :meth:`state` (the ladder must be the same)."""
        t = np.asarray(record["bath_temperatures"], np.float64)
        if t.shape != self.ladder.shape or not np.allclose(np.sort(t), self.ladder):
            raise InputError(f"restart state has the temperature ladder {sorted(t.tolist())}; "
                             f"this simulation has {self.ladder.tolist()}")
        self.temperatures = t.copy()
        self.attempts = np.asarray(record["exchange_attempts"], np.int64).copy()
        self.accepted = np.asarray(record["exchange_accepted"], np.int64).copy()
