"""The base of every prior cell and the MindSpore geometry the priors share.

A prior is a MindSpore cell ``prior(positions) -> energy`` with positions (B, N, 3) in Å and
energy (B,) in kcal/mol.  Its bead indices and parameters are constants of the cell (plain
tensors, not trainable parameters): priors are fitted once from reference statistics and
are never trained.  The numpy copies (``indices``, ``params``) are what is saved.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import mindspore as ms
from mindspore import nn, ops

from ..analysis.geometry import as_frames, check_indices
from ..errors import InputError

__all__ = ["Prior", "positions_of", "pair_distances", "bond_angles", "dihedrals"]

#: Smallest squared distance (Å²) fed to sqrt, so that gradients stay finite.
_MIN_D2 = 1e-12
#: cos θ is clipped to ±(1 − _COS_EPS) before acos (dacos/dx is infinite at ±1).
_COS_EPS = 1e-6


def positions_of(data) -> np.ndarray:
    """(F, N, 3) positions (Å) of a CGGraph or of an array."""
    pos = getattr(data, "positions", data)
    return as_frames(pos, "positions" if pos is data else "graph positions")


def _take(positions, index):
    """positions (B, N, 3), index (T,) int32 → (B, T, 3)."""
    return ops.gather(positions, index, 1)


def pair_distances(positions, i, j):
    """|x_j − x_i| (B, T) in Å."""
    d = _take(positions, j) - _take(positions, i)
    return ops.sqrt(ops.maximum((d * d).sum(-1), _MIN_D2))


def bond_angles(positions, i, j, k):
    """θ_ijk = acos(u·v / |u||v|), u = x_i − x_j, v = x_k − x_j: (B, T) in rad."""
    xj = _take(positions, j)
    u = _take(positions, i) - xj
    v = _take(positions, k) - xj
    uu = ops.maximum((u * u).sum(-1), _MIN_D2)
    vv = ops.maximum((v * v).sum(-1), _MIN_D2)
    cos = (u * v).sum(-1) / ops.sqrt(uu * vv)
    return ops.acos(ops.clamp(cos, -1.0 + _COS_EPS, 1.0 - _COS_EPS))


def dihedrals(positions, a, b, c, d):
    """Signed IUPAC dihedral φ = atan2(|b2| b1·n2, n1·n2) (B, T) in rad (see analysis.geometry)."""
    xa, xb, xc, xd = (_take(positions, x) for x in (a, b, c, d))
    b1, b2, b3 = xb - xa, xc - xb, xd - xc
    n1 = ops.cross(b1, b2, dim=-1)
    n2 = ops.cross(b2, b3, dim=-1)
    b2n = ops.sqrt(ops.maximum((b2 * b2).sum(-1), _MIN_D2))
    y = b2n * (b1 * n2).sum(-1)
    x = (n1 * n2).sum(-1)
    return ops.atan2(y, x)


class Prior(nn.Cell):
    """A fitted prior energy term over index tuples of beads (subclasses define the math).

    Parameters
    ----------
    indices : (T, WIDTH) int
        Bead indices of each term.
    name : str, optional
        Label of the term in tables and files (default: :attr:`KIND` in lower case).
    **params : (T, ...) float arrays
        The parameters named in :attr:`PARAMS` (units in the subclass docstring).
    """

    #: Class name as written in ``priors.json``.
    KIND = "Prior"
    #: Number of beads per term.
    WIDTH = 2
    #: Names of the per-term parameter arrays.
    PARAMS: Sequence[str] = ()
    #: Units of each parameter (for tables and files).
    UNITS: Dict[str, str] = {}

    def __init__(self, indices, name: Optional[str] = None, **params):
        super().__init__()
        self.indices = check_indices(indices, self.WIDTH, np.iinfo(np.int32).max, f"{self.KIND} indices")
        if len(self.indices) == 0:
            raise InputError(f"{self.KIND}: no terms (indices is empty)")
        self.term_name = str(name or self.KIND.lower())
        missing = [p for p in self.PARAMS if p not in params]
        extra = [p for p in params if p not in self.PARAMS]
        if missing or extra:
            raise InputError(f"{self.KIND}: parameters {list(self.PARAMS)} expected; missing {missing}, "
                             f"unknown {extra}")
        self.params: Dict[str, np.ndarray] = {}
        for key in self.PARAMS:
            arr = np.asarray(params[key], dtype=np.float32)
            if arr.ndim == 0:
                arr = np.full(len(self.indices), arr, dtype=np.float32)
            if arr.shape[0] != len(self.indices):
                raise InputError(f"{self.KIND}: {key} has shape {arr.shape}; expected first axis "
                                 f"{len(self.indices)} (one per term)")
            if not np.all(np.isfinite(arr)):
                raise InputError(f"{self.KIND}: {key} holds NaN or inf")
            self.params[key] = arr
        self._check()
        # constants of the compiled graph: one int32 index vector per column
        self._cols = [ms.Tensor(self.indices[:, c].astype(np.int32)) for c in range(self.WIDTH)]

    def _check(self) -> None:
        """Extra parameter checks of a subclass."""

    def _tensor(self, key: str):
        return ms.Tensor(self.params[key])

    @property
    def n_terms(self) -> int:
        """Number of index tuples."""
        return int(len(self.indices))

    @property
    def max_index(self) -> int:
        """Largest bead index used (the system needs more beads than this)."""
        return int(self.indices.max())

    # ------------------------------------------------------------------ fitting
    @classmethod
    def from_statistics(cls, data, indices, temperature: float, **options) -> "Prior":
        """Fit the parameters by Boltzmann inversion of ``data`` (CGGraph or (F, N, 3) Å) at T (K)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ files and tables
    def to_dict(self) -> Dict[str, Any]:
        """JSON-able record: kind, name, indices and parameters (float32 values written exactly)."""
        return {"kind": self.KIND, "name": self.term_name, "indices": self.indices.tolist(),
                "params": {k: v.astype(np.float64).tolist() for k, v in self.params.items()},
                "units": dict(self.UNITS), **self._extra_dict()}

    def _extra_dict(self) -> Dict[str, Any]:
        return {}

    @classmethod
    def from_dict(cls, record: Dict[str, Any]) -> "Prior":
        """Rebuild a prior written by :meth:`to_dict`."""
        params = {k: np.asarray(v, dtype=np.float32) for k, v in record["params"].items()}
        extra = {k: record[k] for k in cls._extra_keys() if k in record}
        return cls(np.asarray(record["indices"], dtype=np.int64).reshape(-1, cls.WIDTH),
                   name=record.get("name"), **extra, **params)

    @classmethod
    def _extra_keys(cls) -> List[str]:
        return []

    def rows(self, bead_labels: Optional[Sequence[str]] = None) -> List[Dict[str, Any]]:
        """One dict per term (beads, parameters) for tables."""
        out = []
        for t, idx in enumerate(self.indices.tolist()):
            beads = "-".join(bead_labels[i] if bead_labels is not None else str(i) for i in idx)
            row = {"term": self.term_name, "beads": beads, "indices": idx}
            for k, v in self.params.items():
                row[k] = v[t].tolist() if v.ndim > 1 else float(v[t])
            out.append(row)
        return out

    def extend_repr(self) -> str:
        return f"{self.term_name}: {self.n_terms} terms"
