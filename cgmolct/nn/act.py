"""Sinusoidal time embedding, pondering net and adaptive computation time (ACT).

ACT (Graves 2016, as in the Universal Transformer) for one block applied repeatedly:
at cycle t each still-running node i gets a halting probability p_i^t.  With the running
sum ``h_i`` and threshold τ (0.9):

- a node halts at the first cycle where ``h_i + p_i^t > τ``; its update weight is the
  remainder ``R_i = 1 - h_i``; otherwise its weight is ``p_i^t`` and ``h_i += p_i^t``;
- the state is ``s_i ← w_i s_i^new + (1 - w_i) s_i``; a halted node's state is frozen;
- ``N_i`` counts the cycles used; the ponder cost is ``N_i + R_i`` (differentiable through
  ``R_i``).  At the last cycle every node still running halts.
"""
from __future__ import annotations

import numpy as np
from mindspore import nn, ops

__all__ = ["sinusoidal_table", "PonderNet", "act_step", "ponder_cost"]


def sinusoidal_table(n_steps: int, dim: int) -> np.ndarray:
    r"""Sinusoidal embedding of steps t = 1..n_steps: ``(n_steps, dim)`` float32.

    .. math:: T_{t,2k} = \sin(t / 10000^{2k/d}),\quad T_{t,2k+1} = \cos(t / 10000^{2k/d}).
    """
    t = np.arange(1, n_steps + 1, dtype=np.float64)[:, None]
    k = np.arange(dim // 2 + dim % 2, dtype=np.float64)[None, :]
    angle = t / np.power(10000.0, 2.0 * k / dim)
    table = np.zeros((n_steps, dim), dtype=np.float64)
    table[:, 0::2] = np.sin(angle)[:, : table[:, 0::2].shape[1]]
    table[:, 1::2] = np.cos(angle)[:, : table[:, 1::2].shape[1]]
    return table.astype(np.float32)


class PonderNet(nn.Cell):
    """Halting probability per node: ``p = sigmoid(W2 tanh(W1 s) + b)`` → (B, N)."""

    def __init__(self, dim: int):
        super().__init__()
        self.hidden = nn.Dense(dim, max(dim // 4, 1), activation="tanh")
        self.out = nn.Dense(max(dim // 4, 1), 1)

    def construct(self, state):
        b, n, f = state.shape
        return ops.sigmoid(self.out(self.hidden(state.reshape(b * n, f)))).reshape(b, n)


def act_step(p, running, halting, remainders, n_updates, threshold: float, last: bool):
    """One ACT bookkeeping step.

    Parameters
    ----------
    p : (B, N) halting probabilities of this cycle
    running : (B, N) 1.0 for nodes still running (start: the atom mask as float)
    halting, remainders, n_updates : (B, N) running bookkeeping (start at zeros)
    threshold : float
        Halting threshold τ.
    last : bool
        True at the last allowed cycle (all running nodes halt).

    Returns
    -------
    update_weights, running, halting, remainders, n_updates : (B, N) tensors
    """
    if last:
        new_halted = running
        still = running * 0.0
    else:
        over = ops.cast(halting + p * running > threshold, p.dtype)
        new_halted = over * running
        still = (1.0 - over) * running
    halting = halting + p * still
    remainder = new_halted * (1.0 - halting)
    remainders = remainders + remainder
    halting = halting + remainder
    n_updates = n_updates + still + new_halted
    update = p * still + remainder
    return update, still, halting, remainders, n_updates


def ponder_cost(n_updates, remainders, atom_mask):
    """Mean ponder cost ``N + R`` over real beads: (B, N) tensors → scalar tensor."""
    m = ops.cast(atom_mask, n_updates.dtype)
    return ((n_updates + remainders) * m).sum() / ops.maximum(m.sum(), 1.0)
