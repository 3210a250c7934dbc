"""Loss cells against NumPy formulas; schedules' shapes and exact state round trips."""
from __future__ import annotations

import math

import numpy as np
import pytest

ms = pytest.importorskip("mindspore")
from mindspore import Tensor  # noqa: E402

from cgmolct.errors import ConfigError  # noqa: E402
from cgmolct.train import losses as L  # noqa: E402
from cgmolct.train.schedules import (Cosine, ReduceOnPlateau, WarmupInverseSqrt,  # noqa: E402
                                     build_schedule)

rng = np.random.default_rng(7)


def t(x):
    return Tensor(np.asarray(x, np.float32))


def test_unit_free_loss_matches_formula_and_masks_padding():
    B, N = 3, 4
    e_p, e_t = rng.normal(size=B), rng.normal(size=B)
    f_p, f_t = rng.normal(size=(B, N, 3)), rng.normal(size=(B, N, 3))
    mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [1, 1, 1, 0]], np.float32)
    f_p_pad = f_p.copy()
    f_p_pad[mask == 0] = 1e6  # padding must not count
    d_e, d_f, w_e, w_f = 0.7, 2.5, 0.01, 0.99
    loss = L.UnitFreeEnergyForceLoss(w_e, w_f, d_e, d_f)(t(e_p), t(e_t), t(f_p_pad), t(f_t), t(mask))
    n = mask.sum(1)
    expected = np.mean(w_e * ((e_p - e_t) / n / d_e) ** 2
                       + w_f / n * ((((f_p - f_t) / d_f) ** 2).sum(-1) * mask).sum(1))
    assert float(loss.asnumpy()) == pytest.approx(expected, rel=1e-5)


def test_energy_force_label_losses():
    B, N = 4, 5
    e_p, e_t, n = rng.normal(size=B), rng.normal(size=B), np.array([5, 4, 3, 5], np.float32)
    assert float(L.EnergyLoss("mae", per_bead=True)(t(e_p), t(e_t), t(n)).asnumpy()) == \
        pytest.approx(np.mean(np.abs((e_p - e_t) / n)), rel=1e-5)
    assert float(L.EnergyLoss("mse")(t(e_p), t(e_t), t(n)).asnumpy()) == \
        pytest.approx(np.mean((e_p - e_t) ** 2), rel=1e-5)
    f_p, f_t = rng.normal(size=(B, N, 3)), rng.normal(size=(B, N, 3))
    mask = (rng.random((B, N)) > 0.3).astype(np.float32)
    got = float(L.ForceLoss("mae")(t(f_p), t(f_t), t(mask)).asnumpy())
    assert got == pytest.approx(np.abs(f_p - f_t)[mask > 0].mean(), rel=1e-5)
    y_p, y_t = rng.normal(size=(B, 3)), rng.normal(size=(B, 3))
    scales, weights = [1.0, 2.0, 0.5], [0.2, 0.3, 0.5]
    got = float(L.LabelLoss(scales, weights)(t(y_p), t(y_t)).asnumpy())
    assert got == pytest.approx((((y_p - y_t) / scales) ** 2).mean(0) @ weights, rel=1e-5)
    with pytest.raises(ValueError, match="label scales must be > 0"):
        L.LabelLoss([1.0, 0.0])


def test_edge_bce_is_stable_and_matches_formula():
    logits = np.array([[-200.0, -2.0, 0.0, 3.0, 200.0]], np.float32)
    labels = np.array([[0, 1, 1, 0, 1]], np.float32)
    mask = np.array([[1, 1, 1, 1, 0]], np.float32)
    got = float(L.EdgeBCELoss()(t(logits), t(labels), t(mask)).asnumpy())
    z = logits.astype(np.float64)
    log_p, log_1mp = -np.logaddexp(0.0, -z), -np.logaddexp(0.0, z)  # log sigmoid, log(1 - sigmoid)
    terms = -(labels * log_p + (1 - labels) * log_1mp)
    assert np.isfinite(got)
    assert got == pytest.approx((terms * mask).sum() / mask.sum(), rel=1e-4)
    weighted = float(L.EdgeBCELoss(pos_weight=3.0)(t(logits), t(labels), t(mask)).asnumpy())
    assert weighted > got


def test_ponder_and_weighted_sum():
    ponder = np.array([[1.5, 2.0, 9.0]], np.float32)
    mask = np.array([[1, 1, 0]], np.float32)
    assert float(L.PonderCost(0.1)(t(ponder), t(mask)).asnumpy()) == pytest.approx(0.1 * 1.75)
    assert float(L.WeightedSum([0.5, 2.0])(t(2.0), t(3.0)).asnumpy()) == pytest.approx(7.0)


def test_schedules():
    s = WarmupInverseSqrt(1e-3, warmup=10)
    assert s.lr(0) == pytest.approx(1e-4) and s.lr(9) == pytest.approx(1e-3)
    assert s.lr(39) == pytest.approx(1e-3 * math.sqrt(10 / 40))
    c = Cosine(1.0, total_steps=110, warmup=10, lr_min=0.1)
    assert c.lr(10) == pytest.approx(1.0) and c.lr(60) == pytest.approx(0.55) and c.lr(500) == pytest.approx(0.1)
    p = ReduceOnPlateau(1.0, factor=0.5, patience=1)
    for metric in (1.0, 0.9, 0.95, 0.95):
        p.observe(metric)
    assert p.lr(100) == pytest.approx(0.5)
    q = ReduceOnPlateau(1.0, factor=0.5, patience=1)
    q.load_state_dict(p.state_dict())
    q.observe(0.95)
    p.observe(0.95)
    assert q.lr(0) == p.lr(0) and q.state_dict() == p.state_dict()
    with pytest.raises(ConfigError, match="unknown schedule 'linear'"):
        build_schedule("linear", 1e-3)
