"""Chemical bonds of an atom selection: from the file (with mol2 bond orders) or guessed.

Bonds come from the topology (PSF, TPR, PRMTOP, mol2, PDB CONECT) where it has them; atoms
without any bond in the file get bonds guessed from elements and distances
(:func:`topologies.bonds.guess_bonds`), so a PDB whose CONECT records only cover the ligand
still gets protein bonds.  Types: mol2 orders ``1``/``2``/``3``/``ar`` (``am`` amide is
single) map to :data:`topologies.relations.BOND_TYPES`; other bonds are ``unknown``.
"""
from __future__ import annotations

from typing import List, Tuple

import numpy as np

from .bonds import guess_bonds
from .relations import BOND_TYPES

__all__ = ["chemical_bonds", "ORDER_TYPES"]

ORDER_TYPES = {"1": BOND_TYPES["single"], "2": BOND_TYPES["double"], "3": BOND_TYPES["triple"],
               "ar": BOND_TYPES["aromatic"], "am": BOND_TYPES["single"], "1.0": BOND_TYPES["single"],
               "2.0": BOND_TYPES["double"], "3.0": BOND_TYPES["triple"], "1.5": BOND_TYPES["aromatic"]}


def chemical_bonds(universe, atom_index: np.ndarray, elements: np.ndarray,
                   positions0: np.ndarray) -> Tuple[np.ndarray, np.ndarray, List[str]]:
    """Bonds between the rows of a selection.

    Parameters
    ----------
    universe : MDAnalysis Universe
    atom_index : (n,) int
        Universe atom index of each row.
    elements : (n,) int
        Atomic numbers of the rows (0 unknown).
    positions0 : (n, 3) float, Å
        Frame-0 positions (for guessing).

    Returns
    -------
    pairs (n_bonds, 2) int64 rows with i < j, types (n_bonds,) int64, notes (list of str).
    """
    n = len(atom_index)
    row_of = np.full(universe.atoms.n_atoms, -1, dtype=np.int64)
    row_of[atom_index] = np.arange(n)
    pairs = np.zeros((0, 2), dtype=np.int64)
    types = np.zeros(0, dtype=np.int64)
    notes: List[str] = []
    try:
        bonds = universe.bonds
        idx = np.asarray(bonds.indices, dtype=np.int64).reshape(-1, 2)
    except Exception:  # NoDataError: the topology has no bonds
        bonds, idx = None, np.zeros((0, 2), dtype=np.int64)
    if len(idx):
        rows = row_of[idx]
        keep = (rows >= 0).all(axis=1)
        pairs = rows[keep]
        orders = None
        try:  # bond orders exist for mol2 (and a few other formats)
            raw = universe._topology.bonds.order
            if any(o is not None for o in raw):
                orders = np.array([b.order for b in bonds], dtype=object)
        except Exception:
            orders = None
        if orders is not None and len(orders) == len(idx) and any(o is not None for o in orders):
            types = np.array([ORDER_TYPES.get(str(o).strip().lower(), BOND_TYPES["unknown"])
                              for o in orders[keep]], dtype=np.int64)
        else:
            types = np.full(len(pairs), BOND_TYPES["unknown"], dtype=np.int64)
    bonded = np.zeros(n, dtype=bool)
    bonded[pairs.reshape(-1)] = True
    lonely = np.flatnonzero(~bonded & (elements > 0))
    if len(lonely) > 1 or (len(lonely) and len(pairs)):
        guessed = guess_bonds(elements, positions0)  # unknown elements get no guessed bond
        if len(guessed):
            touch = ~bonded[guessed[:, 0]] | ~bonded[guessed[:, 1]]
            guessed = guessed[touch]
            pairs = np.concatenate([pairs, guessed])
            types = np.concatenate([types, np.full(len(guessed), BOND_TYPES["unknown"], dtype=np.int64)])
            if len(guessed) and len(idx):
                notes.append(f"{len(guessed)} bonds guessed from distances for {len(lonely)} atoms "
                             "without bonds in the file")
    if len(pairs):
        pairs = np.sort(pairs, axis=1)
        order = np.lexsort((pairs[:, 1], pairs[:, 0]))
        pairs, types = pairs[order], types[order]
        first = np.ones(len(pairs), dtype=bool)
        first[1:] = np.any(pairs[1:] != pairs[:-1], axis=1)
        pairs, types = pairs[first], types[first]
    return pairs, types, notes
