"""Where the reference data sets live: ``../shared/data`` beside the checkout.

The folder holds the MD17 ethanol and QM9 subsets (see its README); it is not part of the
repository.  ``CGMOLCT_SHARED_DATA`` overrides the location.
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["shared_data_dir"]


def shared_data_dir() -> Path:
    """Path of the shared reference-data folder (it may not exist; callers check)."""
    default = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    return Path(os.environ.get("CGMOLCT_SHARED_DATA", default))
