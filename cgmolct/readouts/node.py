"""Node readout: a per-bead MLP summed (or averaged) over the beads of each molecule.

.. math:: y_m = \\sum_{i \\in m} \\left( s \\odot \\mathrm{MLP}(n_i) + b + y^\\mathrm{ref}_{t_i} \\right)

with ``s`` the scale and ``b`` the shift per output (normalisation of the targets, e.g. the
standard deviation and mean per-bead energy in kcal/mol) and ``y^ref_t`` a per-type
reference value (atomic reference energies).  Scale, shift and references are stored as
non-trainable parameters (saved with the weights) and in the config.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence, Union

import numpy as np
from mindspore import Parameter, Tensor, nn, ops

from topologies.vocabulary import VOCABULARY_SIZE

from ..errors import ModelError
from ..models.base import check_dims, check_readout_inputs
from ..models.registry import register
from ..nn.mlp import MLP

__all__ = ["NodeReadout"]

Number = Union[float, Sequence[float]]


def _per_output(name: str, value: Number, n_outputs: int) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64).reshape(-1)
    if arr.size == 1:
        arr = np.repeat(arr, n_outputs)
    if arr.shape != (n_outputs,) or not np.isfinite(arr).all():
        raise ModelError(f"NodeReadout: {name} must be a finite number or {n_outputs} numbers; got {value!r}")
    return arr.astype(np.float32)


@register
class NodeReadout(nn.Cell):
    """Per-bead MLP with scale, shift and per-type references; summed per molecule.

    Parameters
    ----------
    dim : int
        Input feature size F.
    n_outputs : int
        Outputs per bead (default 1, the energy).
    hidden : sequence of int
        Hidden layer sizes (default ``(dim // 2,)``).
    activation : str
        ``"ssp"`` (default), ``"swish"`` or ``"tanh"``.
    scale, shift : float or sequence
        Per-output scale and per-bead shift (default 1 and 0), target units.
    type_reference : dict, optional
        ``{type_id: value or [values]}`` reference per bead type (target units).
    aggregate : str
        ``"sum"`` (default, extensive: energies) or ``"mean"``.
    vocabulary_size : int
        Number of type ids (default 256).

    Inputs
    ------
    features (B, N, F), types (B, N) int32, atom_mask (B, N) bool.

    Returns
    -------
    (B, n_outputs) per molecule.  :meth:`per_node` gives (B, N, n_outputs).
    """

    def __init__(self, dim: int, n_outputs: int = 1, hidden: Optional[Sequence[int]] = None,
                 activation: str = "ssp", scale: Number = 1.0, shift: Number = 0.0,
                 type_reference: Optional[Dict] = None, aggregate: str = "sum",
                 vocabulary_size: int = VOCABULARY_SIZE):
        super().__init__()
        check_dims("NodeReadout", dim=dim, n_outputs=n_outputs, vocabulary_size=vocabulary_size)
        if aggregate not in ("sum", "mean"):
            raise ModelError(f"NodeReadout: aggregate must be 'sum' or 'mean', got {aggregate!r}")
        hidden = [max(dim // 2, 1)] if hidden is None else [int(h) for h in hidden]
        self.dim, self.n_outputs, self.aggregate = int(dim), int(n_outputs), aggregate
        self.vocabulary_size = int(vocabulary_size)
        self._static = dict(dim=dim, n_outputs=n_outputs, hidden=hidden, activation=activation,
                            aggregate=aggregate, vocabulary_size=vocabulary_size)
        self.mlp = MLP(dim, n_outputs, hidden=hidden, activation=activation)
        self.scale = Parameter(Tensor(_per_output("scale", scale, n_outputs)), name="scale",
                               requires_grad=False)
        self.shift = Parameter(Tensor(_per_output("shift", shift, n_outputs)), name="shift",
                               requires_grad=False)
        self.reference = Parameter(Tensor(self._reference_table(type_reference)),
                                   name="type_reference", requires_grad=False)

    def _reference_table(self, type_reference: Optional[Dict]) -> np.ndarray:
        table = np.zeros((self.vocabulary_size, self.n_outputs), np.float32)
        for key, value in (type_reference or {}).items():
            t = int(key)
            if not 0 <= t < self.vocabulary_size:
                raise ModelError(f"NodeReadout: type_reference has type id {t} outside "
                                 f"[0, {self.vocabulary_size})")
            table[t] = _per_output(f"type_reference[{t}]", value, self.n_outputs)
        return table

    def set_normalisation(self, scale: Optional[Number] = None, shift: Optional[Number] = None,
                          type_reference: Optional[Dict] = None) -> "NodeReadout":
        """Replace scale, shift and/or per-type references (target units); returns self."""
        if scale is not None:
            self.scale.set_data(Tensor(_per_output("scale", scale, self.n_outputs)))
        if shift is not None:
            self.shift.set_data(Tensor(_per_output("shift", shift, self.n_outputs)))
        if type_reference is not None:
            self.reference.set_data(Tensor(self._reference_table(type_reference)))
        return self

    def get_config(self) -> Dict:
        """Constructor arguments including the current normalisation."""
        table = self.reference.asnumpy()
        refs = {str(t): [float(v) for v in table[t]] for t in np.flatnonzero(np.abs(table).sum(1) > 0)}
        return dict(self._static, scale=[float(v) for v in self.scale.asnumpy()],
                    shift=[float(v) for v in self.shift.asnumpy()], type_reference=refs)

    def __call__(self, *args, **kwargs):
        if len(args) == 3 and not kwargs:
            check_readout_inputs("NodeReadout", [("features", args[0], ("B", "N", self.dim)),
                                                 ("types", args[1], ("B", "N")),
                                                 ("atom_mask", args[2], ("B", "N"))])
        return super().__call__(*args, **kwargs)

    def per_node(self, features, types, atom_mask):
        """Per-bead outputs (B, N, n_outputs) including scale, shift and references."""
        y = self.mlp(features) * self.scale + self.shift
        y = y + ops.gather(self.reference, types.reshape(-1), 0).reshape(y.shape)
        return y * ops.cast(atom_mask, y.dtype)[..., None]

    def construct(self, features, types, atom_mask):
        y = self.per_node(features, types, atom_mask).sum(1)
        if self.aggregate == "mean":
            count = ops.cast(atom_mask, y.dtype).sum(1, keepdims=True)
            y = y / ops.maximum(count, 1.0)
        return y
