"""Offline protein structures for training and testing contact models (MDAnalysisTests).

Training and model selection use ONLY the single-chain structures in ``data/dssp/*.pdb.gz``
(50 proteins of 79–173 residues after dropping ``1mr1D_failing`` — a copy of 1mr1D — and
``wrong_hydrogens``); the split is by protein, so no protein has frames or structures on
both sides.  Every other protein MDAnalysisTests ships is for testing only:
:data:`TEST_STRUCTURES`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import InputError

__all__ = ["mdanalysis_data", "dssp_files", "split_proteins", "TEST_STRUCTURES", "load_test_structure"]

_EXCLUDED = ("1mr1D_failing", "wrong_hydrogens")

#: Held-out proteins: name -> (topology, trajectory or None, MDAnalysis selection).
TEST_STRUCTURES: Dict[str, Tuple[str, Optional[str], str]] = {
    "adk-closed (1AKE)": ("adk_closed.pdb", None, "protein"),
    "adk-open (4AKE)": ("adk_open.pdb", None, "protein"),
    "cobrotoxin": ("cobrotoxin.pdb", None, "protein"),
    "villin-folded": ("contacts/villin_folded.gro.bz2", None, "protein"),
    "4E43 chain A": ("4E43.pdb", None, "protein and chainID A"),
    "1a28 chain A": ("1a28.pdb.gz", None, "protein and chainID A"),
    "1hvr chain A": ("1hvr.pdb", None, "protein and chainID A"),
    "1osm chain A": ("1osm.pdb.gz", None, "protein and chainID A"),
}


def mdanalysis_data() -> Path:
    """The ``data`` folder of the installed MDAnalysisTests package."""
    try:
        import MDAnalysisTests
    except ImportError:  # pragma: no cover - it is a dependency
        raise InputError("MDAnalysisTests is not installed (pip install MDAnalysisTests)") from None
    return Path(MDAnalysisTests.__file__).parent / "data"


def dssp_files() -> List[Path]:
    """The 50 training structures ``data/dssp/*.pdb.gz``, sorted by name."""
    files = sorted((mdanalysis_data() / "dssp").glob("*.pdb.gz"))
    files = [f for f in files if not any(f.name.startswith(x) for x in _EXCLUDED)]
    if not files:
        raise InputError(f"no data/dssp/*.pdb.gz under {mdanalysis_data()}")
    return files


def split_proteins(names: Sequence[str], n_valid: int, seed: int = 0) -> Tuple[List[str], List[str]]:
    """Split protein names into (train, valid) by protein with a seeded permutation."""
    names = list(names)
    if not 0 < int(n_valid) < len(names):
        raise InputError(f"n_valid must lie in (0, {len(names)}); got {n_valid}")
    order = np.random.default_rng(seed).permutation(len(names))
    valid = sorted(names[k] for k in order[:int(n_valid)])
    train = sorted(names[k] for k in order[int(n_valid):])
    return train, valid


def load_test_structure(name: str):
    """Read one held-out protein of :data:`TEST_STRUCTURES` as a ResidueStructure."""
    from .labels import read_structure

    if name not in TEST_STRUCTURES:
        raise InputError(f"unknown test protein {name!r}; known: {', '.join(TEST_STRUCTURES)}")
    top, traj, sel = TEST_STRUCTURES[name]
    base = mdanalysis_data()
    return read_structure(base / top, None if traj is None else base / traj, selection=sel)
