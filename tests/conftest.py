"""Shared fixtures: paths to ../shared/data and MDAnalysisTests files.

Tests that need ``../shared/data`` skip outside CI with a visible reason and *fail* under
``CI=true`` (the CI machine always has the folder).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from cgmolct.data.shared import shared_data_dir

os.environ.setdefault("GLOG_v", "3")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = shared_data_dir()


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_shared(relative: str) -> Path:
    """Path of a file under ../shared/data; skip (or fail under CI=true) when missing."""
    path = SHARED_DATA / relative
    if not path.exists():
        message = f"shared data file {path} is missing (needs ../shared/data beside the checkout)"
        if _in_ci():
            pytest.fail(message + "; under CI=true this is a failure, not a skip")
        pytest.skip(message)
    return path


@pytest.fixture
def md17_paths():
    return {split: require_shared(f"md17_ethanol/ethanol_kcal_A_{split}.npz")
            for split in ("train_1024", "valid_128", "test_1024")}


@pytest.fixture
def qm9_paths():
    return {split: require_shared(f"qm9/qm9_origin_{split}.npz")
            for split in ("trainset_1024", "validset_128", "testset_1024")}
