"""Frozen priors files of every on-disk format version keep loading with the same energies."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

ms = pytest.importorskip("mindspore")

from cgmolct.analysis.geometry import bond_angles, bond_lengths, dihedral_angles  # noqa: E402
from cgmolct.priors import load_priors  # noqa: E402

from .helpers import alanine_like  # noqa: E402

DATA = Path(__file__).with_name("data")


def test_version_1_loads_with_its_energies():
    priors = load_priors(DATA / "priors_v1")
    assert priors.term_names == ["bonds", "angles", "dihedrals", "repulsion"]
    assert priors.n_beads == 5 and priors.temperature == 300.0
    pos, *_ = alanine_like(8, seed=2)
    r = bond_lengths(pos, [[0, 1], [1, 2], [2, 3], [3, 4]])
    th = bond_angles(pos, [[0, 1, 2], [1, 2, 3], [2, 3, 4]])
    phi = dihedral_angles(pos, [[0, 1, 2, 3], [1, 2, 3, 4]])[..., None] * np.arange(1, 4)
    k_cos = np.array([[0.5, 0.5, 0.3], [-0.3, -1.0, 0.0]])
    k_sin = np.array([[1.5, -0.25, 0.0], [-0.25, 0.6, 0.0]])
    expected = ((0.5 * np.array([300.0, 250, 280, 320]) * (r - [1.34, 1.46, 1.53, 1.33]) ** 2).sum(1)
                + (0.5 * np.array([60.0, 50, 55]) * (th - [2.13, 1.94, 2.03]) ** 2).sum(1)
                + (k_cos * np.cos(phi) + k_sin * np.sin(phi)).sum((1, 2))
                + 0.5961612 * (2.9 / bond_lengths(pos, [[0, 4]])[:, 0]) ** 6)
    energy = priors(ms.Tensor(pos.astype(np.float32))).asnumpy()
    assert np.allclose(energy, expected, rtol=1e-4, atol=1e-3)
