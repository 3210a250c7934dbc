"""Trainer: exact resume after a crash, atomic checkpoints, NaN guard, budget, early stopping."""
from __future__ import annotations

import json

import numpy as np
import pytest

ms = pytest.importorskip("mindspore")

from cgmolct.errors import CheckpointError, TrainingError  # noqa: E402
from cgmolct.train import checkpoint as ckpt  # noqa: E402
from cgmolct.train.losses import UnitFreeEnergyForceLoss  # noqa: E402
from cgmolct.train.objective import EnergyForceObjective, EnergyForcePredict  # noqa: E402
from cgmolct.train.trainer import StopTraining, Trainer, TrainOptions  # noqa: E402

from .toy import ToyData, ToyEnergy  # noqa: E402


def make_trainer(out, train=None, **kw):
    ms.set_seed(0)
    model = ToyEnergy()
    objective = EnergyForceObjective(model, UnitFreeEnergyForceLoss(0.01, 0.99, 1.0, 1.0))
    options = dict(batch_size=4, max_epochs=3, lr=1e-2, progress=False, seed=3)
    options.update(kw)
    return Trainer(model, objective, EnergyForcePredict(model), "energy_forces",
                   train if train is not None else ToyData(24), ToyData(8, seed=1), out,
                   TrainOptions(**options))


def weights(trainer):
    return {p.name: p.asnumpy().copy() for p in trainer.model.get_parameters()}


class Crash(Exception):
    pass


def test_resume_after_crash_gives_same_weights(tmp_path):
    reference = make_trainer(tmp_path / "ref", schedule="warmup_inverse_sqrt", warmup=4)
    reference.fit()
    ref_w = weights(reference)

    crashing = make_trainer(tmp_path / "run", schedule="warmup_inverse_sqrt", warmup=4,
                            checkpoint_every=4)

    def crash(trainer, loss):
        if trainer.state.step == 10:  # mid-epoch 2 (6 batches per epoch), after the step-8 checkpoint
            raise Crash()

    crashing.callbacks.append(crash)
    with pytest.raises(Crash):
        crashing.fit()
    meta, _, _ = ckpt.read_checkpoint(tmp_path / "run" / "last.npz")
    assert meta["state"]["step"] == 8 and meta["state"]["batch"] == 2 and meta["state"]["epoch"] == 1

    resumed = make_trainer(tmp_path / "run", schedule="warmup_inverse_sqrt", warmup=4)
    # a fresh model differs from the crashed one until the checkpoint is loaded
    resumed.load_checkpoint(tmp_path / "run" / "last.npz")
    summary = resumed.fit()
    assert summary["steps"] == reference.state.step == 18
    for name, value in ref_w.items():
        np.testing.assert_array_equal(weights(resumed)[name], value, err_msg=name)
    # optimiser moments too
    opt_ref = {n: p.asnumpy() for n, p in reference.optimizer.parameters_and_names()}
    opt_res = {n: p.asnumpy() for n, p in resumed.optimizer.parameters_and_names()}
    assert set(opt_ref) == set(opt_res)
    for name in opt_ref:
        np.testing.assert_array_equal(opt_res[name], opt_ref[name], err_msg=name)
    hist_ref = [h["valid_forces_mae"] for h in reference.state.history]
    hist_res = [h["valid_forces_mae"] for h in resumed.state.history]
    assert hist_res == hist_ref


def test_resume_without_loading_differs(tmp_path):
    """Guard against a tautological resume test: a shorter run has different weights."""
    a = make_trainer(tmp_path / "a")
    a.fit()
    b = make_trainer(tmp_path / "b", max_steps=10)
    b.fit()
    assert any(not np.array_equal(v, weights(b)[k]) for k, v in weights(a).items())


def test_interrupted_checkpoint_write_keeps_previous(tmp_path, monkeypatch):
    trainer = make_trainer(tmp_path / "run", max_epochs=1)
    trainer.fit()
    path = tmp_path / "run" / "last.npz"
    before = path.read_bytes()

    def broken_savez(handle, **arrays):
        handle.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(ckpt.np, "savez", broken_savez)
    with pytest.raises(OSError):
        trainer.save_checkpoint(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    meta, params, opt = ckpt.read_checkpoint(path)
    assert meta["state"]["epoch"] == 1 and params and opt
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_truncated_and_foreign_checkpoints_raise(tmp_path):
    trainer = make_trainer(tmp_path / "run", max_epochs=1)
    trainer.fit()
    data = (tmp_path / "run" / "last.npz").read_bytes()
    bad = tmp_path / "trunc.npz"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        trainer.load_checkpoint(bad)
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(3))
    with pytest.raises(CheckpointError, match="not a cgmolct training checkpoint"):
        ckpt.read_checkpoint(other)
    with pytest.raises(CheckpointError, match="does not exist"):
        ckpt.read_checkpoint(tmp_path / "missing.npz")
    future = tmp_path / "future.npz"
    np.savez(future, meta=np.array(json.dumps({"format": ckpt.FORMAT, "version": 99})),
             **{"param/w": np.zeros(2)})
    with pytest.raises(CheckpointError, match="version 99"):
        ckpt.read_checkpoint(future)


def test_nan_guard_skips_and_lowers_lr(tmp_path):
    data = ToyData(24)
    data.energy[5] = np.nan
    trainer = make_trainer(tmp_path / "run", train=data, max_epochs=2)
    with pytest.warns(RuntimeWarning, match="non-finite"):
        summary = trainer.fit()
    assert summary["nan_events"] == 2  # one bad frame, seen once per epoch
    assert trainer.schedule.factor == pytest.approx(0.25)
    assert all(np.isfinite(v).all() for v in weights(trainer).values())
    assert "non-finite" in (tmp_path / "run" / "events.log").read_text()


def test_nan_guard_gives_up(tmp_path):
    data = ToyData(24)
    data.forces[:] = np.nan
    trainer = make_trainer(tmp_path / "run", train=data, nan_max=3)
    with pytest.warns(RuntimeWarning), pytest.raises(TrainingError, match="consecutive non-finite"):
        trainer.fit()


def test_wall_time_budget_labels_not_converged(tmp_path):
    trainer = make_trainer(tmp_path / "run", max_epochs=1000, max_time_s=0.5)
    summary = trainer.fit()
    assert summary["status"].startswith("not converged") and not summary["converged"]
    assert summary["epochs"] < 1000
    saved = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert saved["status"] == summary["status"]
    meta, _, _ = ckpt.read_checkpoint(tmp_path / "run" / "last.npz")
    assert meta["state"]["step"] == summary["steps"]


def test_stop_training_callback_and_logs(tmp_path):
    trainer = make_trainer(tmp_path / "run", max_epochs=5)

    def stop(tr, loss):
        if tr.state.step == 13:
            raise StopTraining()

    trainer.callbacks.append(stop)
    summary = trainer.fit()
    assert summary["status"] == "stopped" and summary["steps"] == 13
    rows = (tmp_path / "run" / "log.csv").read_text().splitlines()
    assert rows[0].startswith("epoch,step,lr,train_loss") and len(rows) == 3
    assert (tmp_path / "run" / "best.npz").exists()


def test_early_stopping(tmp_path):
    trainer = make_trainer(tmp_path / "run", max_epochs=50, lr=0.0, patience=2)
    summary = trainer.fit()  # lr 0: never improves after the first validation
    assert summary["status"] == "early stopped" and summary["epochs"] == 3


class CompileCounter:
    """Records MindSpore graph compilations: calls of ``_JitExecutor.compile`` that add a new
    phase to MindSpore's compile cache (a cached call returns early without compiling)."""

    def __init__(self, monkeypatch):
        from mindspore.graph import api

        self.calls = []
        original = api._JitExecutor.compile

        def counting(executor, method_name, *args, **kwargs):
            before = len(api.ms_compile_cache)
            phase = original(executor, method_name, *args, **kwargs)
            if len(api.ms_compile_cache) > before:
                self.calls.append((method_name, [getattr(a, "shape", None) for a in args]))
            return phase

        monkeypatch.setattr(api._JitExecutor, "compile", counting)


def test_one_compiled_step_never_recompiles_for_new_values(tmp_path, monkeypatch):
    """The step is one graph: later steps of the same shape (new batches, new learning
    rates from the schedule) compile nothing."""
    trainer = make_trainer(tmp_path / "run", schedule="warmup_inverse_sqrt", warmup=4)
    first = trainer._inputs(trainer.train_data.batch(np.arange(4)))
    trainer._step(ms.Tensor(np.float32(1e-3)), *first)
    counter = CompileCounter(monkeypatch)
    for k, lr in enumerate((1e-3, 5e-3, 2e-2)):
        batch = trainer._inputs(trainer.train_data.batch(np.arange(4 * k, 4 * k + 4)))
        trainer._step(ms.Tensor(np.float32(lr)), *batch)
    assert counter.calls == []


def test_trainer_fit_compiles_each_graph_once(tmp_path, monkeypatch):
    counter = CompileCounter(monkeypatch)
    trainer = make_trainer(tmp_path / "run", max_epochs=3, schedule="warmup_inverse_sqrt", warmup=4)
    trainer.fit()
    # one training-step graph and one validation graph, for 18 steps and 3 validations
    assert trainer.state.step == 18
    assert len(counter.calls) <= 2, f"{len(counter.calls)} compilations"


def test_learning_rate_reaches_the_compiled_step(tmp_path):
    """A zero learning rate after compilation leaves the weights alone (set_data on the
    optimiser's learning-rate parameter would not reach the compiled graph)."""
    trainer = make_trainer(tmp_path / "run")
    batch = trainer._inputs(trainer.train_data.batch(np.arange(4)))
    trainer._step(ms.Tensor(np.float32(1e-2)), *batch)
    before = weights(trainer)
    trainer._step(ms.Tensor(np.float32(0.0)), *batch)
    for name, value in weights(trainer).items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)
    trainer._step(ms.Tensor(np.float32(1e-2)), *batch)
    assert any(np.abs(v - before[k]).max() > 0 for k, v in weights(trainer).items())


def test_non_finite_batch_leaves_weights_untouched(tmp_path):
    data = ToyData(24)
    data.forces[0, 0, 0] = np.nan
    trainer = make_trainer(tmp_path / "run", train=data)
    before = weights(trainer)
    loss, norm = trainer._step(ms.Tensor(np.float32(1e-2)),
                               *trainer._inputs(data.batch(np.arange(4))))
    assert not np.isfinite(float(loss.asnumpy()) + float(norm.asnumpy()))
    for name, value in weights(trainer).items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)
