"""Training objectives of the embedding model (cells for the trainer's objective contract).

Each objective is a Cell whose class attribute ``INPUTS`` names its positional batch keys
(:data:`cgmolct.embed.data.PAIR_INPUTS`: the first frame's embedding inputs, the second
frame's with the suffix ``_b``, ``sample_mask`` and ``target_distance``) and whose
construct returns a scalar loss.

* :class:`VAMPLoss` — minus the VAMP-2 score of the soft state assignments of time-lagged
  pairs (GraphVAMPNet):  VAMP-2 = 1 + tr[(C00 + εI)⁻¹ C01 (C11 + εI)⁻¹ C10], which equals
  1 + ||(C00 + εI)^(-1/2) C01 (C11 + εI)^(-1/2)||_F² without a matrix square root (MindSpore
  on CPU has no eigendecomposition; ``ops.inverse`` has a gradient).  Covariances are of
  mean-free assignments, weighted by ``sample_mask``, normalised by (n − 1).
* :class:`MetricLoss` — mean squared difference between the embedding distance
  ||e_a − e_b|| and a structural distance (CG RMSD, Å) of random frame pairs.
"""
from __future__ import annotations

from mindspore import nn, ops

from ..errors import ModelError
from .data import PAIR_INPUTS
from .model import EmbeddingModel

__all__ = ["vamp2", "VAMPLoss", "MetricLoss"]


def vamp2(chi0, chit, weights, epsilon: float = 1e-6):
    """VAMP-2 score (module docstring) of features chi0, chit (B, m) with weights (B,) 0/1."""
    w = weights[:, None]
    n = weights.sum()
    m0 = (chi0 * w).sum(0, keepdims=True) / n
    mt = (chit * w).sum(0, keepdims=True) / n
    a = (chi0 - m0) * w
    b = (chit - mt) * w
    denom = ops.maximum(n - 1.0, 1.0)
    eye = ops.eye(chi0.shape[1], chi0.shape[1], chi0.dtype) * epsilon
    c00 = ops.matmul(a.T, a) / denom + eye
    c11 = ops.matmul(b.T, b) / denom + eye
    c01 = ops.matmul(a.T, b) / denom
    k = ops.matmul(ops.matmul(ops.inverse(c00), c01), ops.matmul(ops.inverse(c11), c01.T))
    return 1.0 + ops.trace(k)


class _PairObjective(nn.Cell):
    INPUTS = PAIR_INPUTS

    def _pair(self, types, positions, atom_mask, neighbours, neighbour_mask, rel_neighbours,
              rel_codes, rel_mask, dihedrals, dihedral_mask, types_b, positions_b, atom_mask_b,
              neighbours_b, neighbour_mask_b, rel_neighbours_b, rel_codes_b, rel_mask_b,
              dihedrals_b, dihedral_mask_b):
        out_a = self.model(types, positions, atom_mask, neighbours, neighbour_mask,
                           rel_neighbours, rel_codes, rel_mask, dihedrals, dihedral_mask)
        out_b = self.model(types_b, positions_b, atom_mask_b, neighbours_b, neighbour_mask_b,
                           rel_neighbours_b, rel_codes_b, rel_mask_b, dihedrals_b, dihedral_mask_b)
        return out_a, out_b


class VAMPLoss(_PairObjective):
    """−VAMP-2 of the model's soft assignments on lagged pairs (module docstring).

    Parameters
    ----------
    model : EmbeddingModel
        With ``n_states`` >= 2.
    epsilon : float
        Covariance regularisation.
    """

    def __init__(self, model: EmbeddingModel, epsilon: float = 1e-5):
        super().__init__()
        if not isinstance(model, EmbeddingModel) or model.n_states < 2:
            raise ModelError("VAMPLoss needs an EmbeddingModel with n_states >= 2")
        self.model = model
        self.epsilon = float(epsilon)

    def construct(self, types, positions, atom_mask, neighbours, neighbour_mask, rel_neighbours,
                  rel_codes, rel_mask, dihedrals, dihedral_mask, types_b, positions_b,
                  atom_mask_b, neighbours_b, neighbour_mask_b, rel_neighbours_b, rel_codes_b,
                  rel_mask_b, dihedrals_b, dihedral_mask_b, sample_mask, target_distance):
        out_a, out_b = self._pair(types, positions, atom_mask, neighbours, neighbour_mask,
                                  rel_neighbours, rel_codes, rel_mask, dihedrals, dihedral_mask,
                                  types_b, positions_b, atom_mask_b, neighbours_b,
                                  neighbour_mask_b, rel_neighbours_b, rel_codes_b, rel_mask_b,
                                  dihedrals_b, dihedral_mask_b)
        w = ops.cast(sample_mask, out_a[1].dtype)
        return -vamp2(out_a[1], out_b[1], w, self.epsilon)


class MetricLoss(_PairObjective):
    """Mean of (||e_a − e_b|| − d_ab)² over real pairs, d_ab in Å (module docstring)."""

    def __init__(self, model: EmbeddingModel):
        super().__init__()
        if not isinstance(model, EmbeddingModel):
            raise ModelError("MetricLoss needs an EmbeddingModel")
        self.model = model

    def construct(self, types, positions, atom_mask, neighbours, neighbour_mask, rel_neighbours,
                  rel_codes, rel_mask, dihedrals, dihedral_mask, types_b, positions_b,
                  atom_mask_b, neighbours_b, neighbour_mask_b, rel_neighbours_b, rel_codes_b,
                  rel_mask_b, dihedrals_b, dihedral_mask_b, sample_mask, target_distance):
        out_a, out_b = self._pair(types, positions, atom_mask, neighbours, neighbour_mask,
                                  rel_neighbours, rel_codes, rel_mask, dihedrals, dihedral_mask,
                                  types_b, positions_b, atom_mask_b, neighbours_b,
                                  neighbour_mask_b, rel_neighbours_b, rel_codes_b, rel_mask_b,
                                  dihedrals_b, dihedral_mask_b)
        e_a = out_a[0] if self.model.n_states else out_a
        e_b = out_b[0] if self.model.n_states else out_b
        diff = e_a - e_b
        d = ops.sqrt((diff * diff).sum(-1) + 1e-8)
        w = ops.cast(sample_mask, d.dtype)
        err = d - target_distance
        return (err * err * w).sum() / ops.maximum(w.sum(), 1.0)
