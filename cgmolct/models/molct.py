"""MolCT: Molecular Configuration Transformer (Zhang et al., arXiv 2012.11816).

Pipeline for bead features n_i (F = ``dim``):

1. **Embedding** z_i of the bead type (global vocabulary).
2. **RME** (relational molecular embedding, optional): each bead attends over its
   relational neighbours (bonded, near in sequence) and itself; keys = values =
   ``z_j + W_v v_ij`` with v_ij the embedding of the relation code of (i, j); then
   ``n = LN(z + MHA)``, ``n = LN(n + FFN(n))``.
3. **EA** (ego-attention): position embedding ``p_j|i = e_ij W + b`` of the log-Gaussian
   RBF ``e_ij`` (``e_ii = 0``, so ``p_i|i = b``); ``ñ_j|i = n_j ⊙ p_j|i``; query
   ``LN(ñ_i|i)``, keys = values ``LN(ñ_j|i)`` over the bead itself and its geometric
   neighbours; ``n_i ← n_i + MHA``.  Attention weights are multiplied inside the softmax
   by the cutoff f(r_ij), so they fade to zero at ``r_cut``.
4. **NIU** (neural interaction unit): one EA block applied up to ``max_cycles`` times with
   shared weights, the sinusoidal embedding of the cycle added to the state, and ACT
   halting per bead (threshold ``act_threshold``); ``fixed_cycles=True`` runs all cycles
   (a smooth potential for MD).  ``max_cycles=1`` is a plain EA block (EA1/EA3 of the
   paper); ``max_inference_cycles`` lets ACT run more cycles at inference than in training.
"""
from __future__ import annotations

from typing import Optional

import numpy as np
from mindspore import Tensor, nn, ops

from topologies.relations import N_RELATION_CODES, SELF
from topologies.vocabulary import VOCABULARY_SIZE

from ..errors import ModelError
from ..nn.act import PonderNet, act_step, sinusoidal_table
from ..nn.attention import MaskedMultiHeadAttention
from ..nn.cutoff import make_cutoff
from ..nn.geometry import gather_neighbours, gather_pairs, neighbour_vectors
from ..nn.mlp import MLP
from ..nn.norm import LayerNorm
from ..nn.rbf import make_rbf
from .base import RepresentationModel, check_dims
from .registry import register

__all__ = ["MolCT", "RelationalEmbedding", "EgoAttention", "InteractionUnit", "PRESETS"]


class RelationalEmbedding(nn.Cell):
    """RME: attention of each bead over its relational neighbours (see module docstring).

    Inputs: z (B, N, F), rel_neighbours (B, N, R) int32, rel_codes (B, N, R) int32,
    rel_mask (B, N, R) bool, atom_mask (B, N) bool.  Returns n (B, N, F).
    """

    def __init__(self, dim: int, n_heads: int, n_relation_codes: int, dim_relation: int):
        super().__init__()
        self.relation_embedding = nn.Embedding(n_relation_codes, dim_relation)
        self.relation_projection = nn.Dense(dim_relation, dim, has_bias=False)
        self.attention = MaskedMultiHeadAttention(dim, n_heads)
        self.norm1 = LayerNorm(dim)
        self.ffn = MLP(dim, dim, hidden=(2 * dim,), activation="swish")
        self.norm2 = LayerNorm(dim)
        self.self_code = Tensor(np.array([SELF], np.int32))

    def relation_vectors(self, codes):
        """Projected relation embedding ``W_v v`` of codes (...) → (..., F)."""
        return self.relation_projection(self.relation_embedding(codes))

    def construct(self, z, rel_neighbours, rel_codes, rel_mask, atom_mask):
        b, n, f = z.shape
        zj = gather_neighbours(z, rel_neighbours) + self.relation_vectors(rel_codes)
        zi = z + self.relation_vectors(self.self_code).reshape(1, 1, f)
        keys = ops.concat((zi[:, :, None, :], zj), 2)
        weights = ops.concat((ops.cast(atom_mask, z.dtype)[:, :, None],
                              ops.cast(rel_mask, z.dtype)), 2)
        out, _ = self.attention(z, keys, weights)
        h = self.norm1(z + out)
        return self.norm2(h + self.ffn(h))


class EgoAttention(nn.Cell):
    """One EA block: position embedding, pre-layer-norm, MHA with cutoff-faded weights.

    Inputs: n (B, N, F); rbf (B, C, K+1, n_basis) with the self entry first (zeros);
    index (B, C, K+1) int32 (self first); weights (B, C, K+1) (1 for self, f(r_ij) ⋅ mask).
    The C rows are centre beads (C = N and index[:, i, 0] = i for the whole molecule; a
    chunk of beads for chunked inference).  Returns n_i + MHA (B, C, F) and the attention
    (B, C, H, K+1).
    """

    def __init__(self, dim: int, n_heads: int, n_basis: int):
        super().__init__()
        self.position = nn.Dense(n_basis, dim)
        # LN without γ, β: the attention's W^K, W^V and query bias absorb them exactly
        # (same function class, a fraction of the memory on (B, N, K, F) tensors)
        self.norm = LayerNorm(dim, affine=False)
        self.attention = MaskedMultiHeadAttention(dim, n_heads, query_bias=True)

    def construct(self, n, rbf, index, weights):
        return self.attend(n, self.position(rbf), index, weights)

    def attend(self, n, p, index, weights):
        """The block on a precomputed position embedding ``p = position(rbf)`` (B, C, K+1, F).

        The NIU's cycles share one geometry: it embeds the RBF once and calls this per cycle.
        """
        nj = gather_neighbours(n, index)
        mixed = nj * p
        # the self entry of every row: n_i and p_i|i = position(0) = b (the RBF's self entry
        # is zero), read without slicing the (B, C, K+1, F) tensors (a strided slice of them,
        # and its gradient, cost more than the attention on MindSpore's CPU backend)
        own = gather_pairs(n, index[:, :, 0])
        # keys = values = LN(mixed) rows, applied inside the attention without forming them
        out, attention = self.attention.attend_normalised(self.norm(own * self.position.bias),
                                                          mixed, weights, self.norm.eps)
        # residual from the centre beads: index may list a chunk of them (C <= N rows, see
        # cgmolct.readouts.chunked); for all beads it equals n
        return own + out, attention


class InteractionUnit(nn.Cell):
    """NIU: an EA block repeated with shared weights, time embedding and ACT.

    Returns (n (B, N, F), attention (B, N, H, K+1), n_updates (B, N), remainders (B, N)).
    """

    def __init__(self, dim: int, n_heads: int, n_basis: int, max_cycles: int,
                 max_inference_cycles: int, act_threshold: float, fixed_cycles: bool):
        super().__init__()
        self.ea = EgoAttention(dim, n_heads, n_basis)
        self.max_cycles = int(max_cycles)
        self.max_inference_cycles = int(max_inference_cycles)
        self.act_threshold = float(act_threshold)
        self.fixed_cycles = bool(fixed_cycles)
        self.plain = self.max_cycles == 1 and self.max_inference_cycles == 1
        cap = max(self.max_cycles, self.max_inference_cycles)
        self.time_table = Tensor(sinusoidal_table(cap, dim))
        if not self.plain and not self.fixed_cycles:
            self.ponder = PonderNet(dim)

    def construct(self, n, rbf, index, weights, atom_mask):
        mask = ops.cast(atom_mask, n.dtype)
        if self.plain:
            n, attention = self.ea(n, rbf, index, weights)
            return n, attention, mask, mask * 0.0
        embedded = self.ea.position(rbf)   # one position embedding for all cycles
        if self.fixed_cycles:
            attention = None
            for t in range(self.max_cycles):
                n, attention = self.ea.attend(n + self.time_table[t], embedded, index, weights)
            return n, attention, mask * float(self.max_cycles), mask * 0.0
        cycles = self.max_cycles if self.training else self.max_inference_cycles
        running = mask
        halting = mask * 0.0
        remainders = mask * 0.0
        n_updates = mask * 0.0
        state = n
        attention = None
        for t in range(cycles):
            x = state + self.time_table[t]
            p = self.ponder(x)
            w, running, halting, remainders, n_updates = act_step(
                p, running, halting, remainders, n_updates, self.act_threshold, t == cycles - 1)
            new, att = self.ea.attend(x, embedded, index, weights)
            state = new * w[..., None] + state * (1.0 - w[..., None])
            # ACT update weights of a bead sum to 1 over its cycles: the attention reported
            # is their weighted mean over cycles
            if t == 0:
                attention = att * w[:, :, None, None]
            else:
                attention = attention + att * w[:, :, None, None]
        return state, attention, n_updates, remainders


#: Paper configurations (Table 1): keyword arguments of :class:`MolCT`.
PRESETS = {
    "EA1": dict(n_interactions=1, max_cycles=1),
    "EA3": dict(n_interactions=3, max_cycles=1),
    "NIU1": dict(n_interactions=1, max_cycles=3),
    "NIU3": dict(n_interactions=3, max_cycles=3),
    "NIU6": dict(n_interactions=6, max_cycles=3),
}


@register
class MolCT(RepresentationModel):
    """Molecular Configuration Transformer (see the module docstring for the equations).

    Parameters
    ----------
    dim : int
        Feature size F (default 128).
    n_heads : int
        Attention heads (default 8; ``dim`` must be divisible by it).
    n_interactions : int
        Number of interaction blocks with separate weights (default 3).
    max_cycles : int
        Cycles per block in training (1 = plain EA block; default 1).
    max_inference_cycles : int, optional
        ACT cycle cap at inference (``model.set_train(False)``); default ``max_cycles``.
    act_threshold : float
        ACT halting threshold (default 0.9).
    fixed_cycles : bool
        Run every block exactly ``max_cycles`` times (no ACT): required for energies used
        in MD, where ACT would make the potential jump.
    use_rme : bool
        Use the relational embedding (RME) over bonds / sequence relations (default True).
    dim_relation : int
        Size of the relation-code embedding (default 32).
    r_cut : float
        Cutoff in Å (default 10).
    rbf : str
        ``"log_gaussian"`` (default), ``"gaussian"`` or ``"exponential"``.
    cutoff : str
        ``"smooth"`` (default) or ``"cosine"``.
    vocabulary_size, n_relation_codes : int
        Sizes of the type and relation tables (defaults from ``topologies``).

    Inputs
    ------
    The eight arrays of ``keys.MODEL_INPUTS``.

    Returns
    -------
    (B, N, F) node features (zero for padding); with ``set_output_details(True)`` a tuple
    ``(features, attention (B, N, H, K+1) of the last block [self first], n_updates (B, N)
    cycles used summed over blocks, remainders (B, N) summed over blocks)``.
    """

    supports_details = True

    def __init__(self, dim: int = 128, n_heads: int = 8, n_interactions: int = 3,
                 max_cycles: int = 1, max_inference_cycles: Optional[int] = None,
                 act_threshold: float = 0.9, fixed_cycles: bool = False, use_rme: bool = True,
                 dim_relation: int = 32, r_cut: float = 10.0, rbf: str = "log_gaussian",
                 cutoff: str = "smooth", vocabulary_size: int = VOCABULARY_SIZE,
                 n_relation_codes: int = N_RELATION_CODES):
        super().__init__()
        check_dims("MolCT", dim=dim, n_heads=n_heads, n_interactions=n_interactions,
                   max_cycles=max_cycles, dim_relation=dim_relation,
                   vocabulary_size=vocabulary_size, n_relation_codes=n_relation_codes)
        if max_inference_cycles is None:
            max_inference_cycles = max_cycles
        check_dims("MolCT", max_inference_cycles=max_inference_cycles)
        if fixed_cycles and max_inference_cycles != max_cycles:
            raise ModelError("MolCT: fixed_cycles runs exactly max_cycles cycles; "
                             f"max_inference_cycles={max_inference_cycles} != max_cycles={max_cycles}")
        if max_cycles == 1 and max_inference_cycles > 1 and fixed_cycles:
            raise ModelError("MolCT: fixed_cycles with one cycle is a plain EA block")
        if not 0.0 < act_threshold < 1.0:
            raise ModelError(f"MolCT: act_threshold must lie in (0, 1), got {act_threshold}")
        if dim % n_heads:
            raise ModelError(f"MolCT: dim {dim} is not divisible by n_heads {n_heads}")
        self._config = dict(dim=dim, n_heads=n_heads, n_interactions=n_interactions,
                            max_cycles=max_cycles, max_inference_cycles=max_inference_cycles,
                            act_threshold=act_threshold, fixed_cycles=bool(fixed_cycles),
                            use_rme=bool(use_rme), dim_relation=dim_relation, r_cut=r_cut,
                            rbf=rbf, cutoff=cutoff, vocabulary_size=vocabulary_size,
                            n_relation_codes=n_relation_codes)
        self.dim, self.r_cut = int(dim), float(r_cut)
        self.vocabulary_size, self.n_relation_codes = int(vocabulary_size), int(n_relation_codes)
        self.n_heads = int(n_heads)
        self.use_rme = bool(use_rme)
        self.embedding = nn.Embedding(vocabulary_size, dim)
        if self.use_rme:
            self.rme = RelationalEmbedding(dim, n_heads, n_relation_codes, dim_relation)
        self.rbf = make_rbf(rbf, r_cut)
        self.cutoff_fn = make_cutoff(cutoff, r_cut)
        self.blocks = nn.CellList([
            InteractionUnit(dim, n_heads, self.rbf.n_basis, max_cycles, max_inference_cycles,
                            act_threshold, fixed_cycles)
            for _ in range(n_interactions)])

    @classmethod
    def preset(cls, name: str, **overrides) -> "MolCT":
        """A paper configuration by name (EA1, EA3, NIU1, NIU3, NIU6), keywords override."""
        if name not in PRESETS:
            raise ModelError(f"unknown MolCT preset {name!r}; known: {', '.join(PRESETS)}")
        return cls(**{**PRESETS[name], **overrides})

    def embed(self, types, atom_mask, rel_neighbours, rel_codes, rel_mask):
        """Position-independent bead features (B, N, F): type embedding, then RME."""
        z = self.embedding(types)
        if self.use_rme:
            return self.rme(z, rel_neighbours, rel_codes, rel_mask, atom_mask)
        return z

    def interact(self, h, positions, atom_mask, neighbours, neighbour_mask):
        """The geometric part: EA/NIU blocks on features ``h`` from :meth:`embed`."""
        b, n, _ = h.shape
        _, distances = neighbour_vectors(positions, neighbours, neighbour_mask)
        rbf = self.rbf(distances)
        rbf = ops.concat((ops.zeros((b, n, 1, rbf.shape[3]), rbf.dtype), rbf), 2)
        own = ops.broadcast_to(ops.arange(n).astype(neighbours.dtype).reshape(1, n, 1), (b, n, 1))
        index = ops.concat((own, neighbours), 2)
        fade = self.cutoff_fn(distances) * ops.cast(neighbour_mask, positions.dtype)
        weights = ops.concat((ops.cast(atom_mask, positions.dtype)[:, :, None], fade), 2)
        attention = None
        n_updates = ops.zeros((b, n), positions.dtype)
        remainders = ops.zeros((b, n), positions.dtype)
        for block in self.blocks:
            h, attention, steps, rem = block(h, rbf, index, weights, atom_mask)
            n_updates = n_updates + steps
            remainders = remainders + rem
        h = h * ops.cast(atom_mask, h.dtype)[..., None]
        if self.output_details:
            return h, attention, n_updates, remainders
        return h

    def construct(self, types, positions, atom_mask, neighbours, neighbour_mask,
                  rel_neighbours, rel_codes, rel_mask):
        h = self.embed(types, atom_mask, rel_neighbours, rel_codes, rel_mask)
        return self.interact(h, positions, atom_mask, neighbours, neighbour_mask)
