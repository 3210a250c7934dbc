"""Relation encoding: one integer code for any pair of beads (versioned).

The code of a pair (i, j) is decided in this order:

======  =====================================================================
code    relation
======  =====================================================================
0       none (also padding)
1       self (i == j)
2 – 8   bonded, ``BOND_CODE_OFFSET + bond_type`` (see :data:`BOND_TYPES`)
10 – 74 same polymer segment, signed sequence separation s = pos_j − pos_i
        clipped to [−32, 32]: code ``SEQUENCE_CODE_ZERO + s`` (s = 0: two beads of
        one residue; |s| in 6–11 short, 12–23 medium, ≥ 24 long range stay distinct)
75      polymer beads on different chains
76      same chain but across a chain break (different segments)
77      polymer – ligand (one polymer bead, one non-polymer bead)
78      same non-polymer molecule, not bonded
79      different non-polymer molecules
======  =====================================================================

Per-bead inputs (all length ``n_beads``):

- ``chain_index``: integer chain of each bead (same chain id → same index);
- ``segment_index``: integer unbroken segment; a chain break starts a new segment;
- ``chain_position``: residue position along the chain (0, 1, 2, ...), beads of one
  residue share it;
- ``polymer``: True for protein / nucleic beads, False for ligands, ions, small molecules;
- ``molecule_index``: integer molecule (for non-polymer beads; a residue of a ligand).
"""
from __future__ import annotations

from typing import Dict, Optional

import numpy as np

from .errors import TopologyError

__all__ = [
    "RELATION_VERSION",
    "N_RELATION_CODES",
    "BOND_TYPES",
    "BOND_TYPE_NAMES",
    "NONE",
    "SELF",
    "BOND_CODE_OFFSET",
    "SEQUENCE_CODE_ZERO",
    "MAX_SEPARATION",
    "OTHER_CHAIN",
    "CHAIN_BREAK",
    "POLYMER_LIGAND",
    "SAME_MOLECULE",
    "OTHER_MOLECULE",
    "relation_codes",
    "relation_name",
    "relational_pairs",
]

RELATION_VERSION = "1"

#: Bond types stored in ``CGGraph.bond_types``.
BOND_TYPES: Dict[str, int] = {
    "single": 1,
    "double": 2,
    "triple": 3,
    "aromatic": 4,
    "unknown": 5,      # chemical bond of unknown order (guessed from distances)
    "backbone": 6,     # CG bond along the chain (CA-CA, N-CA, P-S, S-P, ...)
    "intra": 7,        # CG bond inside one residue (CA-SC, S-base, ...)
}
BOND_TYPE_NAMES = {v: k for k, v in BOND_TYPES.items()}

NONE = 0
SELF = 1
BOND_CODE_OFFSET = 1
MAX_SEPARATION = 32
SEQUENCE_CODE_ZERO = 42          # code of separation 0; codes 10 .. 74
OTHER_CHAIN = 75
CHAIN_BREAK = 76
POLYMER_LIGAND = 77
SAME_MOLECULE = 78
OTHER_MOLECULE = 79
N_RELATION_CODES = 80


def relation_name(code: int) -> str:
    """Human-readable name of a relation code."""
    code = int(code)
    if code == NONE:
        return "none"
    if code == SELF:
        return "self"
    if BOND_CODE_OFFSET + 1 <= code <= BOND_CODE_OFFSET + len(BOND_TYPES):
        return f"bond:{BOND_TYPE_NAMES[code - BOND_CODE_OFFSET]}"
    if SEQUENCE_CODE_ZERO - MAX_SEPARATION <= code <= SEQUENCE_CODE_ZERO + MAX_SEPARATION:
        return f"sequence:{code - SEQUENCE_CODE_ZERO:+d}"
    names = {OTHER_CHAIN: "other-chain", CHAIN_BREAK: "chain-break",
             POLYMER_LIGAND: "polymer-ligand", SAME_MOLECULE: "same-molecule",
             OTHER_MOLECULE: "other-molecule"}
    if code in names:
        return names[code]
    raise TopologyError(f"relation code {code} is not defined in version {RELATION_VERSION}")


def _as_int(name: str, value, n: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.shape != (n,):
        raise TopologyError(f"{name} has shape {arr.shape}; expected ({n},), one value per bead")
    return arr.astype(np.int64)


def relation_codes(
    pairs: np.ndarray,
    *,
    n_beads: int,
    bonds: Optional[np.ndarray] = None,
    bond_types: Optional[np.ndarray] = None,
    chain_index: np.ndarray,
    segment_index: np.ndarray,
    chain_position: np.ndarray,
    polymer: np.ndarray,
    molecule_index: np.ndarray,
) -> np.ndarray:
    """Integer relation code for each pair (vectorised).

    Parameters
    ----------
    pairs : (P, 2) int array
        Bead index pairs (i, j), 0 <= i, j < n_beads.
    n_beads : int
    bonds : (B, 2) int array, optional
        Bonded pairs (either order).
    bond_types : (B,) int array, optional
        Values of :data:`BOND_TYPES`; default ``unknown`` for every bond.
    chain_index, segment_index, chain_position, polymer, molecule_index : (n_beads,) arrays
        Per-bead relation attributes (see the module docstring).

    Returns
    -------
    (P,) int32 array of codes in ``[0, N_RELATION_CODES)``.
    """
    pairs = np.asarray(pairs)
    if pairs.size == 0:
        return np.zeros(0, dtype=np.int32)
    if pairs.ndim != 2 or pairs.shape[1] != 2:
        raise TopologyError(f"pairs has shape {pairs.shape}; expected (n_pairs, 2)")
    pairs = pairs.astype(np.int64)
    if pairs.min() < 0 or pairs.max() >= n_beads:
        raise TopologyError(
            f"pair indices must lie in [0, {n_beads}); got range [{pairs.min()}, {pairs.max()}]"
        )
    chain = _as_int("chain_index", chain_index, n_beads)
    seg = _as_int("segment_index", segment_index, n_beads)
    pos = _as_int("chain_position", chain_position, n_beads)
    mol = _as_int("molecule_index", molecule_index, n_beads)
    poly = np.asarray(polymer, dtype=bool)
    if poly.shape != (n_beads,):
        raise TopologyError(f"polymer has shape {poly.shape}; expected ({n_beads},)")

    i, j = pairs[:, 0], pairs[:, 1]
    codes = np.full(len(pairs), NONE, dtype=np.int32)

    # non-polymer relations
    both_lig = ~poly[i] & ~poly[j]
    codes[both_lig] = np.where(mol[i][both_lig] == mol[j][both_lig], SAME_MOLECULE, OTHER_MOLECULE)
    codes[poly[i] ^ poly[j]] = POLYMER_LIGAND
    # polymer relations
    both_poly = poly[i] & poly[j]
    same_chain = both_poly & (chain[i] == chain[j])
    codes[both_poly & ~same_chain] = OTHER_CHAIN
    codes[same_chain & (seg[i] != seg[j])] = CHAIN_BREAK
    same_seg = same_chain & (seg[i] == seg[j])
    sep = np.clip(pos[j] - pos[i], -MAX_SEPARATION, MAX_SEPARATION)
    codes[same_seg] = (SEQUENCE_CODE_ZERO + sep[same_seg]).astype(np.int32)

    # bonds override the above
    if bonds is not None and len(bonds):
        bonds = np.asarray(bonds, dtype=np.int64).reshape(-1, 2)
        btypes = (np.full(len(bonds), BOND_TYPES["unknown"]) if bond_types is None
                  else np.asarray(bond_types, dtype=np.int64))
        if btypes.shape != (len(bonds),):
            raise TopologyError(f"bond_types has shape {btypes.shape}; expected ({len(bonds)},)")
        key_b = np.concatenate([bonds[:, 0] * n_beads + bonds[:, 1], bonds[:, 1] * n_beads + bonds[:, 0]])
        val_b = np.concatenate([btypes, btypes])
        order = np.argsort(key_b, kind="stable")
        key_b, val_b = key_b[order], val_b[order]
        key_p = i * n_beads + j
        where = np.searchsorted(key_b, key_p)
        where = np.minimum(where, len(key_b) - 1)
        hit = key_b[where] == key_p
        codes[hit] = (BOND_CODE_OFFSET + val_b[where[hit]]).astype(np.int32)

    codes[i == j] = SELF
    return codes


def relational_pairs(
    *,
    n_beads: int,
    bonds: Optional[np.ndarray],
    segment_index: np.ndarray,
    chain_position: np.ndarray,
    polymer: np.ndarray,
    max_separation: int = 3,
) -> np.ndarray:
    """Pairs that the relational encoder (RME) attends over, both directions, no self pairs.

    These are the bonded pairs plus every pair of polymer beads in one segment whose
    sequence separation is at most ``max_separation`` (beads of one residue included).

    Returns
    -------
    (P, 2) int64 array, sorted by (i, j), without duplicates.
    """
    seg = np.asarray(segment_index, dtype=np.int64)
    pos = np.asarray(chain_position, dtype=np.int64)
    poly = np.asarray(polymer, dtype=bool)
    chunks = []
    if bonds is not None and len(bonds):
        b = np.asarray(bonds, dtype=np.int64).reshape(-1, 2)
        chunks += [b, b[:, ::-1]]
    idx = np.flatnonzero(poly)
    if len(idx) and max_separation >= 0:
        # beads are grouped by segment; within a segment, compare neighbours in order
        order = idx[np.lexsort((pos[idx], seg[idx]))]
        for shift in range(1, len(order)):
            a, b = order[:-shift], order[shift:]
            keep = (seg[a] == seg[b]) & (np.abs(pos[b] - pos[a]) <= max_separation)
            if not keep.any():
                break
            chunks += [np.stack([a[keep], b[keep]], 1), np.stack([b[keep], a[keep]], 1)]
    if not chunks:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(chunks)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    pairs = np.unique(pairs, axis=0)
    return pairs
