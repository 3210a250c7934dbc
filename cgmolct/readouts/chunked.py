r"""Energy and forces of large systems, evaluated over chunks of beads (inference only).

Autodiff of the whole MolCT graph keeps every ``(B, N, K+1, F)`` tensor of every EA block
for the backward pass, so memory grows with ``N·K·F·n_blocks`` (about 18 KB per padded
neighbour slot at dim 128 with three blocks: 11 GB at 5,000 beads).  Here the same
energy and forces are computed layer by layer:

* forward: ``h⁰`` = embedding (+ RME; independent of positions), then each EA application
  ``h^{l+1}_c = EA_l(h^l, R)_c`` for chunks ``c`` of ``chunk_size`` centre beads — only a
  ``(B, C, K+1, F)`` slice exists at a time, the ``(B, N, F)`` states are kept;
* ``E = Σ_i y(h^L_i)`` and ``g^L = ∂E/∂h^L`` from the node readout;
* backward, from the last application to the first: for each chunk the vector-Jacobian
  product of ``EA_l(·, ·)_c`` with ``g^{l+1}_c`` (the chunk is recomputed) adds into
  ``g^l = ∂E/∂h^l`` and ``∂E/∂R``; the forces are ``F = −∂E/∂R``.

This is exact (the chain rule over the layers; the sum over chunks is the sum over beads),
so energies and forces equal :class:`~cgmolct.readouts.energy.EnergyForceModel` up to float
rounding.  Peak memory is set by the chunk, not the system: ``O(C·(K+1)·F)`` plus
``O(N·F)`` per layer state.  Cost: one extra forward pass per EA application.

Works for :class:`~cgmolct.models.MolCT` with plain EA blocks (``max_cycles=1``) or fixed
cycles (the smooth potentials used for MD).  Adaptive cycles (ACT) and other
representations are refused with :class:`~cgmolct.errors.ModelError`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

import numpy as np
import mindspore as ms
from mindspore import Tensor, nn, ops

from ..data import keys
from ..errors import ModelError
from ..models.base import check_model_inputs
from ..nn.geometry import SAFE_DISTANCE, gather_neighbours, gather_pairs
from .energy import EnergyForceModel

__all__ = ["ChunkedEnergyForces", "ChunkedLayer", "ChunkedSweep", "Compiled", "DEFAULT_CHUNK_SIZE", "chunk_rows"]

#: Centre beads per chunk: about 13 MB per (C, K+1, F) tensor at K = 96, F = 128 (measured
#: peak 1.4 GB for MolCT EA3 at 5,000 beads).
DEFAULT_CHUNK_SIZE = 256


class _Embed(nn.Cell):
    """h⁰ (B, N, F): type embedding, then RME when the model uses it."""

    def __init__(self, rep):
        super().__init__(auto_prefix=False)  # shared cells keep their parameter names
        self.embedding = rep.embedding
        self.use_rme = rep.use_rme
        if self.use_rme:
            self.rme = rep.rme

    def construct(self, types, atom_mask, rel_neighbours, rel_codes, rel_mask):
        z = self.embedding(types)
        if self.use_rme:
            return self.rme(z, rel_neighbours, rel_codes, rel_mask, atom_mask)
        return z


class Compiled(nn.Cell):
    """``cell`` run as one compiled graph, compiled once per input shape.

    In PyNative mode each operation of an uncompiled cell is dispatched from Python, which
    made the chunked sweeps several times slower than their compiled cells (and nested
    gradients need a graph).  The wrapped cell stays uncompiled, so it can also be part of
    other graphs.
    """

    def __init__(self, cell: nn.Cell):
        super().__init__(auto_prefix=False)
        self.cell = cell
        if ms.get_context("mode") == ms.PYNATIVE_MODE:
            self.construct = ms.jit(self.construct)

    def construct(self, *inputs):
        return self.cell(*inputs)


class _EAChunk(nn.Cell):
    """One EA application for a chunk of centre beads.

    Inputs: h (B, N, F), positions (B, N, 3) Å, time (F,) added to h (the NIU cycle
    embedding; zeros for a plain block), centres (B, C) int32, centre_mask (B, C) bool,
    neighbours (B, C, K) int32, neighbour_mask (B, C, K) bool.  Returns (B, C, F): the same
    rows as :class:`~cgmolct.models.molct.MolCT` computes for these beads.
    """

    def __init__(self, ea, rbf, cutoff_fn):
        super().__init__(auto_prefix=False)
        self.ea = ea
        self.rbf = rbf
        self.cutoff_fn = cutoff_fn

    def construct(self, h, positions, time, centres, centre_mask, neighbours, neighbour_mask):
        b, c, _ = neighbours.shape
        x = h + time
        vectors = gather_neighbours(positions, neighbours) - gather_pairs(positions, centres)[:, :, None, :]
        d2 = (vectors * vectors).sum(-1)
        d2 = ops.where(neighbour_mask, d2, ops.ones_like(d2) * SAFE_DISTANCE)
        distances = ops.sqrt(d2)
        rbf = self.rbf(distances)
        rbf = ops.concat((ops.zeros((b, c, 1, rbf.shape[3]), rbf.dtype), rbf), 2)
        index = ops.concat((centres[:, :, None], neighbours), 2)
        fade = self.cutoff_fn(distances) * ops.cast(neighbour_mask, distances.dtype)
        weights = ops.concat((ops.cast(centre_mask, distances.dtype)[:, :, None], fade), 2)
        out, _ = self.ea(x, rbf, index, weights)
        return out


class _EAChunkVJP(nn.Cell):
    """(∂/∂h, ∂/∂R) of ``Σ sens ⊙ _EAChunk(...)``: (B, N, F) and (B, N, 3)."""

    def __init__(self, chunk):
        super().__init__(auto_prefix=False)
        self.chunk = chunk
        self.grad = ops.GradOperation(get_all=True, sens_param=True)

    def construct(self, h, positions, time, centres, centre_mask, neighbours, neighbour_mask,
                  sens):
        g = self.grad(self.chunk)(h, positions, time, centres, centre_mask, neighbours,
                                  neighbour_mask, sens)
        return g[0], g[1]


class _Head(nn.Cell):
    """Energy (B,) kcal/mol from the last state (padding zeroed as in MolCT)."""

    def __init__(self, readout):
        super().__init__(auto_prefix=False)
        self.readout = readout

    def construct(self, h, types, atom_mask):
        h = h * ops.cast(atom_mask, h.dtype)[..., None]
        return self.readout(h, types, atom_mask)[:, 0]


class _HeadGrad(nn.Cell):
    """(energy (B,), ∂E/∂h (B, N, F)); molecules are independent, so ∂Σ_b E_b/∂h is per molecule."""

    def __init__(self, head):
        super().__init__(auto_prefix=False)
        self.head = head
        self.grad = ops.GradOperation()

    def construct(self, h, types, atom_mask):
        return self.head(h, types, atom_mask), self.grad(self.head)(h, types, atom_mask)


class ChunkedEnergyForces:
    """Energy and forces of an :class:`EnergyForceModel` with bounded memory (see module doc).

    Parameters
    ----------
    model : EnergyForceModel
        With a MolCT representation of plain EA blocks or ``fixed_cycles=True``.
    chunk_size : int
        Centre beads per chunk C (default :data:`DEFAULT_CHUNK_SIZE`).  Activation memory
        is proportional to C·(K+1)·dim; GRAPH mode compiles once per (B, N, C, K).

    Call
    ----
    ``energy, forces = ChunkedEnergyForces(model)(*inputs)`` with the eight arrays of
    ``keys.MODEL_INPUTS`` (numpy arrays or tensors) returns numpy arrays: energy (B,)
    kcal/mol and forces (B, N, 3) kcal/mol/Å (zero on padded beads).

    Raises
    ------
    ModelError
        Not an EnergyForceModel, a representation other than MolCT, adaptive cycles (ACT),
        a bad ``chunk_size`` or inputs that break the batch contract.
    """

    def __init__(self, model: EnergyForceModel, chunk_size: int = DEFAULT_CHUNK_SIZE):
        from ..models.molct import EgoAttention, MolCT

        if not isinstance(model, EnergyForceModel):
            raise ModelError(f"ChunkedEnergyForces needs an EnergyForceModel, got "
                             f"{type(model).__name__}")
        rep = model.representation
        if not isinstance(rep, MolCT):
            raise ModelError(f"ChunkedEnergyForces supports MolCT representations; got "
                             f"{type(rep).__name__} (use the EnergyForceModel itself)")
        if not isinstance(chunk_size, (int, np.integer)) or isinstance(chunk_size, bool) \
                or chunk_size < 1:
            raise ModelError(f"chunk_size must be a positive integer, got {chunk_size!r}")
        blocks = list(rep.blocks)
        for block in blocks:
            if not (block.plain or block.fixed_cycles):
                raise ModelError("ChunkedEnergyForces needs a smooth potential: MolCT with "
                                 "max_cycles=1 or fixed_cycles=True (adaptive ACT cycles are not "
                                 "differentiable across cycle changes)")
        # Several blocks run through one shared EA cell whose weights are loaded per layer:
        # one set of compiled graphs instead of one per block (each costs tens of MB resident)
        self._shared_ea = None
        self._loaded = None
        if len(blocks) > 1:
            self._shared_ea = EgoAttention(rep.dim, rep.n_heads, rep.rbf.n_basis)
            for param in self._shared_ea.get_parameters():
                param.name = "chunked_shared." + param.name
        zeros = Tensor(np.zeros(rep.dim, np.float32))
        layers = []
        for block in blocks:
            if self._shared_ea is None or not layers:
                ea = block.ea if self._shared_ea is None else self._shared_ea
                chunk = _EAChunk(ea, rep.rbf, rep.cutoff_fn)
                vjp = _EAChunkVJP(chunk)
            times = [zeros] if block.plain else [block.time_table[t] for t in range(block.max_cycles)]
            layers.extend(ChunkedLayer(chunk, vjp, time, block.ea) for time in times)
        self.model = model
        self.chunk_size = int(chunk_size)
        self._embed = _Embed(rep)
        self._head_grad = _HeadGrad(_Head(model.readout))
        self._layers = layers
        # compiled runners of the sweeps (layers sharing a chunk cell share its runners)
        self._runners = {}
        for cell in [c for layer in layers for c in (layer.chunk, layer.vjp)] + [self._embed, self._head_grad]:
            self._runners.setdefault(id(cell), Compiled(cell))

    @property
    def layers(self) -> list:
        """The EA applications in order (:class:`ChunkedLayer`; one per NIU cycle)."""
        return self._layers

    @property
    def shared_ea(self):
        """The EA cell all layers compute with when the model has several blocks, else None."""
        return self._shared_ea

    def load(self, layer: "ChunkedLayer") -> None:
        """Make ``layer.chunk`` compute with the weights of ``layer.ea``.

        A no-op for a single block; with several blocks, their weights are copied into the
        shared cell when the block changes.  Call :meth:`unload` after the weights change
        (an optimiser step) so that the next call copies them again.
        """
        if self._shared_ea is None or self._loaded is layer.ea:
            return
        for dst, src in zip(self._shared_ea.get_parameters(), layer.ea.get_parameters()):
            ops.assign(dst, src)
        self._loaded = layer.ea

    def unload(self) -> None:
        """Forget which block's weights the shared cell holds (see :meth:`load`)."""
        self._loaded = None

    def _run(self, cell: nn.Cell) -> Compiled:
        """The compiled runner of one of the sweep's cells."""
        return self._runners[id(cell)]

    def _chunks(self, atom_mask: np.ndarray, neighbours: np.ndarray, neighbour_mask: np.ndarray):
        """(start, stop, tensors) per chunk; the last chunk is padded to C rows."""
        b, n, k = neighbours.shape
        c = min(self.chunk_size, n)
        out = []
        for start in range(0, n, c):
            stop = min(start + c, n)
            rows = stop - start
            centres = np.zeros((b, c), np.int32)
            centres[:, :rows] = np.arange(start, stop, dtype=np.int32)
            cmask = np.zeros((b, c), bool)
            cmask[:, :rows] = atom_mask[:, start:stop]
            nb = np.zeros((b, c, k), np.int32)
            nb[:, :rows] = neighbours[:, start:stop]
            nmask = np.zeros((b, c, k), bool)
            nmask[:, :rows] = neighbour_mask[:, start:stop]
            out.append((start, stop, (Tensor(centres), Tensor(cmask), Tensor(nb), Tensor(nmask))))
        return out

    def __call__(self, *inputs) -> Tuple[np.ndarray, np.ndarray]:
        sweep = self.sweep(inputs)
        return sweep.energy.asnumpy(), sweep.forces

    def sweep(self, inputs) -> "ChunkedSweep":
        """The forward and backward sweeps, keeping every layer's state and adjoint.

        Returns a :class:`ChunkedSweep`: the energy, the forces and what a training step
        needs to differentiate them again (:class:`cgmolct.train.chunked_step.ChunkedTrainStep`).
        """
        check_model_inputs(inputs)
        host = {}
        for name, x in zip(keys.MODEL_INPUTS, inputs):
            host[name] = np.ascontiguousarray(x.asnumpy() if isinstance(x, Tensor) else np.asarray(x))
        types = Tensor(host[keys.TYPES].astype(np.int32))
        positions = Tensor(host[keys.POSITIONS].astype(np.float32))
        atom_mask_np = host[keys.ATOM_MASK].astype(bool)
        atom_mask = Tensor(atom_mask_np)
        chunks = self._chunks(atom_mask_np, host[keys.NEIGHBOURS].astype(np.int32),
                              host[keys.NEIGHBOUR_MASK].astype(bool))
        relations = (Tensor(host[keys.REL_NEIGHBOURS].astype(np.int32)),
                     Tensor(host[keys.REL_CODES].astype(np.int32)),
                     Tensor(host[keys.REL_MASK].astype(bool)))
        run = self._run
        self.unload()  # the weights may have changed since the last sweep
        h = run(self._embed)(types, atom_mask, *relations)
        states = []
        for layer in self._layers:
            self.load(layer)
            states.append(h)
            nxt = np.empty(tuple(h.shape), np.float32)
            for start, stop, arrays in chunks:
                nxt[:, start:stop] = run(layer.chunk)(h, positions, layer.time,
                                                      *arrays).asnumpy()[:, :stop - start]
            h = Tensor(nxt)
        states.append(h)
        energy, g = run(self._head_grad)(h, types, atom_mask)
        g = g.asnumpy()
        adjoints = [g]
        d_pos = np.zeros(tuple(positions.shape), np.float32)
        for layer, h_in in zip(reversed(self._layers), reversed(states[:-1])):
            self.load(layer)
            g_in = np.zeros(tuple(h_in.shape), np.float32)
            for start, stop, arrays in chunks:
                dh, dr = run(layer.vjp)(h_in, positions, layer.time, *arrays,
                                  Tensor(chunk_rows(g, start, stop, arrays)))
                g_in += dh.asnumpy()
                d_pos += dr.asnumpy()
            g = g_in
            adjoints.insert(0, g)
        forces = -d_pos * atom_mask_np[..., None]
        return ChunkedSweep(energy=energy, forces=forces, states=states, adjoints=adjoints,
                            chunks=chunks, types=types, positions=positions, atom_mask=atom_mask,
                            relations=relations)


@dataclass(frozen=True)
class ChunkedLayer:
    """One EA application of the chunked sweep.

    Attributes
    ----------
    chunk : _EAChunk
        The cell computing a chunk's rows (shared by all layers when the model has several
        blocks; see :meth:`ChunkedEnergyForces.load`).
    vjp : _EAChunkVJP
        Its vector-Jacobian product.
    time : Tensor (F,)
        Added to the state before the block (the NIU cycle embedding; zeros for a plain block).
    ea : EgoAttention
        The model's block whose weights this application uses.
    """

    chunk: nn.Cell
    vjp: nn.Cell
    time: Tensor
    ea: nn.Cell


def chunk_rows(full: np.ndarray, start: int, stop: int, arrays) -> np.ndarray:
    """Rows start:stop of a (B, N, ...) array, zero-padded to the chunk's C rows."""
    rows = np.zeros((full.shape[0], arrays[0].shape[1]) + full.shape[2:], np.float32)
    rows[:, :stop - start] = full[:, start:stop]
    return rows


@dataclass
class ChunkedSweep:
    """What :meth:`ChunkedEnergyForces.sweep` computed.

    Attributes
    ----------
    energy : Tensor (B,), kcal/mol
    forces : ndarray (B, N, 3), kcal/mol/Å
    states : list of Tensor (B, N, F)
        ``h⁰ … h^L``: the input of every EA application, then the last state.
    adjoints : list of ndarray (B, N, F)
        ``g^l = ∂E/∂h^l`` for l = 0 … L (``g^0`` unused by the forces).
    chunks : list of (start, stop, (centres, centre_mask, neighbours, neighbour_mask))
    types, positions, atom_mask : Tensor
    relations : (rel_neighbours, rel_codes, rel_mask) tensors
    """

    energy: Tensor
    forces: np.ndarray
    states: list
    adjoints: list
    chunks: list
    types: Tensor
    positions: Tensor
    atom_mask: Tensor
    relations: tuple
