"""Base class of the representation models: config, input checks, shared embedding.

Every representation model takes the batch arrays positionally in the order of
:data:`cgmolct.data.keys.MODEL_INPUTS` and returns node features ``(B, N, F)``.
"""
from __future__ import annotations

from typing import Any, Dict, Sequence

import numpy as np
from mindspore import Tensor, nn

from ..data import keys
from ..errors import ModelError

__all__ = ["RepresentationModel", "check_model_inputs", "as_model_inputs"]

_INT_KEYS = {keys.TYPES, keys.NEIGHBOURS, keys.REL_NEIGHBOURS, keys.REL_CODES}
_BOOL_KEYS = {keys.ATOM_MASK, keys.NEIGHBOUR_MASK, keys.REL_MASK}


def _shape(x) -> tuple:
    return tuple(int(s) for s in x.shape)


def check_model_inputs(inputs: Sequence[Any], *, check_values: bool = False,
                       vocabulary_size: int | None = None,
                       n_relation_codes: int | None = None) -> None:
    """Check the eight model inputs against the batch contract; raise :class:`ModelError`.

    Parameters
    ----------
    inputs : sequence of 8 arrays/tensors in the order of ``keys.MODEL_INPUTS``.
    check_values : bool
        Also check index ranges (reads the data; use outside compiled code).
    vocabulary_size, n_relation_codes : int, optional
        Upper bounds of types and relation codes for ``check_values``.
    """
    names = keys.MODEL_INPUTS
    if len(inputs) != len(names):
        raise ModelError(f"a model takes {len(names)} inputs {names}; got {len(inputs)}")
    arr = dict(zip(names, inputs))
    t = _shape(arr[keys.TYPES])
    if len(t) != 2:
        raise ModelError(f"types has shape {t}; expected (batch, beads)")
    b, n = t
    expected = {keys.POSITIONS: (b, n, 3), keys.ATOM_MASK: (b, n)}
    for name, shp in expected.items():
        if _shape(arr[name]) != shp:
            raise ModelError(f"{name} has shape {_shape(arr[name])}; expected {shp} "
                             f"(batch, beads{', 3' if len(shp) == 3 else ''}) with beads = {n}")
    for idx, msk in ((keys.NEIGHBOURS, keys.NEIGHBOUR_MASK),
                     (keys.REL_NEIGHBOURS, keys.REL_MASK)):
        s = _shape(arr[idx])
        if len(s) != 3 or s[:2] != (b, n):
            raise ModelError(f"{idx} has shape {s}; expected ({b}, {n}, capacity)")
        if _shape(arr[msk]) != s:
            raise ModelError(f"{msk} has shape {_shape(arr[msk])}; expected {s} like {idx}")
    if _shape(arr[keys.REL_CODES]) != _shape(arr[keys.REL_NEIGHBOURS]):
        raise ModelError(f"rel_codes has shape {_shape(arr[keys.REL_CODES])}; expected "
                         f"{_shape(arr[keys.REL_NEIGHBOURS])} like rel_neighbours")
    for name in names:
        dt = str(arr[name].dtype).lower()
        if name in _INT_KEYS and "int" not in dt:
            raise ModelError(f"{name} has dtype {dt}; expected int32")
        if name in _BOOL_KEYS and "bool" not in dt:
            raise ModelError(f"{name} has dtype {dt}; expected bool")
        if name == keys.POSITIONS and "float" not in dt:
            raise ModelError(f"positions has dtype {dt}; expected float32 (Å)")
    if not check_values:
        return
    host = {k: (v.asnumpy() if isinstance(v, Tensor) else np.asarray(v)) for k, v in arr.items()}
    if not np.isfinite(host[keys.POSITIONS]).all():
        bad = np.argwhere(~np.isfinite(host[keys.POSITIONS]))[0]
        raise ModelError(f"positions has a non-finite value at index {tuple(int(x) for x in bad)}")
    if vocabulary_size is not None:
        ty = host[keys.TYPES]
        if ty.size and (ty.min() < 0 or ty.max() >= vocabulary_size):
            raise ModelError(f"types must lie in [0, {vocabulary_size}); got range "
                             f"[{ty.min()}, {ty.max()}]")
    if n_relation_codes is not None:
        rc = host[keys.REL_CODES]
        if rc.size and (rc.min() < 0 or rc.max() >= n_relation_codes):
            raise ModelError(f"rel_codes must lie in [0, {n_relation_codes}); got range "
                             f"[{rc.min()}, {rc.max()}]")
    for idx in (keys.NEIGHBOURS, keys.REL_NEIGHBOURS):
        v = host[idx]
        if v.size and (v.min() < 0 or v.max() >= n):
            raise ModelError(f"{idx} must index beads in [0, {n}); got range [{v.min()}, {v.max()}]")


_DTYPES = {keys.TYPES: np.int32, keys.POSITIONS: np.float32, keys.ATOM_MASK: np.bool_,
           keys.NEIGHBOURS: np.int32, keys.NEIGHBOUR_MASK: np.bool_,
           keys.REL_NEIGHBOURS: np.int32, keys.REL_CODES: np.int32, keys.REL_MASK: np.bool_}


def as_model_inputs(batch) -> tuple:
    """The eight model inputs as MindSpore tensors, from a batch dict or a sequence.

    numpy arrays are cast to the contract dtypes (int32, float32, bool); tensors pass as is.
    """
    if isinstance(batch, dict):
        missing = [k for k in keys.MODEL_INPUTS if k not in batch]
        if missing:
            raise ModelError(f"batch lacks the model inputs {missing}")
        batch = [batch[k] for k in keys.MODEL_INPUTS]
    out = []
    for name, x in zip(keys.MODEL_INPUTS, batch):
        if isinstance(x, Tensor):
            out.append(x)
        else:
            out.append(Tensor(np.ascontiguousarray(np.asarray(x).astype(_DTYPES[name]))))
    return tuple(out)


class RepresentationModel(nn.Cell):
    """Base of MolCT, SchNet and PhysNet.

    Subclasses set ``self._config`` (constructor arguments, JSON-able), ``self.dim``
    (output feature size F), ``self.r_cut`` (Å), ``self.vocabulary_size`` and
    ``self.n_relation_codes``, and implement ``construct(*MODEL_INPUTS) → (B, N, F)`` as
    ``interact(embed(types, atom_mask, rel_neighbours, rel_codes, rel_mask), positions,
    atom_mask, neighbours, neighbour_mask)``: ``embed`` holds everything that does not depend on
    the positions (type embedding, MolCT's RME), so a simulation computes it once per run
    instead of once per step.

    Calling a model with numpy arrays converts them; shapes and dtypes are checked before
    the call (in Python, outside compiled graphs) and a :class:`ModelError` names the array.
    """

    #: True when ``set_output_details(True)`` makes construct also return attention weights
    #: and ponder steps.
    supports_details = False

    def __init__(self):
        super().__init__()
        self._config: Dict[str, Any] = {}
        self.output_details = False

    def get_config(self) -> Dict[str, Any]:
        """Constructor arguments (JSON-serialisable), enough to rebuild the model."""
        return dict(self._config)

    def set_output_details(self, flag: bool = True) -> "RepresentationModel":
        """Make construct return (features, attention, ponder_steps, remainders)."""
        if flag and not self.supports_details:
            raise ModelError(f"{type(self).__name__} has no attention weights or ponder steps")
        self.output_details = bool(flag)
        return self

    def __call__(self, *args, **kwargs):
        if len(args) == len(keys.MODEL_INPUTS) and not kwargs:
            check_model_inputs(args)
            args = as_model_inputs(args)
        return super().__call__(*args, **kwargs)

    def count_parameters(self) -> int:
        """Number of trainable scalars."""
        return int(sum(np.prod(p.shape) for p in self.trainable_params()))


def check_dims(name: str, **values: int) -> None:
    """Raise ModelError unless every value is a positive int."""
    for key, v in values.items():
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
            raise ModelError(f"{name}: {key} must be a positive integer, got {v!r}")




def check_readout_inputs(owner: str, named: Sequence[tuple]) -> None:
    """Check shapes of readout inputs: ``named`` = [(name, array, pattern)], where a pattern
    is a tuple of ints and letters; equal letters must be equal sizes.  Raises ModelError."""
    sizes: Dict[str, int] = {}
    for name, arr, pattern in named:
        shape = _shape(arr)
        if len(shape) != len(pattern):
            raise ModelError(f"{owner}: {name} has shape {shape}; expected {len(pattern)} axes "
                             f"({', '.join(str(p) for p in pattern)})")
        for size, want in zip(shape, pattern):
            if isinstance(want, int):
                if size != want:
                    raise ModelError(f"{owner}: {name} has shape {shape}; expected "
                                     f"({', '.join(str(p) for p in pattern)}) with {want} at that axis")
            elif sizes.setdefault(want, size) != size:
                raise ModelError(f"{owner}: {name} has shape {shape}; its axis {want} must be "
                                 f"{sizes[want]} like the other inputs")
