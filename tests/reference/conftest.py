"""A short real OpenMM run of the built-in alanine dipeptide, shared by the reference tests."""
from __future__ import annotations

import pytest

pytest.importorskip("openmm")

#: 2 ps at 1 fs, a frame every 100 fs, 5 frames per chunk (4 chunks), 50 fs equilibration.
SMALL = dict(n_steps=2000, save_every=100, chunk_frames=5, equilibration_steps=50, seed=3,
             platform="Reference")


@pytest.fixture(scope="session")
def small_run(tmp_path_factory):
    """(folder, all-atom graph) of a 2 ps Reference-platform run."""
    from cgmolct.reference import ReferenceSettings, run_reference

    folder = tmp_path_factory.mktemp("ref") / "run"
    graph = run_reference(folder, ReferenceSettings(**SMALL), progress=False)
    return folder, graph
