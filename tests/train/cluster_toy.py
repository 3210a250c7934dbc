"""A worker of the two-process cluster in ``test_distributed.py`` (run as a module)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def main() -> None:
    from cgmolct.train import distributed

    rank, size = distributed.init_worker()
    from tests.train.test_trainer import make_trainer, weights

    out, batch_size = Path(sys.argv[1]), int(sys.argv[2])
    trainer = make_trainer(out, batch_size=batch_size, max_epochs=2, schedule="constant")
    summary = trainer.fit()
    np.savez(out / f"rank_{rank}.npz", **weights(trainer))
    (out / f"rank_{rank}.json").write_text(json.dumps(
        {"summary": summary, "history": trainer.state.history, "world": [rank, size]}))


if __name__ == "__main__":
    main()
