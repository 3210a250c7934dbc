"""Data-parallel training on MindSpore's dynamic cluster (two workers on loopback): the same
weights on both ranks, every frame once per epoch, the loss curve of 2 workers × batch B equal
to 1 worker × batch 2B, and a dead worker stopping the run with a clear error."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

ms = pytest.importorskip("mindspore")

from cgmolct.data.iterator import IndexIterator  # noqa: E402
from cgmolct.errors import TrainingError  # noqa: E402
from cgmolct.train.distributed import run_cluster, shard  # noqa: E402

from .test_trainer import make_trainer, weights  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def test_sharded_epoch_covers_every_frame_once():
    order = IndexIterator(50, 4 * 3, seed=7, drop_last=True)
    for _ in range(2):  # two epochs
        seen = []
        for global_batch in order:
            parts = [shard(global_batch, r, 3) for r in range(3)]
            assert all(len(p) == 4 for p in parts)
            seen += [int(i) for p in parts for i in p]
        assert len(seen) == len(set(seen)) == 48  # 50 // 12 batches of 12, no frame twice


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory):
    out = tmp_path_factory.mktemp("cluster")
    cwd = os.getcwd()
    os.chdir(ROOT)  # the workers import tests.train.* as modules
    try:
        run_cluster([sys.executable, "-m", "tests.train.cluster_toy", str(out), "4"], 2,
                    out / "logs", threads=1)
    finally:
        os.chdir(cwd)
    return out


def test_two_workers_end_with_the_same_weights(two_workers):
    a, b = np.load(two_workers / "rank_0.npz"), np.load(two_workers / "rank_1.npz")
    assert set(a.files) == set(b.files)
    for name in a.files:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    info = json.loads((two_workers / "rank_1.json").read_text())
    assert info["world"] == [1, 2] and info["summary"]["workers"] == 2
    # only rank 0 writes the run's files
    assert (two_workers / "last.npz").exists() and (two_workers / "summary.json").exists()


def test_two_workers_batch_b_match_one_worker_batch_2b(two_workers, tmp_path):
    single = make_trainer(tmp_path / "one", batch_size=8, max_epochs=2, schedule="constant")
    single.fit()
    cluster = json.loads((two_workers / "rank_0.json").read_text())
    one = [h["train_loss"] for h in single.state.history]
    two = [h["train_loss"] for h in cluster["history"]]
    np.testing.assert_allclose(two, one, rtol=1e-4)
    np.testing.assert_allclose([h["valid_forces_mae"] for h in cluster["history"]],
                               [h["valid_forces_mae"] for h in single.state.history], rtol=1e-4)
    ref = weights(single)
    got = np.load(two_workers / "rank_0.npz")
    for name, value in ref.items():
        np.testing.assert_allclose(got[name], value, rtol=1e-3, atol=1e-5, err_msg=name)


def test_a_dead_worker_stops_the_run_with_a_clear_error(tmp_path):
    script = tmp_path / "dies.py"
    script.write_text(
        "import os, sys, time\n"
        "from cgmolct.train import distributed\n"
        "rank, size = distributed.init_worker()\n"
        "if rank == 1:\n    os._exit(3)\n"
        "time.sleep(300)\n")
    import time

    t0 = time.time()
    with pytest.raises(TrainingError, match=r"worker 1 stopped \(exit code 3\)"):
        run_cluster([sys.executable, str(script)], 2, tmp_path / "logs", threads=1)
    assert time.time() - t0 < 60
