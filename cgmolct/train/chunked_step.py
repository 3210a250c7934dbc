r"""Force-matching training step with memory bounded by a chunk of beads, not by the system.

The whole-graph :class:`~cgmolct.train.step.TrainStep` keeps every ``(B, N, K+1, F)`` tensor of
every EA block for two backward passes (the force, then the parameter gradient through it):
3.3 GB at 1,000 beads and 18 GB at 5,000 beads for MolCT EA3.  This step computes the same
loss and the same gradients layer by layer, over chunks of C centre beads, keeping only the
``(B, N, F)`` states between layers.

Notation: ``h^{l+1} = Φ_l(h^l, R)`` are the EA applications (l = 0 … L−1; a NIU with fixed
cycles gives one application per cycle), ``E = head(h^L)``, ``g^l = ∂E/∂h^l`` the force sweep
(:meth:`cgmolct.readouts.chunked.ChunkedEnergyForces.sweep`), ``F = −Σ_l J_R Φ_lᵀ g^{l+1}``.
With ``u = ∂L/∂F`` and ``ê = ∂L/∂E`` from the loss, reverse-mode over the force sweep is:

1. **adjoints of the force sweep**, l = 0 … L−1 (``ĝ^0 = 0``):
   ``ĝ^{l+1} = ∂S_l/∂g^{l+1}`` with ``S_l = ⟨ĝ^l, J_hΦ_lᵀ g^{l+1}⟩ − ⟨u, J_RΦ_lᵀ g^{l+1}⟩``;
2. **head**: ``T = ⟨ĝ^L, ∇_h E(h^L)⟩ + ê E(h^L)``: ``ĥ^L = ∂T/∂h^L`` and the readout's gradient;
3. **layers**, l = L−1 … 0: ``T_l = ⟨ĥ^{l+1}, Φ_l⟩ + S_l``: ``ĥ^l = ∂T_l/∂h^l`` and the block's
   gradient ``∂T_l/∂θ_l``;
4. **embedding** (type embedding, RME): ``⟨ĥ^0, h^0⟩`` differentiated by its weights.

Every term is a sum over chunks of centre beads (a chunk's rows of Φ_l depend on the chunk
and its neighbours only), so each compiled cell sees a ``(B, C, K+1, F)`` slice; gradients of
the parameters are accumulated in-graph into buffers, and one compiled update applies them with
the same clipping, finite check and optimiser as :class:`~cgmolct.train.step.TrainStep`.  The
result equals the whole-graph step up to float rounding (tested).  Cost: the forward of each
layer is recomputed in the force sweep and twice more in the gradient sweep; measured 1.7-2.0×
the time of the whole-graph step for MolCT EA3 at 1,000-5,000 beads; memory 0.9 GB at 1,000 beads
and 1.5 GB at 5,000 with chunks of 64 (whole graph: 3.6 and 20 GB; ``benchmarks/results/training.md``).
Several EA blocks run through one shared cell (:meth:`ChunkedEnergyForces.load`), so the compiled
graphs, tens of MB each, exist once rather than once per block.

Works for force losses (``ForceObjective`` and ``EnergyForceObjective``) of an
:class:`~cgmolct.readouts.energy.EnergyForceModel` with a MolCT of plain EA blocks or fixed
cycles; other objectives and models are refused with :class:`~cgmolct.errors.TrainingError`.
"""
from __future__ import annotations

from typing import Dict, List

import numpy as np
from mindspore import Parameter, ParameterTuple, Tensor, nn, ops

from ..errors import ModelError, TrainingError
from ..readouts.chunked import ChunkedEnergyForces, Compiled, chunk_rows
from .step import GuardedUpdate

__all__ = ["ChunkedTrainStep", "chunked_predict"]


class _Accumulate(nn.Cell):
    """Base: a cell that adds the gradients of its weights into accumulator parameters."""

    def __init__(self, weights, accumulators):
        super().__init__(auto_prefix=False)
        self.weights = ParameterTuple(weights)
        self.accumulators = ParameterTuple(accumulators)

    def _add(self, grads, out):
        for acc, g in zip(self.accumulators, grads):
            out = ops.depend(out, ops.assign_add(acc, g))
        return out


class _ForceAdjoint(nn.Cell):
    """S = ⟨ĝ, J_hΦᵀ s⟩ + ⟨u⁻, J_RΦᵀ s⟩ for one chunk (u⁻ = −∂L/∂F), a scalar."""

    def __init__(self, vjp):
        super().__init__(auto_prefix=False)
        self.vjp = vjp

    def construct(self, h, positions, time, centres, centre_mask, nbrs, nbr_mask, sens,
                  g_hat, u_neg):
        dh, dr = self.vjp(h, positions, time, centres, centre_mask, nbrs, nbr_mask, sens)
        return (dh * g_hat).sum() + (dr * u_neg).sum()


class _AdjointStep(nn.Cell):
    """Pass 1 for one chunk: ∂S/∂s, the chunk's rows of ĝ^{l+1} (B, C, F)."""

    def __init__(self, adjoint: _ForceAdjoint):
        super().__init__(auto_prefix=False)
        self.adjoint = adjoint

    def construct(self, h, positions, time, centres, centre_mask, nbrs, nbr_mask, sens,
                  g_hat, u_neg):
        return ops.grad(self.adjoint, grad_position=7)(h, positions, time, centres, centre_mask,
                                                       nbrs, nbr_mask, sens, g_hat, u_neg)


class _LayerObjective(nn.Cell):
    """T = ⟨ĥ_c, Φ_c(h)⟩ + S for one chunk, a scalar."""

    def __init__(self, chunk, adjoint: _ForceAdjoint):
        super().__init__(auto_prefix=False)
        self.chunk = chunk
        self.adjoint = adjoint

    def construct(self, h, positions, time, centres, centre_mask, nbrs, nbr_mask, sens,
                  g_hat, u_neg, h_hat):
        out = self.chunk(h, positions, time, centres, centre_mask, nbrs, nbr_mask)
        return (out * h_hat).sum() + self.adjoint(h, positions, time, centres, centre_mask, nbrs,
                                                  nbr_mask, sens, g_hat, u_neg)


class _LayerStep(_Accumulate):
    """Pass 3 for one chunk: ∂T/∂h (B, N, F); ∂T/∂θ added to the accumulators."""

    def __init__(self, objective: _LayerObjective, weights, accumulators):
        super().__init__(weights, accumulators)
        self.objective = objective

    def construct(self, h, positions, time, centres, centre_mask, nbrs, nbr_mask, sens,
                  g_hat, u_neg, h_hat):
        d_h, grads = ops.grad(self.objective, grad_position=0, weights=self.weights)(
            h, positions, time, centres, centre_mask, nbrs, nbr_mask, sens, g_hat, u_neg, h_hat)
        return self._add(grads, d_h)


class _HeadObjective(nn.Cell):
    """T = ⟨ĝ^L, ∂E/∂h⟩ + Σ_b ê_b E_b of the last state, a scalar."""

    def __init__(self, head_grad):
        super().__init__(auto_prefix=False)
        self.head_grad = head_grad

    def construct(self, h, types, atom_mask, g_hat, e_hat):
        energy, g = self.head_grad(h, types, atom_mask)
        return (g * g_hat).sum() + (energy * e_hat).sum()


class _HeadStep(_Accumulate):
    """Pass 2: ĥ^L (B, N, F); the readout's gradient added to the accumulators."""

    def __init__(self, objective: _HeadObjective, weights, accumulators):
        super().__init__(weights, accumulators)
        self.objective = objective

    def construct(self, h, types, atom_mask, g_hat, e_hat):
        d_h, grads = ops.grad(self.objective, grad_position=0, weights=self.weights)(
            h, types, atom_mask, g_hat, e_hat)
        return self._add(grads, d_h)


class _EmbedStep(_Accumulate):
    """Pass 4: the gradient of ⟨ĥ^0, embed(...)⟩ by the embedding's weights, accumulated."""

    def __init__(self, embed, weights, accumulators):
        super().__init__(weights, accumulators)
        self.embed = embed
        self.grad = ops.GradOperation(get_by_list=True, sens_param=True)

    def construct(self, types, atom_mask, rel_nbrs, rel_codes, rel_mask, h_hat):
        grads = self.grad(self.embed, self.weights)(types, atom_mask, rel_nbrs, rel_codes,
                                                     rel_mask, h_hat)
        return self._add(grads, h_hat.sum())


class _LossOf(nn.Cell):
    """The objective's loss (a scalar) on predicted energies (B,) and forces (B, N, 3)."""

    def __init__(self, objective, with_energy: bool):
        super().__init__(auto_prefix=False)
        self.loss = objective.loss
        self.with_energy = with_energy
        self.inv_scale = 1.0 if with_energy else float(objective.inv_scale)

    def construct(self, energy, forces, atom_mask, target_energy, target_forces):
        mask = atom_mask.astype(forces.dtype)
        if self.with_energy:
            return self.loss(energy, target_energy, forces, target_forces, mask)
        return self.loss(forces * self.inv_scale, target_forces * self.inv_scale, mask)


class _LossGrad(nn.Cell):
    """(loss, ∂L/∂E (B,), ∂L/∂F (B, N, 3)) of :class:`_LossOf`."""

    def __init__(self, loss_of: _LossOf):
        super().__init__(auto_prefix=False)
        self.loss_of = loss_of

    def construct(self, energy, forces, atom_mask, target_energy, target_forces):
        loss, (d_e, d_f) = ops.value_and_grad(self.loss_of, grad_position=(0, 1))(
            energy, forces, atom_mask, target_energy, target_forces)
        return loss, d_e, d_f


class _Apply(nn.Cell):
    """Global norm, finite check, clipping and the optimiser update from the accumulators,
    which are then zeroed; returns (loss, grad_norm) as :class:`TrainStep` does."""

    def __init__(self, optimizer, accumulators, clip: float):
        super().__init__(auto_prefix=False)
        self.update = GuardedUpdate(optimizer, clip)
        self.accumulators = ParameterTuple(accumulators)

    def construct(self, lr, loss):
        grads = ()
        for acc in self.accumulators:
            grads = grads + (acc * 1.0,)
        loss, norm = self.update(lr, loss, grads)
        for acc in self.accumulators:
            loss = ops.depend(loss, ops.assign(acc, ops.zeros_like(acc)))
        return loss, norm


class ChunkedTrainStep:
    """One force-matching optimisation step over chunks of beads (see the module docstring).

    Parameters
    ----------
    objective : ForceObjective or EnergyForceObjective
        Around an :class:`~cgmolct.readouts.energy.EnergyForceModel` whose representation is a
        MolCT with plain EA blocks or fixed cycles (``model_returns_forces=True``).
    optimizer : mindspore.nn.Optimizer
        Built on the model's trainable parameters.
    clip : float
        Clip gradients to this global norm (≤ 0: off).
    chunk_size : int
        Centre beads per chunk C; memory grows with C·(K+1)·F.

    Call
    ----
    ``step(lr, *inputs) -> (loss, grad_norm)`` with the objective's ``INPUTS``, like
    :class:`~cgmolct.train.step.TrainStep`; the update is skipped when loss or norm is not
    finite.  Each cell compiles once per (B, N, C, K).
    """

    def __init__(self, objective, optimizer, clip: float = 0.0, chunk_size: int = 256):
        from .distributed import world
        from .objective import EnergyForceObjective, ForceObjective

        if not isinstance(objective, (ForceObjective, EnergyForceObjective)):
            raise TrainingError(f"the chunked training step trains force losses (task 'forces' or "
                                f"'energy_forces'); got {type(objective).__name__}")
        if not objective.predict.returns_forces:
            raise TrainingError("the chunked training step needs an EnergyForceModel objective "
                                "(model_returns_forces=True)")
        if world()[1] > 1:
            raise TrainingError("the chunked training step runs in one process (no data parallel)")
        model = objective.predict.model
        try:
            self.chunked = ChunkedEnergyForces(model, chunk_size)
        except ModelError as err:
            raise TrainingError(f"training.chunk_size: {err}") from err
        self.objective = objective
        self.inputs = tuple(objective.INPUTS)
        self.with_energy = isinstance(objective, EnergyForceObjective)
        trainable = list(optimizer.parameters)
        self._accumulators: Dict[int, Parameter] = {
            id(p): Parameter(Tensor(np.zeros(p.shape, np.float32)), name=f"chunked_grad.{p.name}",
                             requires_grad=False) for p in trainable}
        covered: List = []

        def own(params):
            params = [p for p in params if id(p) in self._accumulators]
            covered.extend(id(p) for p in params)
            return params, [self._accumulators[id(p)] for p in params]

        chunked = self.chunked
        # the layers' cells compute with the shared EA cell's weights when the model has several
        # blocks (ChunkedEnergyForces.load): their gradients go to its own accumulators first
        # and are moved to the block's after each layer (_flush)
        shared = chunked.shared_ea
        self._shared_accumulators = [] if shared is None else [
            Parameter(Tensor(np.zeros(p.shape, np.float32)), name=f"chunked_grad.{p.name}",
                      requires_grad=False) for p in shared.get_parameters()]
        self._layer_steps, self._adjoint_steps = [], []
        done = {}
        for layer in chunked.layers:
            if shared is not None:
                covered.extend(id(p) for p in layer.ea.get_parameters() if id(p) in self._accumulators)
            if id(layer.chunk) not in done:  # one set of steps per chunk cell
                adjoint = _ForceAdjoint(layer.vjp)
                if shared is None:
                    weights, accs = own(layer.chunk.ea.trainable_params())
                else:
                    weights, accs = list(shared.get_parameters()), self._shared_accumulators
                done[id(layer.chunk)] = (
                    Compiled(_AdjointStep(adjoint)),
                    Compiled(_LayerStep(_LayerObjective(layer.chunk, adjoint), weights, accs)))
            self._adjoint_steps.append(done[id(layer.chunk)][0])
            self._layer_steps.append(done[id(layer.chunk)][1])
        weights, accs = own(chunked._embed.trainable_params())
        self._embed_step = Compiled(_EmbedStep(chunked._embed, weights, accs))
        weights, accs = own(model.readout.trainable_params())
        self._head_step = Compiled(_HeadStep(_HeadObjective(chunked._head_grad), weights, accs))
        missing = [p.name for p in trainable if id(p) not in set(covered)]
        if missing:
            raise TrainingError(f"the chunked training step cannot reach the parameters {missing[:5]}")
        self._loss_grad = Compiled(_LossGrad(_LossOf(objective, self.with_energy)))
        self._apply = Compiled(_Apply(optimizer, [self._accumulators[id(p)] for p in trainable], clip))

    def __call__(self, lr, *inputs):
        named = dict(zip(self.inputs, inputs))
        from ..data import keys as K

        sweep = self.chunked.sweep([named[k] for k in K.MODEL_INPUTS])
        target_f = named[K.FORCES]
        target_e = named[K.ENERGY] if self.with_energy else sweep.energy
        loss, e_hat, u = self._loss_grad(sweep.energy, Tensor(sweep.forces), sweep.atom_mask,
                                         target_e, target_f)
        u_neg = Tensor(-u.asnumpy())
        positions, chunks, states, adjoints = sweep.positions, sweep.chunks, sweep.states, sweep.adjoints
        layers = self.chunked.layers
        n_layers = len(layers)
        shape = tuple(states[0].shape)
        # 1. adjoints of the force sweep, first layer to last
        g_hats = [np.zeros(shape, np.float32)]
        for l, (layer, step) in enumerate(zip(layers, self._adjoint_steps)):
            self.chunked.load(layer)
            time = layer.time
            nxt = np.zeros(shape, np.float32)
            g_hat = Tensor(g_hats[l])
            for start, stop, arrays in chunks:
                rows = step(states[l], positions, time, *arrays,
                            Tensor(chunk_rows(adjoints[l + 1], start, stop, arrays)), g_hat, u_neg)
                nxt[:, start:stop] = rows.asnumpy()[:, :stop - start]
            g_hats.append(nxt)
        # 2. head
        h_hat = self._head_step(states[n_layers], sweep.types, sweep.atom_mask,
                                Tensor(g_hats[n_layers]), e_hat).asnumpy()
        # 3. layers, last to first
        for l in reversed(range(n_layers)):
            self.chunked.load(layers[l])
            time = layers[l].time
            g_hat = Tensor(g_hats[l])
            below = np.zeros(shape, np.float32)
            for start, stop, arrays in chunks:
                below += self._layer_steps[l](
                    states[l], positions, time, *arrays,
                    Tensor(chunk_rows(adjoints[l + 1], start, stop, arrays)), g_hat, u_neg,
                    Tensor(chunk_rows(h_hat, start, stop, arrays))).asnumpy()
            h_hat = below
            self._flush(layers[l])
        # 4. embedding
        self._embed_step(sweep.types, sweep.atom_mask, *sweep.relations, Tensor(h_hat))
        return self._apply(lr, loss)

    def _flush(self, layer) -> None:
        """Move the shared EA cell's accumulated gradients to the accumulators of ``layer.ea``."""
        if not self._shared_accumulators:
            return
        for acc, param in zip(self._shared_accumulators, layer.ea.get_parameters()):
            if id(param) in self._accumulators:
                ops.assign_add(self._accumulators[id(param)], acc)
            ops.assign(acc, ops.zeros_like(acc))


def chunked_predict(step: ChunkedTrainStep):
    """Validation predict of a chunked step: eight model inputs → (energy, forces) tensors,
    from the step's own :class:`~cgmolct.readouts.ChunkedEnergyForces` (bounded memory)."""

    def predict(*inputs):
        energy, forces = step.chunked(*inputs)
        return Tensor(energy), Tensor(forces)

    return predict
