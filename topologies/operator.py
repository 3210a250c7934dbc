"""The mapping operator: atoms → beads for positions and forces (vectorised over frames).

A :class:`MappingOperator` stores, for every atom of the source system,

- ``atom_to_bead`` (n_atoms,) int64: the bead the atom belongs to, ``-1`` when it belongs
  to none (waters, ions, dropped residues, atoms a slice map ignores);
- ``position_weights`` (n_atoms,) float64: the bead position is
  ``R_I = sum_{i in I} w_i r_i`` with ``sum_i w_i = 1`` per bead;
- ``force_weights`` (n_atoms,) float64: the bead force is ``F_I = sum_{i in I} c_i f_i``.

Rules (``rules``, one per bead):

``slice``     one representative atom (CA, P, C4', ...): w = 1 and c = 1 on that atom,
              0 on the others (the force on that atom, as torchmd-cg does).
``com``       centre of mass of the bead's atoms: w_i = m_i / M; c_i = 1 (sum of forces,
              hydrogens included).
``centroid``  geometric centre: w_i = 1 / n; c_i = 1.
``identity``  one atom per bead (all-atom maps): w = c = 1.

Both maps are sparse (n_beads, n_atoms) CSR matrices, applied frame by frame (one sparse
product per frame, in float64, stored as float32).
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from .errors import MappingError

__all__ = ["MappingOperator", "RULES"]

#: The position/force rules a bead can use.
RULES = ("slice", "com", "centroid", "identity")


class MappingOperator:
    """Linear atoms → beads map for positions (weighted mean) and forces (weighted sum).

    Parameters
    ----------
    atom_to_bead : (n_atoms,) int
        Bead index of each atom, ``-1`` for atoms outside every bead.
    position_weights : (n_atoms,) float
        Weights of the atoms in their bead position; normalised per bead here.
    force_weights : (n_atoms,) float
        Coefficient of each atom's force in its bead force (1 or 0).
    rules : sequence of str, length n_beads
        Rule of each bead (see the module docstring); recorded, not re-applied.
    name : str
        Mapping name (``ca``, ``cacb``, ``backbone``, ``heavy``, ``all-atom``,
        ``nucleic-3``, ``nucleic-1``, ``atoms``, ``auto:...``).
    n_beads : int, optional
        Number of beads (default ``atom_to_bead.max() + 1``).
    normalise : bool
        Divide the position weights by their sum per bead (False when loading a saved map,
        whose weights are already normalised, so that the round trip is exact).
    """

    def __init__(self, atom_to_bead, position_weights, force_weights, rules: Sequence[str],
                 name: str, n_beads: Optional[int] = None, normalise: bool = True):
        a2b = np.asarray(atom_to_bead, dtype=np.int64).reshape(-1)
        n_atoms = len(a2b)
        pw = np.asarray(position_weights, dtype=np.float64).reshape(-1)
        fw = np.asarray(force_weights, dtype=np.float64).reshape(-1)
        for label, arr in (("position_weights", pw), ("force_weights", fw)):
            if arr.shape != (n_atoms,):
                raise MappingError(f"mapping {label} has shape {arr.shape}; expected ({n_atoms},), "
                                   "one weight per atom")
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise MappingError(f"mapping {label} must be finite and >= 0")
        if n_beads is None:
            n_beads = int(a2b.max()) + 1 if n_atoms and a2b.max() >= 0 else 0
        n_beads = int(n_beads)
        if n_atoms and (a2b.min() < -1 or a2b.max() >= n_beads):
            raise MappingError(f"atom_to_bead values must lie in [-1, {n_beads}); "
                               f"got [{a2b.min()}, {a2b.max()}]")
        rules = np.asarray(list(rules), dtype=str)
        if rules.shape != (n_beads,):
            raise MappingError(f"mapping rules has {len(rules)} entries; expected {n_beads}, one per bead")
        bad = sorted(set(rules.tolist()) - set(RULES))
        if bad:
            raise MappingError(f"unknown mapping rule(s) {bad}; known: {', '.join(RULES)}")
        member = a2b >= 0
        # normalise position weights per bead
        total = np.bincount(a2b[member], weights=pw[member], minlength=n_beads)
        empty = np.flatnonzero(total <= 0)
        if len(empty):
            raise MappingError(f"bead {int(empty[0])} has no atom with a positive position weight "
                               f"({len(empty)} such beads)")
        pw = pw.copy()
        if normalise:
            pw[member] = pw[member] / total[a2b[member]]
        pw[~member] = 0.0
        fw = np.where(member, fw, 0.0)
        self.atom_to_bead = a2b
        self.position_weights = pw
        self.force_weights = fw
        self.rules = rules
        self.name = str(name)
        self.n_atoms = n_atoms
        self.n_beads = n_beads
        self._pmat = None
        self._fmat = None

    @property
    def weights(self) -> np.ndarray:
        """Alias of :attr:`position_weights` (n_atoms,)."""
        return self.position_weights

    @property
    def rule(self) -> np.ndarray:
        """Alias of :attr:`rules`: the rule of each bead (n_beads,) str."""
        return self.rules

    # ------------------------------------------------------------------ matrices
    def _matrix(self, weights: np.ndarray):
        from scipy import sparse

        member = np.flatnonzero(self.atom_to_bead >= 0)
        keep = member[weights[member] != 0]
        return sparse.csr_matrix((weights[keep], (self.atom_to_bead[keep], keep)),
                                 shape=(self.n_beads, self.n_atoms))

    @property
    def position_matrix(self):
        """scipy.sparse CSR matrix (n_beads, n_atoms): bead positions = M @ atom positions."""
        if self._pmat is None:
            self._pmat = self._matrix(self.position_weights)
        return self._pmat

    @property
    def force_matrix(self):
        """scipy.sparse CSR matrix (n_beads, n_atoms): bead forces = M @ atom forces."""
        if self._fmat is None:
            self._fmat = self._matrix(self.force_weights)
        return self._fmat

    def _apply(self, matrix, x: np.ndarray, what: str) -> np.ndarray:
        arr = np.asarray(x)
        squeeze = arr.ndim == 2
        if squeeze:
            arr = arr[None]
        if arr.ndim != 3 or arr.shape[1] != self.n_atoms or arr.shape[2] != 3:
            raise MappingError(f"{what} has shape {np.shape(x)}; expected (n_frames, {self.n_atoms}, 3) "
                               f"or ({self.n_atoms}, 3)")
        out = np.empty((arr.shape[0], self.n_beads, 3), dtype=np.float32)
        for f in range(arr.shape[0]):  # one sparse product per frame: no (atoms x frames) copy
            out[f] = matrix @ np.asarray(arr[f], dtype=np.float64)
        return out[0] if squeeze else out

    def map_positions(self, positions: np.ndarray) -> np.ndarray:
        """Bead positions (n_frames, n_beads, 3) Å from atom positions (n_frames, n_atoms, 3) Å."""
        return self._apply(self.position_matrix, positions, "positions")

    def map_forces(self, forces: np.ndarray) -> np.ndarray:
        """Bead forces (n_frames, n_beads, 3) from atom forces (n_frames, n_atoms, 3), same unit."""
        return self._apply(self.force_matrix, forces, "forces")

    # ------------------------------------------------------------------ misc
    def __eq__(self, other) -> bool:
        if not isinstance(other, MappingOperator):
            return NotImplemented
        return (self.name == other.name and self.n_beads == other.n_beads
                and np.array_equal(self.atom_to_bead, other.atom_to_bead)
                and np.array_equal(self.position_weights, other.position_weights)
                and np.array_equal(self.force_weights, other.force_weights)
                and np.array_equal(self.rules, other.rules))

    def __repr__(self) -> str:
        return f"MappingOperator(name={self.name!r}, n_atoms={self.n_atoms}, n_beads={self.n_beads})"

    @classmethod
    def identity(cls, n_atoms: int, name: str = "all-atom") -> "MappingOperator":
        """The identity map of ``n_atoms`` atoms (every atom its own bead)."""
        return cls(np.arange(n_atoms), np.ones(n_atoms), np.ones(n_atoms), ["identity"] * n_atoms,
                   name, n_beads=n_atoms)
