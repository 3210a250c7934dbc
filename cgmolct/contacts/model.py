"""The contact model: a MolCT representation and a symmetric, orientation-aware edge readout.

:class:`ContactReadout` scores a pair (i, j) of residues (CA beads) from

- node features n_i, n_j of the representation (MolCT + RME);
- the relation embedding v(c_ij) (sequence separation, chain) and a log-Gaussian RBF
  e(d_ij) of the CA–CA distance (pairs reach beyond the representation's cutoff, so no
  cutoff function);
- orientation cosines of a local frame of each residue built from the CA trace alone:
  the bisector u_i = Σ_{k bonded to i} (r_i − r_k) / |…| of its two backbone CA–CA bonds
  (it points from the chain towards where the side chain sits), the signed chain tangent
  t_i ∝ r_{i+2} − r_{i−2} (the order comes from the signed relation codes of ±2
  neighbours) and the normal w_i ∝ u_i × t_i.  ``orientation="bisector"`` uses u only:
  a = (u_i·r̂_ij, u_j·r̂_ji, u_i·u_j, (u_i·r̂_ij)(u_j·r̂_ji)) (mirror invariant);
  ``orientation="frame"`` uses all three axes: their cosines with r̂_ij (resp. r̂_ji) and
  u_i·u_j, t_i·t_j, w_i·w_j, u_i·t_j, t_i·u_j (11 features; w and t make it
  chirality-aware: a mirror image scores differently, as the real CB position does).

.. math:: y_{ij} = g(φ_{ij}) + g(φ_{ji}),\\quad
          φ_{ij} = [\\,n_i, n_j, v(c_{ij}), e(d_{ij}), a_{ij}\\,]

with g an MLP; the sum over both orders makes y_ij = y_ji exactly (c_ji is the mirrored
relation code).  The plain :class:`cgmolct.readouts.EdgeReadout` sees only n_i, n_j, v and
e; the cosines tell whether two side chains face each other, which the CA distance alone
cannot.

:class:`ContactModel` chains both: the eight model inputs plus pairs, pair codes and pair
mask → (B, P) contact logits (zero for padded pairs).  Both cells are registered, so
``cgmolct.save`` / ``cgmolct.load`` handle a ContactModel like any other model.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence

from mindspore import Tensor, nn, ops

from topologies.relations import BOND_CODE_OFFSET, BOND_TYPES, N_RELATION_CODES, SEQUENCE_CODE_ZERO

from ..data import keys as K
from ..models.base import RepresentationModel, check_dims
from ..models.registry import register
from ..nn.geometry import gather_neighbours, gather_pairs
from ..nn.mlp import MLP
from ..nn.rbf import LogGaussianRBF
from ..readouts.edge import mirror_codes

__all__ = ["ContactReadout", "ContactModel", "build_contact_model", "BACKBONE_BOND_CODE"]

#: Relation code of a CG backbone bond (CA–CA of consecutive residues).
BACKBONE_BOND_CODE = BOND_CODE_OFFSET + BOND_TYPES["backbone"]
#: Relation codes of the ±2 sequence neighbours (signed: they give the chain direction).
_MINUS_TWO, _PLUS_TWO = SEQUENCE_CODE_ZERO - 2, SEQUENCE_CODE_ZERO + 2
_N_ANGLE_FEATURES = {"bisector": 4, "frame": 11}


@register
class ContactReadout(nn.Cell):
    """Symmetric pair logits with orientation cosines (see the module docstring).

    Parameters
    ----------
    dim : int
        Node feature size F.
    hidden : sequence of int
        Hidden sizes of g (default ``(dim, dim // 2)``).
    dim_relation : int
        Size of the relation-code embedding (default 16).
    r_max : float
        Largest RBF centre in Å (default 18).
    n_relation_codes : int
    activation : str
    orientation : {"bisector", "frame"}
        Orientation features (see the module docstring; default "bisector").

    Inputs
    ------
    features (B, N, F), positions (B, N, 3) Å, rel_neighbours (B, N, R) int32,
    rel_codes (B, N, R) int32, rel_mask (B, N, R) bool, pairs (B, P, 2) int32,
    pair_codes (B, P) int32, pair_mask (B, P) bool.

    Returns
    -------
    (B, P) logits, zero for padded pairs.
    """

    def __init__(self, dim: int, hidden: Optional[Sequence[int]] = None, dim_relation: int = 16,
                 r_max: float = 18.0, n_relation_codes: int = N_RELATION_CODES,
                 activation: str = "ssp", orientation: str = "bisector"):
        super().__init__()
        from ..errors import ModelError

        check_dims("ContactReadout", dim=dim, dim_relation=dim_relation,
                   n_relation_codes=n_relation_codes)
        if orientation not in _N_ANGLE_FEATURES:
            raise ModelError(f"ContactReadout: orientation must be 'bisector' or 'frame', got "
                             f"{orientation!r}")
        self.frame = orientation == "frame"
        hidden = [int(dim), int(dim) // 2] if hidden is None else [int(h) for h in hidden]
        self._config = dict(dim=int(dim), hidden=hidden, dim_relation=int(dim_relation),
                            r_max=float(r_max), n_relation_codes=int(n_relation_codes),
                            activation=activation, orientation=orientation)
        self.dim = int(dim)
        self.relation_embedding = nn.Embedding(n_relation_codes, dim_relation)
        self.mirror = Tensor(mirror_codes(n_relation_codes))
        self.rbf = LogGaussianRBF(r_min=2.0, r_cut=r_max)
        self.mlp = MLP(2 * dim + dim_relation + self.rbf.n_basis + _N_ANGLE_FEATURES[orientation], 1,
                       hidden=hidden, activation=activation)
        # g's first layer acts on concat(n_i, n_j, v, e, angles): it is applied factor by factor
        # (node projections once per bead, relation projections once per code, then gathered
        # per pair), the same function with a fraction of the per-pair work
        self._n_layers = len(self.mlp.layers)
        self._dim_relation = int(dim_relation)

    def get_config(self) -> Dict:
        return dict(self._config)

    @staticmethod
    def _unit(x):
        return x / ops.sqrt((x * x).sum(-1, keepdims=True) + 1e-6)

    def _axes(self, positions, rel_neighbours, rel_codes, rel_mask):
        """Unit bisector u and, for the frame, signed tangent t and normal w (B, N, 3)."""
        xk = gather_neighbours(positions, rel_neighbours)                   # (B, N, R, 3)
        away = positions[:, :, None, :] - xk
        bonded = ops.cast(ops.logical_and(rel_mask, rel_codes == BACKBONE_BOND_CODE),
                          positions.dtype)[..., None]
        u = self._unit((away * bonded).sum(2))
        if not self.frame:
            return u, u, u
        plus = ops.cast(ops.logical_and(rel_mask, rel_codes == _PLUS_TWO), positions.dtype)[..., None]
        minus = ops.cast(ops.logical_and(rel_mask, rel_codes == _MINUS_TWO), positions.dtype)[..., None]
        t = self._unit((-away * plus).sum(2) + (away * minus).sum(2))
        w = self._unit(ops.cross(u, t, -1))
        return u, t, w

    def construct(self, features, positions, rel_neighbours, rel_codes, rel_mask,
                  pairs, pair_codes, pair_mask):
        i, j, e, angles_ij, angles_ji, mirrored = self._pair_geometry(
            positions, rel_neighbours, rel_codes, rel_mask, pairs, pair_codes, pair_mask)
        return self._logits(features, i, j, e, angles_ij, angles_ji, pair_codes, mirrored, pair_mask)

    def _pair_geometry(self, positions, rel_neighbours, rel_codes, rel_mask, pairs, pair_codes,
                       pair_mask):
        """Pair indices, distance RBF, orientation cosines (ij and ji) and mirrored codes."""
        u, t, w = self._axes(positions, rel_neighbours, rel_codes, rel_mask)
        i, j = pairs[:, :, 0], pairs[:, :, 1]
        rij = gather_pairs(positions, j) - gather_pairs(positions, i)
        d2 = (rij * rij).sum(-1)
        d2 = ops.where(ops.logical_and(pair_mask, d2 > 1e-6), d2, ops.ones_like(d2))
        d = ops.sqrt(d2)
        angles_ij, angles_ji = self._angles(u, t, w, i, j, rij / d[..., None])
        mirrored = ops.gather(self.mirror, pair_codes.reshape(-1), 0).reshape(pair_codes.shape)
        return i, j, self.rbf(d), angles_ij, angles_ji, mirrored

    def _angles(self, u, t, w, i, j, rhat):
        """Orientation cosines of each pair seen from i and from j: two (B, P, A) arrays."""
        ui, uj = gather_pairs(u, i), gather_pairs(u, j)
        ai = (ui * rhat).sum(-1)
        aj = -(uj * rhat).sum(-1)
        cij = (ui * uj).sum(-1)
        if self.frame:
            ti, tj = gather_pairs(t, i), gather_pairs(t, j)
            wi, wj = gather_pairs(w, i), gather_pairs(w, j)
            bi, bj = (ti * rhat).sum(-1), -(tj * rhat).sum(-1)
            gi, gj = (wi * rhat).sum(-1), -(wj * rhat).sum(-1)
            tt, ww = (ti * tj).sum(-1), (wi * wj).sum(-1)
            ut, tu = (ui * tj).sum(-1), (ti * uj).sum(-1)
            angles_ij = ops.stack((ai, bi, gi, aj, bj, gj, cij, tt, ww, ut, tu), -1)
            angles_ji = ops.stack((aj, bj, gj, ai, bi, gi, cij, tt, ww, tu, ut), -1)
        else:
            angles_ij = ops.stack((ai, aj, cij, ai * aj), -1)
            angles_ji = ops.stack((aj, ai, cij, ai * aj), -1)
        return angles_ij, angles_ji

    def _logits(self, features, i, j, e, angles_ij, angles_ji, pair_codes, mirrored, pair_mask):
        """g(ij) + g(ji) with g's first layer applied factor by factor (see ``__init__``)."""
        first = self.mlp.layers[0]
        w = first.weight                                                    # (H, D_in)
        f, r = self.dim, self._dim_relation
        a = ops.matmul(features, w[:, :f].T)                                # (B, N, H)
        c = ops.matmul(features, w[:, f:2 * f].T)
        table = ops.matmul(self.relation_embedding.embedding_table, w[:, 2 * f:2 * f + r].T)
        n_rbf = e.shape[-1]
        w_rbf = w[:, 2 * f + r:2 * f + r + n_rbf].T
        w_angles = w[:, 2 * f + r + n_rbf:].T
        b, p = pair_codes.shape
        h = w.shape[0]
        v_ij = ops.gather(table, pair_codes.reshape(-1), 0).reshape(b, p, h)
        v_ji = ops.gather(table, mirrored.reshape(-1), 0).reshape(b, p, h)
        # the distance term is the same seen from i and from j: projected once
        shared = ops.matmul(e, w_rbf) + first.bias
        y_ij = gather_pairs(a, i) + gather_pairs(c, j) + v_ij + ops.matmul(angles_ij, w_angles) + shared
        y_ji = gather_pairs(a, j) + gather_pairs(c, i) + v_ji + ops.matmul(angles_ji, w_angles) + shared
        for k in range(1, self._n_layers):
            y_ij = self.mlp.layers[k](y_ij)
            y_ji = self.mlp.layers[k](y_ji)
        y = y_ij + y_ji
        return y[..., 0] * ops.cast(pair_mask, y.dtype)

    def reference_logits(self, features, positions, rel_neighbours, rel_codes, rel_mask,
                         pairs, pair_codes, pair_mask):
        """The same logits through the unfactorised ``g`` (concatenated inputs; for tests)."""
        i, j, e, angles_ij, angles_ji, mirrored = self._pair_geometry(
            positions, rel_neighbours, rel_codes, rel_mask, pairs, pair_codes, pair_mask)
        ni, nj = gather_pairs(features, i), gather_pairs(features, j)
        v_ij = self.relation_embedding(pair_codes)
        v_ji = self.relation_embedding(mirrored)
        y = (self.mlp(ops.concat((ni, nj, v_ij, e, angles_ij), -1))
             + self.mlp(ops.concat((nj, ni, v_ji, e, angles_ji), -1)))
        return y[..., 0] * ops.cast(pair_mask, y.dtype)


@register
class ContactModel(nn.Cell):
    """Representation + :class:`ContactReadout`: 11 inputs → (B, P) contact logits.

    Parameters
    ----------
    representation : RepresentationModel
        MolCT (with RME) on CA-level graphs.
    readout : ContactReadout
        Its ``dim`` must equal the representation's.
    r_pair : float
        CA–CA distance (Å) of the scored pair list (recorded for prediction; default 16).
    min_separation : int
        Smallest |i − j| of a scored pair (default 3).

    Inputs
    ------
    The eight arrays of ``keys.MODEL_INPUTS``, then pairs (B, P, 2), pair_codes (B, P),
    pair_mask (B, P).
    """

    #: Batch keys of the positional inputs (the trainer's ``predict.INPUTS`` contract).
    INPUTS = K.MODEL_INPUTS + (K.PAIRS, K.PAIR_CODES, K.PAIR_MASK)

    def __init__(self, representation: RepresentationModel, readout: ContactReadout,
                 r_pair: float = 16.0, min_separation: int = 3):
        super().__init__()
        from ..errors import ModelError

        if readout.dim != representation.dim:
            raise ModelError(f"ContactModel: readout dim {readout.dim} != representation dim "
                             f"{representation.dim}")
        self.representation = representation
        self.readout = readout
        self.r_pair, self.min_separation = float(r_pair), int(min_separation)

    def get_config(self) -> Dict:
        return dict(representation=self.representation, readout=self.readout,
                    r_pair=self.r_pair, min_separation=self.min_separation)

    def construct(self, types, positions, atom_mask, neighbours, neighbour_mask,
                  rel_neighbours, rel_codes, rel_mask, pairs, pair_codes, pair_mask):
        h = self.representation(types, positions, atom_mask, neighbours, neighbour_mask,
                                rel_neighbours, rel_codes, rel_mask)
        return self.readout(h, positions, rel_neighbours, rel_codes, rel_mask,
                            pairs, pair_codes, pair_mask)


def build_contact_model(dim: int = 32, n_heads: int = 4, n_interactions: int = 2,
                        max_cycles: int = 1, r_cut: float = 8.0, r_pair: float = 16.0,
                        min_separation: int = 3, hidden: Optional[Sequence[int]] = None,
                        orientation: str = "frame", **molct_options) -> ContactModel:
    """A fresh ContactModel: MolCT (RME on) + ContactReadout of the same width."""
    from ..models.molct import MolCT

    rep = MolCT(dim=dim, n_heads=n_heads, n_interactions=n_interactions, max_cycles=max_cycles,
                use_rme=True, r_cut=r_cut, **molct_options)
    return ContactModel(rep, ContactReadout(dim, hidden=hidden, orientation=orientation), r_pair=r_pair,
                        min_separation=min_separation)
