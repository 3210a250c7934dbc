"""Small real inputs for the embedding tests (MDAnalysisTests alanine dipeptide and AdK)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest


@pytest.fixture(scope="session")
def ala2():
    """Alanine dipeptide, backbone CG map (5 beads), 11 frames of MDAnalysisTests TRJpbc."""
    from MDAnalysisTests import datafiles as mdt

    import topologies

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return topologies.build_graph(mdt.PRMpbc, mdt.TRJpbc_bz2, mapping="backbone")


@pytest.fixture(scope="session")
def ala2_long(ala2):
    """60 frames: the 11 real frames with small random displacements (0.05 Å)."""
    rng = np.random.default_rng(0)
    pos = np.concatenate([ala2.positions] * 6)[:60]
    g = ala2.select_frames(np.arange(60) % ala2.n_frames)
    g.positions = (pos + rng.normal(0, 0.05, pos.shape)).astype(np.float32)
    return g


def tiny(**kw):
    """Keyword arguments of a small, fast MolCTEmbedder."""
    base = dict(model_dim=8, n_heads=2, n_interactions=1, dim=4, n_states=3, epochs=1,
                batch_size=16, n_pairs=32, seed=0)
    base.update(kw)
    return base
