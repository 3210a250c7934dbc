"""Graphs for the simulator tests."""
from __future__ import annotations

import numpy as np
from topologies.graph import CGGraph


def chain_graph(n: int = 5, n_frames: int = 4, seed: int = 0, mass: float = 12.0) -> CGGraph:
    """A linear chain of n carbon beads 3.8 Å apart (bonded), with jittered frames."""
    rng = np.random.default_rng(seed)
    base = np.zeros((n, 3), np.float32)
    base[:, 0] = 3.8 * np.arange(n)
    pos = base[None] + rng.normal(0, 0.05, (n_frames, n, 3)).astype(np.float32)
    bonds = np.stack([np.arange(n - 1), np.arange(1, n)], 1)
    return CGGraph(np.full(n, 6, np.int32), pos, masses=np.full(n, mass), bonds=bonds,
                   residue_ids=np.arange(1, n + 1), residue_names=np.full(n, "ALA"),
                   chain_ids=np.full(n, "A"), chain_position=np.arange(n),
                   polymer=np.ones(n, bool))


def base_positions(graph: CGGraph) -> np.ndarray:
    return np.asarray(graph.positions[0], np.float32)
