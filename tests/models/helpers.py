"""Small padded batches built by hand (dense neighbour lists: every other bead)."""
from __future__ import annotations

import numpy as np

from cgmolct.data import keys
from topologies.relations import BOND_CODE_OFFSET, BOND_TYPES, SEQUENCE_CODE_ZERO


def molecule_arrays(types, positions, bonds=()):
    """One molecule: dense neighbours, relational neighbours = bonded pairs (single bonds)."""
    types = np.asarray(types, np.int32)
    n = len(types)
    nb = np.array([[j for j in range(n) if j != i] for i in range(n)], np.int32).reshape(n, n - 1)
    rel = {i: [] for i in range(n)}
    for a, b in bonds:
        rel[a].append(b)
        rel[b].append(a)
    return dict(types=types, positions=np.asarray(positions, np.float32), neighbours=nb, rel=rel)


def make_batch(molecules, n_cap=None, k_cap=None, r_cap=4, bond_code=None):
    """Pad molecules (dicts from :func:`molecule_arrays`) to one batch dict."""
    bond_code = BOND_CODE_OFFSET + BOND_TYPES["single"] if bond_code is None else bond_code
    n_cap = n_cap or max(len(m["types"]) for m in molecules)
    k_cap = k_cap or max(1, n_cap - 1)
    b = len(molecules)
    out = {
        keys.TYPES: np.zeros((b, n_cap), np.int32),
        keys.POSITIONS: np.zeros((b, n_cap, 3), np.float32),
        keys.ATOM_MASK: np.zeros((b, n_cap), bool),
        keys.NEIGHBOURS: np.zeros((b, n_cap, k_cap), np.int32),
        keys.NEIGHBOUR_MASK: np.zeros((b, n_cap, k_cap), bool),
        keys.REL_NEIGHBOURS: np.zeros((b, n_cap, r_cap), np.int32),
        keys.REL_CODES: np.zeros((b, n_cap, r_cap), np.int32),
        keys.REL_MASK: np.zeros((b, n_cap, r_cap), bool),
    }
    for m, mol in enumerate(molecules):
        n = len(mol["types"])
        out[keys.TYPES][m, :n] = mol["types"]
        out[keys.POSITIONS][m, :n] = mol["positions"]
        out[keys.ATOM_MASK][m, :n] = True
        k = mol["neighbours"].shape[1]
        out[keys.NEIGHBOURS][m, :n, :k] = mol["neighbours"]
        out[keys.NEIGHBOUR_MASK][m, :n, :k] = True
        for i, js in mol["rel"].items():
            for r, j in enumerate(js[:r_cap]):
                out[keys.REL_NEIGHBOURS][m, i, r] = j
                out[keys.REL_CODES][m, i, r] = bond_code
                out[keys.REL_MASK][m, i, r] = True
    return out


def ethanol_like(seed=0, n=9):
    """A 9-bead molecule with C, O, H types, random compact geometry and a chain of bonds."""
    rng = np.random.default_rng(seed)
    types = np.array([6, 6, 8, 1, 1, 1, 1, 1, 1][:n] + [1] * max(0, n - 9))
    pos = rng.normal(size=(n, 3)) * 1.5
    bonds = [(i, i + 1) for i in range(n - 1)]
    return molecule_arrays(types, pos, bonds)


def inputs(batch):
    return [batch[k] for k in keys.MODEL_INPUTS]


def random_rotation(seed=0):
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


__all__ = ["molecule_arrays", "make_batch", "ethanol_like", "inputs", "random_rotation",
           "SEQUENCE_CODE_ZERO"]
