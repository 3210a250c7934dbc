"""Normalisation statistics of a target: scale, shift and per-type reference values.

A model's raw output o (per bead for ``mode="atomwise"``, per molecule for ``"graph"``)
becomes a physical value

    y = scale · Σ_i o_i + shift · n + Σ_i ref[type_i]      (atomwise, n real beads)
    y = scale · o       + shift     + Σ_i ref[type_i]      (graph)

so the network learns numbers of order one.  :func:`fit_normalisation` estimates the
references by least squares on the type counts (y ≈ C · ref, C the (M, T) matrix of bead
counts per type), then shift and scale from the residual (per bead in atomwise mode).
:class:`Normalisation` is a small JSON-serialisable dataclass that saved models carry.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Dict, Optional, Union

import numpy as np

from ..errors import DataError

__all__ = ["Normalisation", "fit_normalisation", "fit_type_references"]

_MODES = ("atomwise", "graph")


@dataclass
class Normalisation:
    """Scale, shift and per-type references of one target (see the module docstring).

    Attributes
    ----------
    target : str
        ``"energy"`` or a label name (``"U0"``).
    unit : str
        Physical unit of the target (``"kcal/mol"``).
    mode : {"atomwise", "graph"}
    scale, shift : float
        In ``unit`` (per bead in atomwise mode).
    type_ref : dict of int -> float
        Reference value per bead type in ``unit`` (empty: none).
    force_scale : float or None
        RMS force in kcal/mol/Å of the data (d_F of the unit-free loss), when known.
    """

    target: str = "energy"
    unit: str = "kcal/mol"
    mode: str = "atomwise"
    scale: float = 1.0
    shift: float = 0.0
    type_ref: Dict[int, float] = field(default_factory=dict)
    force_scale: Optional[float] = None

    def __post_init__(self):
        if self.mode not in _MODES:
            raise DataError(f"Normalisation mode must be one of {_MODES}, got {self.mode!r}")
        if not np.isfinite(self.scale) or self.scale == 0 or not np.isfinite(self.shift):
            raise DataError(f"Normalisation scale must be finite and non-zero and shift finite; "
                            f"got scale={self.scale!r}, shift={self.shift!r}")
        self.scale, self.shift = float(self.scale), float(self.shift)
        self.type_ref = {int(k): float(v) for k, v in dict(self.type_ref).items()}

    # ------------------------------------------------------------------ arrays
    def reference_table(self, size: int = 256) -> np.ndarray:
        """(size,) float64 table ``ref[type]`` (0 for types without a reference)."""
        table = np.zeros(size, np.float64)
        for t, v in self.type_ref.items():
            if not 0 <= t < size:
                raise DataError(f"type {t} of the reference table is outside [0, {size})")
            table[t] = v
        return table

    def offset(self, types: np.ndarray, mask: Optional[np.ndarray] = None) -> np.ndarray:
        """Shift + references of each molecule, (B,) float64 for types (B, N) (0 = padding)."""
        types = np.asarray(types)
        real = types > 0 if mask is None else np.asarray(mask, bool)
        ref = np.where(real, self.reference_table()[types], 0.0).sum(-1)
        n = real.sum(-1)
        return ref + (self.shift * n if self.mode == "atomwise" else self.shift)

    def normalise(self, y, types, mask=None) -> np.ndarray:
        """Physical targets (B,) → network units: (y − offset) / scale."""
        return (np.asarray(y, np.float64) - self.offset(types, mask)) / self.scale

    def denormalise(self, out, types, mask=None) -> np.ndarray:
        """Network sums (B,) → physical units: scale · out + offset."""
        return self.scale * np.asarray(out, np.float64) + self.offset(types, mask)

    # ------------------------------------------------------------------ JSON
    def to_dict(self) -> dict:
        """JSON-able dict (type keys as strings)."""
        d = asdict(self)
        d["type_ref"] = {str(k): v for k, v in sorted(self.type_ref.items())}
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Normalisation":
        """Inverse of :meth:`to_dict`; unknown or ill-typed keys are a :class:`DataError`."""
        if not isinstance(d, dict):
            raise DataError(f"Normalisation.from_dict needs a dict, got {type(d).__name__}")
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(d) - known)
        if unknown:
            raise DataError(f"Normalisation has no field(s) {unknown}; known: {sorted(known)}")
        try:
            kwargs = dict(d)
            if "type_ref" in kwargs:
                kwargs["type_ref"] = {int(k): float(v) for k, v in kwargs["type_ref"].items()}
            for key in ("scale", "shift"):
                if key in kwargs:
                    kwargs[key] = float(kwargs[key])
            if kwargs.get("force_scale") is not None:
                kwargs["force_scale"] = float(kwargs["force_scale"])
        except (TypeError, ValueError, AttributeError) as exc:
            raise DataError(f"Normalisation dict has a bad value ({exc})") from None
        return cls(**kwargs)


def fit_type_references(counts: np.ndarray, y: np.ndarray, *, rcond: Optional[float] = None
                        ) -> Dict[int, float]:
    """Per-type references by least squares, y ≈ counts · ref.

    Parameters
    ----------
    counts : (M, T) int
        Number of beads of type t in sample m.
    y : (M,) float
        Targets.

    Returns
    -------
    dict of type -> reference, for the types present.  With too few distinct
    compositions the minimum-norm solution is returned (e.g. one molecule: the value
    is spread over its types in proportion to their counts).
    """
    counts = np.asarray(counts, np.float64)
    y = np.asarray(y, np.float64).reshape(-1)
    if counts.ndim != 2 or counts.shape[0] != len(y):
        raise DataError(f"counts has shape {counts.shape}; expected ({len(y)}, n_types)")
    present = np.flatnonzero(counts.sum(0) > 0)
    sol, *_ = np.linalg.lstsq(counts[:, present], y, rcond=rcond)
    return {int(t): float(v) for t, v in zip(present, sol)}


def fit_normalisation(dataset, target: str = "energy", *, mode: Optional[str] = None,
                      type_ref: Union[bool, Dict[int, float]] = True,
                      unit: Optional[str] = None) -> Normalisation:
    """Statistics of ``target`` over a data set (use the training split only).

    Parameters
    ----------
    dataset : MolecularDataset
    target : str
        ``"energy"`` or a label name of ``dataset.label_names``.
    mode : {"atomwise", "graph"}, optional
        Default: the data set's ``label_modes`` entry for labels, ``"atomwise"`` for energy.
    type_ref : bool or dict
        True: fit references by least squares; False: none; a dict: use these.
    unit : str, optional
        Default: kcal/mol for energy, the data set's unit of the label.

    Returns
    -------
    Normalisation
        shift = mean residual (per bead in atomwise mode), scale = its standard deviation
        (1 when the residual is constant), force_scale = RMS force when forces exist.
    """
    targets = dataset.targets()
    if target == "energy":
        if "energy" not in targets:
            raise DataError("the data set has no energies to normalise")
        y = targets["energy"]
        mode = mode or "atomwise"
        unit = unit or "kcal/mol"
    else:
        names = dataset.label_names
        if target not in names:
            raise DataError(f"unknown target {target!r}; the data set has energy and labels {names}")
        col = names.index(target)
        y = targets["labels"][:, col]
        modes = dataset.metadata.get("label_modes") or []
        mode = mode or (modes[col] if col < len(modes) else "graph")
        units = dataset.label_units
        unit = unit or (units[col] if col < len(units) else "")
    if mode not in _MODES:
        raise DataError(f"mode must be one of {_MODES}, got {mode!r}")
    if len(y) == 0:
        raise DataError("cannot fit a normalisation on an empty data set")
    present, counts = dataset.type_counts()
    n = counts.sum(1).astype(np.float64)
    if type_ref is True:
        refs = {int(present[t]): v for t, v in fit_type_references(counts, y).items()}
    elif type_ref is False or type_ref is None:
        refs = {}
    else:
        refs = {int(k): float(v) for k, v in dict(type_ref).items()}
    table = np.array([refs.get(int(t), 0.0) for t in present])
    resid = y - counts @ table
    per = resid / n if mode == "atomwise" else resid
    shift = float(per.mean())
    scale = float(per.std())
    if not np.isfinite(scale) or scale < 1e-12 * max(1.0, abs(shift)):
        scale = 1.0
    force_scale = None
    if target == "energy" and dataset.has("forces"):
        force_scale = _rms_forces(dataset)
    return Normalisation(target=target, unit=unit, mode=mode, scale=scale, shift=shift,
                         type_ref=refs, force_scale=force_scale)


def _rms_forces(dataset) -> float:
    rows = dataset.bead_rows()
    if len(rows) == 0:
        return 0.0
    f = np.asarray(dataset.arrays["forces"])[rows].astype(np.float64)
    return float(np.sqrt((f ** 2).mean()))
