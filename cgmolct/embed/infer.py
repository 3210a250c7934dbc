"""Embeddings of every frame of CG graphs with a compiled forward pass of an EmbeddingModel."""
from __future__ import annotations

from typing import Dict, Optional

import mindspore as ms
import numpy as np
from mindspore import nn

from ..errors import InputError
from .data import FrameData
from .fit import to_tensors
from .model import EMBED_INPUTS, EmbeddingModel

__all__ = ["embed_frames", "compiled_forward"]


class _Forward(nn.Cell):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def construct(self, types, positions, atom_mask, neighbours, neighbour_mask,
                  rel_neighbours, rel_codes, rel_mask, dihedrals, dihedral_mask):
        return self.inner(types, positions, atom_mask, neighbours, neighbour_mask,
                          rel_neighbours, rel_codes, rel_mask, dihedrals, dihedral_mask)


def compiled_forward(model):
    """A compiled forward cell of ``model`` (reuse it: each new one compiles again)."""
    cell = _Forward(model)
    if ms.get_context("mode") == ms.PYNATIVE_MODE:
        cell.construct = ms.jit(cell.construct)
    return cell


def embed_frames(model: EmbeddingModel, data, *, batch_size: int = 512,
                 cutoff: Optional[float] = None, forward=None) -> Dict[str, np.ndarray]:
    """Embeddings (and state assignments) of all frames.

    Parameters
    ----------
    model : EmbeddingModel
    data : FrameData, CGGraph or list of CGGraph
    batch_size : int
        Frames per compiled call (lowered for large graphs; the last batch is padded).
    cutoff : float, optional
        Neighbour cutoff in Å (default the model's ``r_cut``).
    forward : optional
        A :func:`compiled_forward` of ``model`` to reuse.

    Returns
    -------
    dict
        ``embedding`` (frames, d) and, for models with a softmax head, ``states``
        (frames, n_states), in the order of the graphs' frames.
    """
    if not isinstance(model, EmbeddingModel):
        raise InputError(f"embed_frames needs an EmbeddingModel, got {type(model).__name__}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise InputError(f"batch_size must be a positive integer, got {batch_size!r}")
    if not isinstance(data, FrameData):
        data = FrameData(data, cutoff=model.r_cut if cutoff is None else cutoff)
    bs = data.default_batch_size(batch_size)  # fixed: every call reuses one compiled shape
    fwd = compiled_forward(model) if forward is None else forward
    was = model.training
    model.set_train(False)
    emb, states = [], []
    try:
        for start in range(0, len(data), bs):
            idx = np.arange(start, min(start + bs, len(data)))
            out = fwd(*to_tensors(data.batch(idx, batch_capacity=bs), EMBED_INPUTS))
            if model.n_states:
                emb.append(out[0].asnumpy()[:len(idx)])
                states.append(out[1].asnumpy()[:len(idx)])
            else:
                emb.append(out.asnumpy()[:len(idx)])
    finally:
        model.set_train(was)
    res = {"embedding": np.concatenate(emb)}
    if states:
        res["states"] = np.concatenate(states)
    return res
