"""BAOAB Langevin dynamics, several steps per compiled call, replicas as the batch axis.

One step (Leimkuhler & Matthews 2013), with a = F / m:

    B  v ← v + (Δt/2) a(x)
    A  x ← x + (Δt/2) v
    O  v ← c₁ v + c₂ ξ,     c₁ = exp(−γ Δt),  c₂ = sqrt((1 − c₁²) k_B T / m),  ξ ~ N(0, 1)
    A  x ← x + (Δt/2) v
    B  v ← v + (Δt/2) a(x)       (one force call per step; the force is carried to the next)

Units: x Å, v Å/ps, Δt ps, γ 1/ps, m amu, k_B T and E kcal/mol, F kcal/mol/Å; the
acceleration F/m in kcal/mol/Å/amu is converted to Å/ps² with :data:`ACCELERATION` = 418.4,
and k_B T / m to Å²/ps² with the same factor.  γ = 0 gives velocity Verlet.

:class:`LangevinLoop` runs ``n_steps`` such steps in one compiled graph (a graph-mode
``while`` loop, so the step count is an input and changing it does not recompile).  The
Gaussian numbers ξ are an input of shape (steps_per_call, B, N, 3), drawn on the host
from a seeded NumPy generator: a run is reproducible bit for bit from its seed, and a
restart only needs the generator's state.  Each step also records, per replica, the first
step with non-finite or absurd values (|F| > ``max_force`` or |v| Δt > ``max_displacement``)
and, for neighbour lists with a skin, the largest displacement since the list was built.
The thermostat scale c₂ is an input per replica and bead, so replicas may sit at different
temperatures (parallel tempering swaps them without recompiling).  The force step is a
:class:`ForceCall`: the position-independent part of a network potential (type embedding,
MolCT's RME) is computed once per call, before the loop.
"""
from __future__ import annotations

import math

import mindspore as ms
import numpy as np
from mindspore import Tensor, nn, ops

from ..errors import InputError
from ..nn.geometry import gather_neighbours
from ..readouts.forces import Forces
from ..units import KB_KCAL_PER_MOL_K

__all__ = ["ACCELERATION", "LangevinLoop", "ForceCall", "baoab_coefficients", "noise_scale"]

#: (kcal/mol/Å)/amu → Å/ps²  (1 kcal/mol = 418.4 amu Å²/ps²).
ACCELERATION = 418.4


def baoab_coefficients(dt: float, friction: float, temperature: float, masses) -> dict:
    """Per-bead constants of one BAOAB step.

    Parameters
    ----------
    dt : float
        Time step in ps (> 0).
    friction : float
        Langevin friction γ in 1/ps (>= 0; 0 gives velocity Verlet).
    temperature : float
        K (> 0).
    masses : (N,) array
        Bead masses in amu (> 0).

    Returns
    -------
    dict
        ``half_kick`` (N,) Δt/2 · 418.4 / m in Å/ps per kcal/mol/Å; ``c1`` exp(−γΔt);
        ``sigma`` (N,) c₂ in Å/ps; ``thermal`` (N,) sqrt(k_B T / m) in Å/ps.
    """
    dt, friction, temperature = float(dt), float(friction), float(temperature)
    if not (math.isfinite(dt) and dt > 0):
        raise InputError(f"time step must be a positive number of ps, got {dt!r}")
    if not (math.isfinite(friction) and friction >= 0):
        raise InputError(f"friction must be a number >= 0 (1/ps), got {friction!r}")
    if not (math.isfinite(temperature) and temperature > 0):
        raise InputError(f"temperature must be a positive number of K, got {temperature!r}")
    m = np.asarray(masses, np.float64)
    if m.ndim != 1 or not np.all(np.isfinite(m)) or np.any(m <= 0):
        bad = np.flatnonzero(~np.isfinite(m) | (m <= 0)) if m.ndim == 1 else []
        where = f" (bead {int(bad[0])} has mass {m[bad[0]]})" if len(bad) else ""
        raise InputError(f"bead masses must be positive numbers of amu{where}")
    kt = KB_KCAL_PER_MOL_K * temperature
    c1 = math.exp(-friction * dt)
    thermal = np.sqrt(kt * ACCELERATION / m)
    return {"half_kick": 0.5 * dt * ACCELERATION / m, "c1": c1,
            "sigma": math.sqrt(max(0.0, 1.0 - c1 * c1)) * thermal, "thermal": thermal}


def noise_scale(dt: float, friction: float, temperatures, masses) -> np.ndarray:
    """c₂ = sqrt((1 − exp(−2γΔt)) k_B T_b / m_i) in Å/ps, shape (B, N, 1) float32.

    ``temperatures`` (B,) K holds each replica's bath temperature (all equal without
    parallel tempering); the result is the ``sigma`` input of :class:`LangevinLoop`.
    """
    t = np.atleast_1d(np.asarray(temperatures, np.float64))
    per_bead = [baoab_coefficients(dt, friction, float(tb), masses)["sigma"] for tb in t]
    return np.stack(per_bead)[:, :, None].astype(np.float32)


class LangevinLoop(nn.Cell):
    """``n_steps`` BAOAB steps of all replicas in one graph.

    Parameters
    ----------
    potential : mindspore.nn.Cell
        ``potential(positions, types, atom_mask, neighbours, neighbour_mask, rel_neighbours,
        rel_codes, rel_mask) -> (B,)`` kcal/mol, e.g. :class:`~cgmolct.simulate.CGPotential`.
    masses : (N,) array, amu
    dt, friction : float
        ps, 1/ps (the temperature enters through the ``sigma`` input).
    cutoff : float, optional
        Å; when given, neighbour entries farther than this are masked at every step (the list
        may hold pairs up to cutoff + skin).
    track_displacement : bool
        Record the largest displacement from ``build_positions`` (neighbour lists with a skin).
    max_force : float
        kcal/mol/Å; a larger |F| on any bead marks the replica as blown up.
    max_displacement : float
        Å; a bead moving farther in one step (|v| Δt) marks the replica as blown up.

    Inputs
    ------
    positions, velocities, forces : (B, N, 3) float32 (Å, Å/ps, kcal/mol/Å)
    energy : (B,) float32 kcal/mol (returned as is when ``n_steps`` is 0)
    noise : (S, B, N, 3) float32 standard normal numbers, S >= n_steps
    sigma : (B, N, 1) float32 Å/ps, c₂ of each replica and bead (:func:`noise_scale`)
    n_steps : int32 scalar tensor
    build_positions : (B, N, 3) float32 Å, positions at the last neighbour-list build
    types, atom_mask, neighbours, neighbour_mask, rel_neighbours, rel_codes, rel_mask
        The other model inputs (:data:`cgmolct.data.keys.MODEL_INPUTS`).

    Returns
    -------
    positions, velocities, forces, energy
        After the last step.
    first_bad : (B,) int32
        Index (0-based, within this call) of the first step at which the replica had
        non-finite or absurd forces or velocities; −1 when none.
    max_force : (B,) float32
        Largest |F| (kcal/mol/Å) on any bead over the call.
    max_shift : (B,) float32
        Largest displacement (Å) of any bead from ``build_positions`` over the call (0 unless
        ``track_displacement``).
    """

    def __init__(self, potential: nn.Cell, masses, dt: float, friction: float, *,
                 cutoff=None, track_displacement: bool = False,
                 max_force: float = 1.0e4, max_displacement: float = 1.0):
        super().__init__()
        c = baoab_coefficients(dt, friction, 300.0, masses)
        self.call = ForceCall(potential, cutoff=cutoff)
        self.half_kick = Tensor(c["half_kick"].reshape(1, -1, 1).astype(np.float32))
        self.c1 = float(c["c1"])
        self.half_dt = 0.5 * float(dt)
        self.track = bool(track_displacement)
        self.max_force2 = float(max_force) ** 2
        self.max_velocity2 = (float(max_displacement) / float(dt)) ** 2

    def construct(self, positions, velocities, forces, energy, noise, sigma, n_steps,
                  build_positions, types, atom_mask, neighbours, neighbour_mask, rel_neighbours, rel_codes,
                  rel_mask):
        x, v, f, e = positions, velocities, forces, energy
        b = x.shape[0]
        first_bad = ops.zeros((b,), ms.int32) - 1
        fmax2 = ops.zeros((b,), x.dtype)
        shift2 = ops.zeros((b,), x.dtype)
        i = ops.zeros((), ms.int32)
        # position-independent features: once per call, not once per step
        features = self.call.features(types, atom_mask, rel_neighbours, rel_codes, rel_mask)
        while i < n_steps:
            v = v + self.half_kick * f
            x = x + self.half_dt * v
            v = self.c1 * v + sigma * noise[i]
            x = x + self.half_dt * v
            e, f = self.call.evaluate(x, features, types, atom_mask, neighbours, neighbour_mask,
                                      rel_neighbours, rel_codes, rel_mask)
            v = v + self.half_kick * f
            f2 = (f * f).sum(-1)
            v2 = (v * v).sum(-1)
            finite = ops.isfinite(f2.sum(-1) + v2.sum(-1) + e)
            f2max = f2.max(-1)
            bad = ops.logical_or(ops.logical_not(finite), ops.logical_or(
                f2max > self.max_force2, v2.max(-1) > self.max_velocity2))
            first_bad = ops.where(ops.logical_and(first_bad < 0, bad), i, first_bad)
            fmax2 = ops.maximum(fmax2, f2max)
            if self.track:
                d = x - build_positions
                shift2 = ops.maximum(shift2, (d * d).sum(-1).max(-1))
            i = i + 1
        return x, v, f, e, first_bad, ops.sqrt(fmax2), ops.sqrt(shift2)


class ForceCall(nn.Cell):
    """Energy and forces of all replicas at once (the start of a run; the force step of loops).

    Same inputs as the model after the positions; with ``cutoff`` the neighbour mask is
    refined to pairs within it.  Returns (energy (B,) kcal/mol, forces (B, N, 3) kcal/mol/Å).

    A loop that moves only the positions calls :meth:`features` once and :meth:`evaluate`
    every step: with a :class:`~cgmolct.simulate.CGPotential` holding a network, the
    position-independent part of the network (type embedding, MolCT's RME) is then computed
    once (``CGPotential.embed`` and ``CGPotential.of_features``); other potentials get
    ``None`` features and the whole potential every step.
    """

    def __init__(self, potential: nn.Cell, *, cutoff=None):
        super().__init__()
        self.potential = potential
        self.hoist = getattr(potential, "of_features", None) is not None
        self.forces = Forces(potential.of_features if self.hoist else potential)
        self.refine = cutoff is not None
        self.cutoff2 = float(cutoff) ** 2 if cutoff is not None else 0.0

    def features(self, types, atom_mask, rel_neighbours, rel_codes, rel_mask):
        """The position-independent input of :meth:`evaluate` (None when there is none)."""
        if self.hoist:
            return self.potential.embed(types, atom_mask, rel_neighbours, rel_codes, rel_mask)
        return None

    def evaluate(self, positions, features, types, atom_mask, neighbours, neighbour_mask,
                 rel_neighbours, rel_codes, rel_mask):
        """Energy and forces at ``positions`` given :meth:`features` of the same inputs."""
        mask = neighbour_mask
        if self.refine:
            d = gather_neighbours(positions, neighbours) - positions[:, :, None, :]
            mask = ops.logical_and(neighbour_mask, (d * d).sum(-1) <= self.cutoff2)
        if self.hoist:
            return self.forces(positions, features, types, atom_mask, neighbours, mask)
        return self.forces(positions, types, atom_mask, neighbours, mask, rel_neighbours,
                           rel_codes, rel_mask)

    def construct(self, positions, types, atom_mask, neighbours, neighbour_mask,
                  rel_neighbours, rel_codes, rel_mask):
        features = self.features(types, atom_mask, rel_neighbours, rel_codes, rel_mask)
        return self.evaluate(positions, features, types, atom_mask, neighbours, neighbour_mask,
                             rel_neighbours, rel_codes, rel_mask)
