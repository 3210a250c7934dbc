"""Backbone φ/ψ and user collective-variable dihedrals of frames (CG or all-atom).

Backbone dihedrals are found from bead (or atom) names within residues: for residue i with
beads N, CA, C,

    φ_i = dihedral(C_{i−1}, N_i, CA_i, C_i),   ψ_i = dihedral(N_i, CA_i, C_i, N_{i+1})

where i − 1 and i + 1 are the neighbouring residues of the same chain.  This covers the
5-bead ``backbone`` map of alanine dipeptide (C of ACE, N, CA, C of ALA, N of NME: one φ and
one ψ), backbone maps of proteins, and all-atom graphs.  When the system lists bonds, a
C_{i−1}–N_i or C_i–N_{i+1} pair that is not bonded (a chain break) gives no dihedral.
Angles are in degrees in [−180°, 180°), IUPAC sign convention (see :mod:`.geometry`).
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..errors import InputError
from .base import AnalysisBase
from .geometry import as_frames, check_indices, dihedral_angles

__all__ = ["backbone_quadruplets", "Dihedrals", "BackboneDihedrals", "wrap_degrees"]

_CHUNK = 100_000


def wrap_degrees(angles) -> np.ndarray:
    """Angles mapped into [−180°, 180°)."""
    return np.mod(np.asarray(angles, dtype=np.float64) + 180.0, 360.0) - 180.0


def backbone_quadruplets(system) -> Dict[str, object]:
    """φ and ψ quadruplets from bead names of ``system`` (a CGGraph or anything with names).

    Parameters
    ----------
    system
        Has ``names``, ``residue_ids`` and optionally ``chain_ids``/``chain_index`` and
        ``bonds`` (per-bead arrays, as on :class:`topologies.CGGraph`).

    Returns
    -------
    dict
        ``residues``: list of labels ("ALA2") of residues with both φ and ψ; ``phi`` and
        ``psi``: (R, 4) int64 bead quadruplets, one row per listed residue.
    """
    names = np.asarray(system.names).astype(str)
    resids = np.asarray(system.residue_ids)
    n = len(names)
    chains = getattr(system, "chain_index", None)
    if chains is None:
        chains = getattr(system, "chain_ids", None)
    chains = np.zeros(n, dtype=np.int64) if chains is None else np.asarray(chains)
    resnames = getattr(system, "residue_names", None)
    resnames = np.full(n, "", dtype=str) if resnames is None else np.asarray(resnames).astype(str)
    bonds = getattr(system, "bonds", None)
    bonded = None
    if bonds is not None and len(bonds):
        bonded = {tuple(sorted(map(int, b))) for b in np.asarray(bonds).reshape(-1, 2)}
    residues: List[Tuple[object, object]] = []
    atoms: Dict[Tuple[object, object], Dict[str, int]] = {}
    for i in range(n):
        key = (chains[i].item() if hasattr(chains[i], "item") else chains[i], int(resids[i]))
        if key not in atoms:
            atoms[key] = {}
            residues.append(key)
        atoms[key].setdefault(str(names[i]).strip().upper(), i)
    labels, phi, psi = [], [], []
    for r, key in enumerate(residues):
        here = atoms[key]
        if not all(x in here for x in ("N", "CA", "C")):
            continue
        prev = residues[r - 1] if r > 0 and residues[r - 1][0] == key[0] else None
        nxt = residues[r + 1] if r + 1 < len(residues) and residues[r + 1][0] == key[0] else None
        if prev is None or nxt is None or "C" not in atoms[prev] or "N" not in atoms[nxt]:
            continue
        c_prev, n_next = atoms[prev]["C"], atoms[nxt]["N"]
        if bonded is not None and ((min(c_prev, here["N"]), max(c_prev, here["N"])) not in bonded
                                   or (min(here["C"], n_next), max(here["C"], n_next)) not in bonded):
            continue
        labels.append(f"{resnames[here['CA']]}{key[1]}")
        phi.append((c_prev, here["N"], here["CA"], here["C"]))
        psi.append((here["N"], here["CA"], here["C"], n_next))
    return {"residues": labels, "phi": np.array(phi, dtype=np.int64).reshape(-1, 4),
            "psi": np.array(psi, dtype=np.int64).reshape(-1, 4)}


def _positions(system):
    pos = getattr(system, "positions", system)
    return as_frames(pos)


class Dihedrals(AnalysisBase):
    """Signed dihedral angles of user-chosen quadruplets (collective variables).

    Parameters
    ----------
    system : CGGraph, or positions (F, N, 3) in Å
    quadruplets : (D, 4) int
        Bead indices (0-based) of each dihedral.
    names : sequence of str, optional
        Labels of the dihedrals (default ``cv0``, ``cv1``, ...).

    Results
    -------
    angles : (F, D) float64, degrees in [−180, 180)
    names : list of str
    """

    def __init__(self, system, quadruplets, names: Optional[Sequence[str]] = None):
        super().__init__()
        self._pos = _positions(system)
        self.quadruplets = check_indices(quadruplets, 4, self._pos.shape[1], "quadruplets")
        if len(self.quadruplets) == 0:
            raise InputError("Dihedrals: no quadruplets given")
        self.names = list(names) if names is not None else [f"cv{i}" for i in range(len(self.quadruplets))]
        if len(self.names) != len(self.quadruplets):
            raise InputError(f"Dihedrals: {len(self.names)} names for {len(self.quadruplets)} quadruplets")

    def _run(self, frames: slice) -> None:
        idx = np.arange(self._pos.shape[0])[frames]
        out = np.empty((len(idx), len(self.quadruplets)))
        for s in range(0, len(idx), _CHUNK):
            part = idx[s:s + _CHUNK]
            out[s:s + len(part)] = dihedral_angles(np.asarray(self._pos[part]), self.quadruplets,
                                                   degrees=True)
        self.results.angles = wrap_degrees(out)
        self.results.names = list(self.names)


class BackboneDihedrals(Dihedrals):
    """Backbone φ/ψ of every residue that has both (see the module docstring).

    Parameters
    ----------
    system : CGGraph (or any object with positions, names, residue_ids, optional bonds)

    Results
    -------
    phi, psi : (F, R) float64, degrees in [−180, 180)
    residues : list of R residue labels
    angles : (F, 2R) [φ of each residue, then ψ]; names: ``phi:ALA2`` ...
    """

    def __init__(self, system):
        quads = backbone_quadruplets(system)
        if not quads["residues"]:
            raise InputError("no backbone φ/ψ found: need beads named N, CA, C in consecutive residues "
                             "(C of the previous and N of the next residue); give the dihedrals as "
                             "quadruplets instead (Dihedrals, or --cv in cgmolct fes)")
        self.residues = quads["residues"]
        names = [f"phi:{r}" for r in self.residues] + [f"psi:{r}" for r in self.residues]
        super().__init__(system, np.concatenate([quads["phi"], quads["psi"]]), names)

    def _run(self, frames: slice) -> None:
        super()._run(frames)
        r = len(self.residues)
        self.results.phi = self.results.angles[:, :r]
        self.results.psi = self.results.angles[:, r:]
        self.results.residues = list(self.residues)
