"""Training entry, engine ``step`` (the shipped model's): a one-epoch real run."""
from __future__ import annotations

import pytest

pytest.importorskip("mindspore")

from .test_train import run_and_check  # noqa: E402


def test_short_run_with_the_compiled_step(tmp_path, proteins):
    run_and_check(tmp_path, proteins, "step", 2)
    assert not (tmp_path / "model.training").exists()
