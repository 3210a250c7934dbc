"""The MindSpore smoke test of ``cgmolct doctor`` (kept in a file: graph mode parses source).

A tiny pair-distance network with the project's :class:`~cgmolct.nn.norm.LayerNorm` gives
an energy E(R); forces are F = −∂E/∂R; one Adam step is taken on the force loss
L = mean |F − F_ref|², which needs the second-order gradient ∂²E/∂R∂θ.  The parameter
gradient is checked against central finite differences of L, so that a silently zero or
wrong second-order gradient fails the check.
"""
from __future__ import annotations

import json
import sys
import time

import numpy as np


def run_smoke(mode: str) -> dict:
    """Run the smoke test in ``mode`` ("pynative" or "graph"); return a result dict."""
    import mindspore as ms
    from mindspore import Tensor, nn, ops

    from cgmolct.nn.norm import LayerNorm

    ms.set_context(mode=ms.GRAPH_MODE if mode == "graph" else ms.PYNATIVE_MODE)
    ms.set_seed(0)

    class PairEnergy(nn.Cell):
        def __init__(self):
            super().__init__()
            self.embed = nn.Dense(1, 8)
            self.norm = LayerNorm(8)
            self.out = nn.Dense(8, 1)

        def construct(self, positions):
            diff = positions[:, :, None, :] - positions[:, None, :, :]
            dist = ops.sqrt((diff * diff).sum(-1) + 1e-2)
            h = self.norm(ops.tanh(self.embed(dist[..., None])))
            return self.out(h).sum((1, 2, 3))

    class ForceLoss(nn.Cell):
        def __init__(self, energy):
            super().__init__()
            self.energy = energy
            self.grad = ops.GradOperation()

        def construct(self, positions, forces_ref):
            forces = -self.grad(self.energy)(positions)
            return ((forces - forces_ref) ** 2).mean()

    rng = np.random.default_rng(0)
    pos = Tensor(rng.normal(size=(2, 5, 3)).astype(np.float32) * 2.0)
    fref = Tensor(rng.normal(size=(2, 5, 3)).astype(np.float32))
    energy = PairEnergy()
    loss_net = ForceLoss(energy)
    params = energy.trainable_params()

    grad_fn = ms.value_and_grad(loss_net, None, params)
    # In PyNative mode nested gradients w.r.t. parameters come back as zeros in MindSpore
    # 2.10 (CPU); cgmolct therefore jit-compiles every force step.  Record both.
    pure_loss, pure_grads = grad_fn(pos, fref)
    jit_grad_fn = ms.jit(grad_fn) if mode == "pynative" else grad_fn
    loss0, grads = jit_grad_fn(pos, fref)

    # finite-difference check of d loss / d w for the output layer weights
    w = energy.out.weight
    w0 = w.asnumpy().copy()
    g_auto = grads[[p.name for p in params].index(w.name)].asnumpy()
    h = 1e-2
    fd = np.zeros_like(w0)
    for k in range(w0.size):
        for sign in (1, -1):
            wk = w0.copy()
            wk.flat[k] += sign * h
            w.set_data(Tensor(wk))
            fd.flat[k] += sign * float(loss_net(pos, fref).asnumpy()) / (2 * h)
    w.set_data(Tensor(w0))
    rel_err = float(np.abs(g_auto - fd).max() / (np.abs(fd).max() + 1e-12))
    pure_rel_err = float(np.abs(pure_grads[[p.name for p in params].index(w.name)].asnumpy() - fd).max()
                         / (np.abs(fd).max() + 1e-12))

    opt = nn.Adam(params, learning_rate=1e-2)
    step = nn.TrainOneStepCell(loss_net, opt)
    if mode == "pynative":
        step.construct = ms.jit(step.construct)
    t0 = time.perf_counter()
    losses = [float(step(pos, fref).asnumpy()) for _ in range(5)]
    elapsed = time.perf_counter() - t0
    ok = bool(rel_err < 0.05 and np.abs(fd).max() > 0 and losses[-1] < losses[0]
              and np.isfinite(losses).all())
    reason = "" if ok else (
        f"second-order gradient mismatch (relative error {rel_err:.3g})" if rel_err >= 0.05
        else f"force loss did not decrease over 5 steps: {losses}")
    return {
        "mode": mode,
        "ok": ok,
        "reason": reason,
        "second_order_gradient_relative_error": rel_err,
        "pure_pynative_nested_grad_relative_error": pure_rel_err if mode == "pynative" else None,
        "force_loss_first_last": [losses[0], losses[-1]],
        "seconds_for_5_steps": elapsed,
        "initial_loss": float(loss0.asnumpy()),
        "pure_loss": float(pure_loss.asnumpy()),
    }


if __name__ == "__main__":  # pragma: no cover - executed by cgmolct doctor in a subprocess
    try:
        result = run_smoke(sys.argv[1])
    except Exception as exc:  # report, never a traceback on the user's screen
        result = {"mode": sys.argv[1], "ok": False, "reason": f"{type(exc).__name__}: {exc}"}
    print("CGMOLCT_SMOKE " + json.dumps(result))
