"""Shared pieces of the residue mappings: the :class:`Bead` record and the residue view.

A mapping function receives one :class:`Residue` and returns a :class:`ResidueBeads`:
its beads (member atom rows, representative atom, rule, type, name), the intra-residue
bonds, and which bead links to the previous / next residue of the chain.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

from ..residues import ResidueInfo, normalise_atom_name

__all__ = ["Bead", "Residue", "ResidueBeads", "weights_for"]


@dataclass
class Bead:
    """One bead: its member atom rows and how its position and force are made.

    ``rule``: ``slice`` (position and force of ``rep`` only), ``com`` (mass-weighted position,
    summed force), ``centroid`` (mean of heavy members, summed force) or ``identity``.
    """
    members: List[int]
    rule: str
    type: int
    name: str
    rep: Optional[int] = None


@dataclass
class Residue:
    """A residue of the selection: atom rows and a name → row lookup."""
    key: int
    rows: np.ndarray
    resname: str
    resid: int
    icode: str
    chain: str
    info: ResidueInfo
    label: str
    by_name: Dict[str, int] = field(default_factory=dict)
    hydrogens: np.ndarray = None      # bool per row in ``rows``
    parent: np.ndarray = None          # heavy-atom row of each row's hydrogen (-1 otherwise)

    def row(self, *names: str) -> Optional[int]:
        """Row of the first atom name present (names normalised, ``*`` → ``'``)."""
        for n in names:
            r = self.by_name.get(normalise_atom_name(n))
            if r is not None:
                return r
        return None

    def group(self, assign) -> Dict[object, List[int]]:
        """Group rows: heavy atoms by ``assign(normalised name) -> key or None``, hydrogens
        with their heavy atom."""
        groups: Dict[object, List[int]] = {}
        heavy_key: Dict[int, object] = {}
        names = {r: n for n, r in self.by_name.items()}
        for k, r in enumerate(self.rows):
            if not self.hydrogens[k]:
                g = assign(names.get(int(r), ""))
                heavy_key[int(r)] = g
                if g is not None:
                    groups.setdefault(g, []).append(int(r))
        for k, r in enumerate(self.rows):
            if self.hydrogens[k]:
                g = heavy_key.get(int(self.parent[k]))
                if g is not None:
                    groups.setdefault(g, []).append(int(r))
        return groups


@dataclass
class ResidueBeads:
    """Beads of one residue, their bonds (local indices, bond type) and chain links."""
    beads: List[Bead]
    bonds: List[Tuple[int, int, int]] = field(default_factory=list)
    head: Optional[int] = None   # bead bonded to the previous residue
    tail: Optional[int] = None   # bead bonded to the next residue
    notes: List[str] = field(default_factory=list)  # recoverable problems (become warnings)


def weights_for(bead: Bead, masses: np.ndarray, hydrogen: np.ndarray):
    """(members, position weights, force weights) of a bead following its rule."""
    m = np.asarray(bead.members, dtype=np.int64)
    if bead.rule in ("slice", "identity"):
        pw = (m == bead.rep).astype(np.float64)
        return m, pw, pw.copy()
    fw = np.ones(len(m))
    if bead.rule == "com":
        pw = masses[m].astype(np.float64)
        if pw.sum() <= 0:
            pw = np.ones(len(m))
        return m, pw, fw
    if bead.rule == "centroid":
        pw = (~hydrogen[m]).astype(np.float64)
        if pw.sum() <= 0:
            pw = np.ones(len(m))
        return m, pw, fw
    raise ValueError(bead.rule)
