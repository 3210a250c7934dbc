"""The embedding model cell: representation → (+ dihedral messages) → GraphReadout.

``EmbeddingModel(representation, readout)`` maps one frame to one vector:

1. node features n_i = representation(8 model inputs) (MolCT, SchNet or PhysNet; distances
   only, so blind to mirror images);
2. optionally, for every bonded dihedral q = (i, j, k, l) with angle φ_q, a message
   m_q = MLP([sin φ_q, cos φ_q, n_j + n_k]) is added to both central beads j and k — the
   one sign-sensitive input, which tells αR from αL;
3. the embedding e = (GraphReadout(n + m, atom_mask) − μ) ⊙ exp(s) (sum/mean/attention
   pooling + MLP, then a per-dimension shift μ and log-scale s, identity by default and set
   from the training frames before training by :func:`standardise_output`: mean-pooled
   features of different conformations differ by ~1e-3 at initialisation, too little for a
   distance loss or a softmax head to learn from);
4. optionally soft state assignments χ = softmax(W e + b) (VAMPnet head).

Every step is invariant to rotation, translation and bead permutation (quadruples and
neighbour lists are permuted with the beads; φ(i,j,k,l) = φ(l,k,j,i)).

Inputs: the 8 arrays of ``keys.MODEL_INPUTS``, then ``dihedrals`` (B, Q, 4) int32 and
``dihedral_mask`` (B, Q) bool (:data:`EMBED_INPUTS`).  Returns the embedding (B, d), or
(embedding, assignments (B, n_states)) when ``n_states`` > 0.
"""
from __future__ import annotations

from typing import Dict, Optional

import numpy as np
from mindspore import Parameter, Tensor, nn, ops

from ..data import keys
from ..errors import ModelError
from ..models.base import RepresentationModel, as_model_inputs, check_model_inputs
from ..models.registry import register
from ..nn.mlp import MLP
from ..readouts.graph import GraphReadout

__all__ = ["EmbeddingModel", "DihedralMessages", "standardise_output", "DIHEDRALS", "DIHEDRAL_MASK", "EMBED_INPUTS",
           "dihedral_sin_cos"]

#: (B, Q, 4) int32 bonded dihedral quadruples (padding: zeros, masked).
DIHEDRALS = "dihedrals"
#: (B, Q) bool mask of DIHEDRALS.
DIHEDRAL_MASK = "dihedral_mask"
#: Positional inputs of :class:`EmbeddingModel`.
EMBED_INPUTS = tuple(keys.MODEL_INPUTS) + (DIHEDRALS, DIHEDRAL_MASK)


def _gather(x, index):
    """x (B, N, C), index (B, Q) → (B, Q, C)."""
    b, q = index.shape
    c = x.shape[-1]
    idx = ops.broadcast_to(index.reshape(b, q, 1), (b, q, c))
    return ops.gather_elements(x, 1, idx)


def _cross(a, b):
    return ops.stack((a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1],
                      a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2],
                      a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]), -1)


def dihedral_sin_cos(positions, dihedrals):
    """(sin φ, cos φ) (B, Q, 2) of quadruples (B, Q, 4) for positions (B, N, 3) Å.

    φ = atan2(|b2| b1·(b2×b3), (b1×b2)·(b2×b3)) (IUPAC, as :func:`geometry.dihedrals`);
    degenerate quadruples (padding) give (0, 1) instead of NaN.
    """
    x = [_gather(positions, dihedrals[..., k]) for k in range(4)]
    b1, b2, b3 = x[1] - x[0], x[2] - x[1], x[3] - x[2]
    n2 = _cross(b2, b3)
    y = ops.sqrt((b2 * b2).sum(-1) + 1e-12) * (b1 * n2).sum(-1)
    xx = (_cross(b1, b2) * n2).sum(-1)
    r = ops.sqrt(y * y + xx * xx + 1e-12)
    return ops.stack((y / r, (xx + 1e-6) / r), -1)


class DihedralMessages(nn.Cell):
    """Messages of bonded dihedrals to their two central beads (module docstring, step 2).

    Inputs: h (B, N, F), positions (B, N, 3) Å, dihedrals (B, Q, 4), dihedral_mask (B, Q).
    Returns (B, N, F), zero for beads in no dihedral.
    """

    def __init__(self, dim: int, activation: str = "ssp"):
        super().__init__()
        self.mlp = MLP(dim + 2, dim, hidden=(dim,), activation=activation)

    def construct(self, h, positions, dihedrals, dihedral_mask):
        n = h.shape[1]
        sc = dihedral_sin_cos(positions, dihedrals)
        hj = _gather(h, dihedrals[..., 1])
        hk = _gather(h, dihedrals[..., 2])
        m = self.mlp(ops.concat((sc, hj + hk), -1))
        m = m * ops.cast(dihedral_mask, m.dtype)[..., None]
        to_j = ops.one_hot(dihedrals[..., 1], n, ops.ones((), m.dtype), ops.zeros((), m.dtype))
        to_k = ops.one_hot(dihedrals[..., 2], n, ops.ones((), m.dtype), ops.zeros((), m.dtype))
        return ops.matmul((to_j + to_k).transpose(0, 2, 1), m)


@register
class EmbeddingModel(nn.Cell):
    """Per-frame embedding: representation + dihedral messages + :class:`GraphReadout`.

    Parameters
    ----------
    representation : RepresentationModel
        MolCT, SchNet or PhysNet (for example ``cgmolct.load(ff).representation``).
    readout : GraphReadout, optional
        Default ``GraphReadout(representation.dim, "mean")`` (no MLP).
    n_states : int
        Size of the softmax head (soft state assignments for VAMP-2); 0 = none.
    use_dihedrals : bool
        Add the sign-sensitive dihedral messages (tells mirror images apart).
    """

    def __init__(self, representation: RepresentationModel, readout: Optional[GraphReadout] = None,
                 n_states: int = 0, use_dihedrals: bool = True):
        super().__init__()
        if not isinstance(representation, RepresentationModel):
            raise ModelError(f"EmbeddingModel needs a MolCT, SchNet or PhysNet representation, "
                             f"got {type(representation).__name__}")
        if readout is None:
            readout = GraphReadout(representation.dim, "mean")
        if not isinstance(readout, GraphReadout) or readout.dim != representation.dim:
            raise ModelError("EmbeddingModel: readout must be a GraphReadout with dim "
                             f"{representation.dim} (the representation's feature size)")
        if not isinstance(n_states, int) or isinstance(n_states, bool) or n_states < 0 or n_states == 1:
            raise ModelError(f"EmbeddingModel: n_states must be 0 or an integer >= 2, got {n_states!r}")
        if getattr(representation, "output_details", False):
            raise ModelError("EmbeddingModel: call set_output_details(False) on the representation")
        self.representation = representation
        self.readout = readout
        self.n_states = int(n_states)
        self.use_dihedrals = bool(use_dihedrals)
        self.dim = readout.dim_out
        self.output_shift = Parameter(Tensor(np.zeros(self.dim, np.float32)), name="output_shift")
        self.output_log_scale = Parameter(Tensor(np.zeros(self.dim, np.float32)),
                                          name="output_log_scale")
        if self.use_dihedrals:
            self.dihedral_messages = DihedralMessages(representation.dim)
        if self.n_states:
            self.head = nn.Dense(self.dim, self.n_states)
            self.softmax = nn.Softmax(-1)

    @property
    def r_cut(self) -> float:
        return float(self.representation.r_cut)

    def get_config(self) -> Dict:
        return dict(representation=self.representation, readout=self.readout,
                    n_states=self.n_states, use_dihedrals=self.use_dihedrals)

    def __call__(self, *args, **kwargs):
        if len(args) == len(EMBED_INPUTS) and not kwargs:
            check_model_inputs(args[:8])
            args = as_model_inputs(args[:8]) + tuple(
                a if not hasattr(a, "dtype") or hasattr(a, "asnumpy") else _tensor(a, k)
                for k, a in zip((DIHEDRALS, DIHEDRAL_MASK), args[8:]))
        return super().__call__(*args, **kwargs)

    def node_features(self, types, positions, atom_mask, neighbours, neighbour_mask,
                      rel_neighbours, rel_codes, rel_mask, dihedrals, dihedral_mask):
        """Node features (B, N, F) that the readout pools (with the dihedral messages)."""
        h = self.representation(types, positions, atom_mask, neighbours, neighbour_mask,
                                rel_neighbours, rel_codes, rel_mask)
        if self.use_dihedrals:
            h = h + self.dihedral_messages(h, positions, dihedrals, dihedral_mask)
        return h

    def construct(self, types, positions, atom_mask, neighbours, neighbour_mask,
                  rel_neighbours, rel_codes, rel_mask, dihedrals, dihedral_mask):
        h = self.node_features(types, positions, atom_mask, neighbours, neighbour_mask,
                               rel_neighbours, rel_codes, rel_mask, dihedrals, dihedral_mask)
        e = (self.readout(h, atom_mask) - self.output_shift) * ops.exp(self.output_log_scale)
        if self.n_states:
            return e, self.softmax(self.head(e))
        return e


def standardise_output(model: EmbeddingModel, batches, target_distance: Optional[float] = None) -> None:
    """Set the output shift and log-scale so that the embedding of the given frames is
    centred with unit standard deviation per dimension (times one factor making the mean
    pair distance equal ``target_distance`` in Å, when given).

    Parameters
    ----------
    model : EmbeddingModel
    batches : iterable of batch dicts (keys :data:`EMBED_INPUTS` and ``sample_mask``)
    target_distance : float, optional
        Mean structural distance of random pairs (metric objective).
    """
    model.output_shift.set_data(Tensor(np.zeros(model.dim, np.float32)))
    model.output_log_scale.set_data(Tensor(np.zeros(model.dim, np.float32)))
    was = model.training
    model.set_train(False)
    rows = []
    try:
        for batch in batches:
            out = model(*[batch[k] for k in EMBED_INPUTS])
            e = (out[0] if isinstance(out, tuple) else out).asnumpy()
            rows.append(e[np.asarray(batch[keys.SAMPLE_MASK], bool)])
    finally:
        model.set_train(was)
    e = np.concatenate(rows).astype(np.float64)
    mu = e.mean(0)
    sd = e.std(0)
    sd = np.maximum(sd, 1e-6 * max(sd.max(), 1e-30))
    log_scale = -np.log(sd)
    if target_distance is not None and len(e) > 1:
        z = (e - mu) / sd
        rng = np.random.default_rng(0)
        i, j = rng.integers(0, len(z), (2, 4 * len(z)))
        mean_d = np.linalg.norm(z[i] - z[j], axis=1).mean()
        if mean_d > 0:
            log_scale += np.log(float(target_distance) / mean_d)
    model.output_shift.set_data(Tensor(mu.astype(np.float32)))
    model.output_log_scale.set_data(Tensor(log_scale.astype(np.float32)))


def _tensor(a, name):
    return Tensor(np.ascontiguousarray(np.asarray(a).astype(np.int32 if name == DIHEDRALS else np.bool_)))
