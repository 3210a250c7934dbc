"""The chunked force-matching step (memory set by a chunk of beads) takes the same step as the
whole-graph TrainStep: same loss, same gradient norm, same parameter update; it never
recompiles for new values, keeps the NaN guard, refuses what it cannot train, and runs from a
configuration (``training.chunk_size``) on a CG graph built from a real trajectory."""
from __future__ import annotations

import json

import numpy as np
import pytest

ms = pytest.importorskip("mindspore")
from mindspore import Tensor, nn  # noqa: E402

from cgmolct.errors import TrainingError  # noqa: E402
from cgmolct.models import MolCT  # noqa: E402
from cgmolct.readouts import EnergyForceModel, NodeReadout  # noqa: E402
from cgmolct.train.chunked_step import ChunkedTrainStep  # noqa: E402
from cgmolct.train.losses import ForceLoss, LabelLoss, UnitFreeEnergyForceLoss  # noqa: E402
from cgmolct.train.objective import EnergyForceObjective, ForceObjective, LabelObjective  # noqa: E402
from cgmolct.train.step import TrainStep  # noqa: E402

from ..models.helpers import ethanol_like, make_batch  # noqa: E402
from .test_trainer import CompileCounter  # noqa: E402

MODELS = {
    "EA2": dict(dim=16, n_heads=2, n_interactions=2, r_cut=6.0),
    "NIU_fixed": dict(dim=16, n_heads=2, n_interactions=1, max_cycles=3, fixed_cycles=True,
                      r_cut=6.0),
}


def _batch(energy: bool):
    # two molecules of different sizes: padded beads and neighbour slots, RME relations
    batch = make_batch([ethanol_like(3, n=11), ethanol_like(4, n=6)])
    rng = np.random.default_rng(5)
    batch["forces"] = (rng.normal(size=batch["positions"].shape) * 3).astype(np.float32)
    batch["forces"][1, 6:] = 0.0
    if energy:
        batch["energy"] = rng.normal(size=2).astype(np.float32) * 10
    return batch


def _objective(kind: str, energy: bool):
    ms.set_seed(3)
    rep = MolCT(**MODELS[kind])
    model = EnergyForceModel(rep, NodeReadout(rep.dim, scale=2.0, shift=0.3))
    if energy:
        objective = EnergyForceObjective(model, UnitFreeEnergyForceLoss(0.3, 0.7, 2.0, 3.0),
                                         model_returns_forces=True)
    else:
        objective = ForceObjective(model, ForceLoss(), 2.5, model_returns_forces=True)
    # plain SGD with learning rate 1: the update is minus the (clipped) gradient itself
    return model, objective, nn.SGD(model.trainable_params(), learning_rate=1.0)


def _update(step, model, objective, batch):
    before = {p.name: p.asnumpy().copy() for p in model.trainable_params()}
    loss, norm = step(Tensor(np.float32(1.0)), *[Tensor(batch[k]) for k in objective.INPUTS])
    delta = {p.name: before[p.name] - p.asnumpy() for p in model.trainable_params()}
    return float(loss.asnumpy()), float(norm.asnumpy()), delta


@pytest.mark.parametrize("kind,energy,chunk", [("EA2", False, 4), ("NIU_fixed", True, 5)])
def test_chunked_step_equals_whole_graph_step(kind, energy, chunk):
    batch = _batch(energy)
    model_a, objective_a, opt_a = _objective(kind, energy)
    whole = TrainStep(objective_a, opt_a, clip=0.05)
    loss_a, norm_a, delta_a = _update(whole, model_a, objective_a, batch)
    model_b, objective_b, opt_b = _objective(kind, energy)
    step = ChunkedTrainStep(objective_b, opt_b, clip=0.05, chunk_size=chunk)
    loss_b, norm_b, delta_b = _update(step, model_b, objective_b, batch)
    assert norm_a > 0.05  # clipping is active, so the clipped update is compared too
    np.testing.assert_allclose(loss_b, loss_a, rtol=1e-5)
    np.testing.assert_allclose(norm_b, norm_a, rtol=1e-4)
    assert set(delta_a) == set(delta_b)
    still = []
    for name, d in delta_a.items():
        np.testing.assert_allclose(delta_b[name], d, rtol=2e-3, atol=1e-4 * (np.abs(d).max() + 1e-8),
                                   err_msg=name)
        if np.abs(d).max() == 0:
            still.append(name)
    # every parameter gets a gradient (embedding, RME, blocks, readout), except, for a
    # forces-only loss, the readout's output bias (a constant energy has no force)
    assert still == ([] if energy else [n for n in delta_a if n.endswith("readout.mlp.layers.2.bias")]), still
    # a second step from the updated weights: the accumulators were zeroed, and the chunked
    # sweep (uncompiled cells) and the compiled cells read the weights the update wrote
    loss_a, norm_a, delta_a = _update(whole, model_a, objective_a, batch)
    loss_b, norm_b, delta_b = _update(step, model_b, objective_b, batch)
    np.testing.assert_allclose([loss_b, norm_b], [loss_a, norm_a], rtol=1e-4)
    for name, d in delta_a.items():
        np.testing.assert_allclose(delta_b[name], d, rtol=2e-3, atol=1e-4 * (np.abs(d).max() + 1e-8),
                                   err_msg=name)


def test_chunked_step_compiles_once_and_guards_nan(monkeypatch):
    batch = _batch(False)
    model, objective, opt = _objective("EA2", False)
    step = ChunkedTrainStep(objective, opt, chunk_size=4)
    # the two EA blocks run through one shared cell: one set of compiled layer graphs
    assert len({id(s) for s in step._layer_steps}) == 1 == len({id(s) for s in step._adjoint_steps})
    _update(step, model, objective, batch)
    counter = CompileCounter(monkeypatch)
    batch["positions"] = batch["positions"] * 1.1
    _update(step, model, objective, batch)
    assert counter.calls == []
    batch["forces"][0, 0, 0] = np.nan
    loss, norm, delta = _update(step, model, objective, batch)
    assert not np.isfinite(loss)
    assert all(np.all(d == 0) for d in delta.values())  # the update was skipped


def test_chunked_step_refuses_what_it_cannot_train():
    model, objective, opt = _objective("EA2", False)
    with pytest.raises(TrainingError, match="force losses"):
        ChunkedTrainStep(LabelObjective(model, LabelLoss([1.0], [1.0])), opt)
    act = EnergyForceModel(MolCT(dim=16, n_heads=2, n_interactions=1, max_cycles=2, r_cut=6.0))
    with pytest.raises(TrainingError, match="training.chunk_size.*fixed_cycles"):
        ChunkedTrainStep(ForceObjective(act, ForceLoss(), 1.0, model_returns_forces=True),
                         nn.SGD(act.trainable_params(), learning_rate=1.0))


def test_chunked_training_from_config_follows_the_whole_graph_run(tmp_path, capsys):
    """``training.chunk_size`` on a CG graph from a real trajectory with forces (cobrotoxin,
    CA+CB, 117 beads): the same epochs end at the same validation error as the whole graph."""
    mdt = pytest.importorskip("MDAnalysisTests.datafiles")
    from cgmolct.cli import main

    graph = tmp_path / "cobro_cacb"
    assert main(["graph", "build", mdt.TPR_xvf, mdt.TRR_xvf, "-m", "cacb", "-o", str(graph)]) == 0
    capsys.readouterr()
    results = {}
    for chunk in (None, 32):
        cfg = {"task": "forces", "output": str(tmp_path / f"run_{chunk}"), "seed": 0,
               "data": {"format": "graph", "train": str(graph), "split": {"valid": 1, "seed": 0},
                        "cutoff": 8.0},
               "model": {"representation": "EA1", "dim": 16},
               "optimizer": {"lr": 1e-3, "schedule": "constant"},
               "training": {"batch_size": 1, "max_epochs": 2, "progress": False, "threads": 1,
                            "chunk_size": chunk}}
        path = tmp_path / f"cfg_{chunk}.json"
        path.write_text(json.dumps(cfg))
        assert main(["train", str(path), "--json"]) == 0
        results[chunk] = json.loads(capsys.readouterr().out)
    whole, chunked = results[None], results[32]
    assert chunked["steps"] == whole["steps"] == 4
    assert np.isfinite(whole["best_monitor"])  # validation force MAE / force scale
    np.testing.assert_allclose(chunked["best_monitor"], whole["best_monitor"], rtol=1e-3)
