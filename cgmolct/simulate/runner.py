"""``Simulation``: batched Langevin replicas of a CG model, with files, restarts and checks.

The host loop only schedules compiled calls of :class:`~cgmolct.simulate.integrator.LangevinLoop`
(``steps_per_call`` steps each, all replicas at once) and looks at three small per-replica
arrays after each call (first bad step, largest force, largest displacement since the last
neighbour-list build).  Positions and velocities come to the host only when a frame is
written, a neighbour list is rebuilt or the state is saved.
"""
from __future__ import annotations

import math
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Sequence, Union

import numpy as np

from ..data.neighbours import DENSE_LIMIT
from ..errors import InputError, SimulationError
from ..units import KB_KCAL_PER_MOL_K, UNITS
from .integrator import ACCELERATION, baoab_coefficients, noise_scale
from .state import SimulationState, load_state, save_state
from .tempering import TemperatureLadder
from .writers import (SETTINGS_FILE, SETTINGS_FORMAT, SETTINGS_VERSION, STATE_FILE,
                      TrajectoryWriter, clear_outputs, read_settings, truncate_outputs)

__all__ = ["Simulation", "RunResult", "saved_max_separation", "DEFAULT_MAX_SEPARATION"]

#: Sequence separation of the relational (RME) pairs when a model records none.
DEFAULT_MAX_SEPARATION = 3


@dataclass
class RunResult:
    """Summary of :meth:`Simulation.run`.

    Attributes
    ----------
    first_step, last_step : int
        Step count before and after the run.
    wall_s : float
        Wall time of the stepping loop (compilation of the first call included).
    replica_steps_per_s : float
        Replicas × steps / wall time.
    ns_per_day : float
        Simulated time of one replica per day of wall time.
    frames : int
        Frames written per replica.
    calls : int
        Compiled calls (including calls redone after a neighbour-list rebuild).
    neighbour_builds : int
        Replica neighbour-list builds (0 for all-pairs lists).
    files : list of str
        Files written (trajectories, energies, state, settings).
    exchange_acceptance : list of float
        Parallel tempering: accepted fraction of the exchanges tried between each pair of
        neighbouring temperatures so far (empty without exchanges).
    """

    first_step: int
    last_step: int
    wall_s: float
    replica_steps_per_s: float
    ns_per_day: float
    frames: int = 0
    calls: int = 0
    neighbour_builds: int = 0
    files: List[str] = field(default_factory=list)
    exchange_acceptance: List[float] = field(default_factory=list)


class _BlowUp(Exception):
    def __init__(self, replicas, steps, max_force):
        super().__init__()
        self.replicas, self.steps, self.max_force = replicas, steps, max_force


def saved_max_separation(model) -> int:
    """``max_separation`` a saved model was trained with (its metadata), else 3.

    ``cgmolct.load`` keeps the saved JSON on the model as ``saved_info``; a model built in
    memory, a CGPotential or priors-only (``None``) get :data:`DEFAULT_MAX_SEPARATION`.
    """
    inner = getattr(model, "model", model)          # a CGPotential holds the network
    info = getattr(inner, "saved_info", None)
    meta = info.get("metadata") if isinstance(info, dict) else None
    value = meta.get("max_separation") if isinstance(meta, dict) else None
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 0:
        return int(value)
    return DEFAULT_MAX_SEPARATION


def _compiled(cell):
    import mindspore as ms

    if ms.get_context("mode") == ms.PYNATIVE_MODE:
        return ms.jit(cell.construct)
    return cell


class _Progress:
    """tqdm bar (steps, with ns/day) on a terminal; silent otherwise."""

    def __init__(self, total: int, dt: float, enabled: Optional[bool]):
        self.bar = None
        self.dt = dt
        if enabled is None:
            enabled = sys.stderr.isatty()
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, unit="step", desc="simulate", file=sys.stderr,
                            dynamic_ncols=True)
        self.t0 = time.perf_counter()
        self.done = 0

    def update(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            elapsed = time.perf_counter() - self.t0
            ns_day = self.done * self.dt * 1e-3 / max(elapsed, 1e-9) * 86400.0
            self.bar.set_postfix_str(f"{ns_day:,.1f} ns/day", refresh=False)
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class Simulation:
    """Langevin (BAOAB) simulation of replicas of one CG system.

    Parameters
    ----------
    model : EnergyForceModel or CGPotential or None
        The trained network (MolCT with fixed cycles, SchNet, PhysNet), a ready
        :class:`~cgmolct.simulate.CGPotential`, or None for priors only.
    graph : topologies.CGGraph
        The system: bead types, bonds/relations, masses and reference frames (replicas start
        from its frames).
    priors : mindspore.nn.Cell, optional
        ``priors(positions (B, N, 3)) -> (B,)`` kcal/mol (a :class:`cgmolct.priors.PriorSet`),
        added to the network energy before the force gradient.
    n_replicas : int
        Replicas simulated together as the batch axis (default 1).
    dt : float
        Time step in ps (default 0.002).
    friction : float
        Langevin friction γ in 1/ps (default 1; 0 = velocity Verlet, NVE).
    temperature : float or sequence of float
        Bath temperature in K (default 300), or one per replica (a ladder for parallel
        tempering with ``exchange_every``).
    exchange_every : int
        Parallel tempering: every this many steps, replicas at neighbouring temperatures try
        to swap temperatures (Metropolis, min(1, exp((β_i − β_j)(E_i − E_j))), even and odd
        pairs in turn; velocities rescaled by sqrt(T_new / T_old)); 0 (default) never.
        Needs one distinct temperature per replica.
    seed : int
        Seed of the NumPy generator that draws the initial velocities (Maxwell–Boltzmann)
        and every Gaussian number of the thermostat.
    masses : float or (N,) array, optional
        Bead masses in amu (default ``graph.masses``; all must be > 0).
    start_frames : sequence of int, optional
        Frame of ``graph`` each replica starts from (default: evenly spread over the frames).
    steps_per_call : int
        Steps per compiled call (default 50); the host sees the state only between calls.
    skin : float
        Neighbour-list skin in Å (default 2; systems above ``dense_limit`` beads only).
    dense_limit : int
        Systems with at most this many beads use fixed all-pairs lists (default 64).
    max_separation : int, optional
        Sequence separation of the relational (RME) pairs, as in training (default: the
        ``max_separation`` recorded in the saved model's metadata, else 3).
    max_force : float
        kcal/mol/Å; a larger force on any bead stops the run (default 1e4).
    max_displacement : float
        Å; a bead moving farther in one step stops the run (default 1).

    Examples
    --------
    >>> sim = Simulation(model, graph, priors=priors, n_replicas=64, seed=1)  # doctest: +SKIP
    >>> sim.run(100_000, output="run1", save_every=500)                       # doctest: +SKIP
    >>> sim.run(100_000, output="run1", save_every=500)      # continues in new DCD parts
    """

    def __init__(self, model, graph, *, priors=None, n_replicas: int = 1, dt: float = 0.002,
                 friction: float = 1.0, temperature: Union[float, Sequence[float]] = 300.0,
                 seed: int = 0,
                 masses=None, start_frames: Optional[Sequence[int]] = None,
                 steps_per_call: int = 50, skin: float = 2.0, dense_limit: int = DENSE_LIMIT,
                 max_separation: Optional[int] = None, max_force: float = 1.0e4,
                 max_displacement: float = 1.0, exchange_every: int = 0):
        from topologies.graph import CGGraph

        from .integrator import ForceCall, LangevinLoop
        from .neighbours import ReplicaNeighbours
        from .potential import CGPotential

        if not isinstance(graph, CGGraph):
            raise InputError(f"Simulation needs a topologies.CGGraph, got {type(graph).__name__}")
        if max_separation is None:
            max_separation = saved_max_separation(model)
        for name, value, low in (("n_replicas", n_replicas, 1), ("steps_per_call", steps_per_call, 1),
                                 ("seed", seed, 0), ("max_separation", max_separation, 0),
                                 ("exchange_every", exchange_every, 0)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
                raise InputError(f"{name} must be an integer >= {low}, got {value!r}")
        for name, value in (("max_force", max_force), ("max_displacement", max_displacement)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise InputError(f"{name} must be a positive number, got {value!r}")
        self.graph = graph
        self.n_replicas, self.n_beads = int(n_replicas), int(graph.n_beads)
        self.dt, self.friction = float(dt), float(friction)
        self.seed, self.steps_per_call = int(seed), int(steps_per_call)
        self.masses = self._masses(masses)
        self._baths = self._temperatures(temperature)           # bath K of each replica
        self.exchange_every = int(exchange_every)
        self.tempering = TemperatureLadder(self._baths) if self.exchange_every else None
        for t in np.unique(self._baths):                         # checks dt, friction, T
            baoab_coefficients(dt, friction, float(t), self.masses)
        self.start_frames = self._start_frames(start_frames)
        if isinstance(model, CGPotential):
            if priors is not None:
                raise InputError("pass priors to CGPotential or to Simulation, not both")
            self.potential = model
        else:
            self.potential = CGPotential(model, priors)
        cutoff = self.potential.r_cut
        self.neighbours = ReplicaNeighbours(self.n_replicas, self.n_beads, cutoff, skin=skin,
                                            dense_limit=dense_limit)
        self._inputs = self._model_inputs(int(max_separation))
        self.loop = LangevinLoop(self.potential, self.masses, dt, friction, cutoff=cutoff,
                                 track_displacement=not self.neighbours.dense,
                                 max_force=max_force, max_displacement=max_displacement)
        self.force_call = ForceCall(self.potential, cutoff=cutoff)
        self._loop_fn = _compiled(self.loop)
        self._force_fn = _compiled(self.force_call)
        self.settings = {"dt_ps": self.dt, "friction_per_ps": self.friction,
                         "temperature_K": (float(self._baths[0]) if np.all(self._baths == self._baths[0])
                                           else [float(t) for t in self._baths]),
                         "exchange_every": self.exchange_every, "seed": self.seed,
                         "n_replicas": self.n_replicas, "n_beads": self.n_beads,
                         "steps_per_call": self.steps_per_call, "skin_A": float(skin),
                         "neighbours": "all pairs" if self.neighbours.dense else "list with skin",
                         "cutoff_A": cutoff, "max_separation": int(max_separation),
                         "max_force": float(max_force), "max_displacement_A": float(max_displacement),
                         "masses_amu": [float(m) for m in self.masses],
                         "start_frames": [int(f) for f in self.start_frames],
                         "integrator": "BAOAB Langevin", "has_model": self.potential.has_model,
                         "has_priors": self.potential.has_priors}
        self.shapes = set()           # input shapes of the compiled loop seen so far
        self.calls = 0
        self.part = -1                # index of the last run piece that wrote files
        self.frames_in_part = 0
        self._restored = False        # state loaded from a file: outputs may need trimming
        self._fresh()

    # ------------------------------------------------------------------ set-up
    @property
    def temperatures(self) -> np.ndarray:
        """(B,) current bath temperature of each replica in K."""
        return self.tempering.temperatures if self.tempering is not None else self._baths

    def _masses(self, masses) -> np.ndarray:
        n = self.n_beads
        if masses is None:
            m = np.asarray(self.graph.masses, np.float64)
        elif np.ndim(masses) == 0:
            m = np.full(n, float(masses))
        else:
            m = np.asarray(masses, np.float64)
        if m.shape != (n,):
            raise InputError(f"masses has shape {m.shape}; expected ({n},) (one per bead) or a number")
        bad = np.flatnonzero(~np.isfinite(m) | (m <= 0))
        if len(bad):
            i = int(bad[0])
            raise InputError(f"bead {i} ({self.graph.names[i]} {self.graph.residue_names[i]} "
                             f"{self.graph.residue_ids[i]}) has mass {m[i]} amu; every bead needs "
                             "a positive mass (pass masses=...)")
        return m

    def _temperatures(self, temperature) -> np.ndarray:
        t = np.asarray(temperature, np.float64)
        if t.ndim == 0:
            t = np.full(self.n_replicas, float(t))
        if t.shape != (self.n_replicas,):
            raise InputError(f"temperature must be one number or one per replica ({self.n_replicas}); "
                             f"got {t.size} values")
        if not np.all(np.isfinite(t)) or np.any(t <= 0):
            raise InputError(f"temperatures must be positive numbers of K, got {t.tolist()}")
        return t

    def _start_frames(self, start_frames) -> np.ndarray:
        nf = self.graph.n_frames
        if start_frames is None:
            return np.linspace(0, nf - 1, self.n_replicas).round().astype(np.int64)
        f = np.asarray(start_frames)
        if f.shape != (self.n_replicas,) or f.dtype.kind not in "iu":
            raise InputError(f"start_frames must hold one frame index per replica "
                             f"({self.n_replicas}); got shape {f.shape}")
        if f.min() < 0 or f.max() >= nf:
            raise InputError(f"start_frames must lie in [0, {nf}) (the graph has {nf} frames)")
        return f.astype(np.int64)

    def _model_inputs(self, max_separation: int) -> dict:
        from ..data.batch import rows_from_pairs
        from ..data.buckets import bucket_capacity

        g, b, n = self.graph, self.n_replicas, self.n_beads
        pairs = np.asarray(g.relational_pairs(max_separation), np.int64).reshape(-1, 2)
        codes = np.asarray(g.relation_codes(pairs), np.int32) if len(pairs) else np.zeros(0, np.int32)
        counts = np.bincount(pairs[:, 0], minlength=n) if len(pairs) else np.zeros(1, np.int64)
        cap = bucket_capacity(int(counts.max()))
        rn, rc, rm = rows_from_pairs(pairs, codes, n, cap)
        model = self.potential.model
        if model is not None:
            rep = model.representation
            t = np.asarray(g.types)
            if t.max() >= rep.vocabulary_size:
                i = int(np.argmax(t))
                raise InputError(f"bead {i} has type {int(t[i])}, beyond the model's vocabulary "
                                 f"of {rep.vocabulary_size} types")
            if len(codes) and codes.max() >= rep.n_relation_codes:
                raise InputError(f"relation code {int(codes.max())} is beyond the model's "
                                 f"{rep.n_relation_codes} codes")

        def rep_b(a):
            return np.ascontiguousarray(np.broadcast_to(a, (b,) + a.shape))

        return {"types": rep_b(np.asarray(g.types, np.int32)), "atom_mask": np.ones((b, n), bool),
                "rel_neighbours": rep_b(rn), "rel_codes": rep_b(rc), "rel_mask": rep_b(rm)}

    def _tensors(self) -> tuple:
        """The fixed model inputs after the positions, as tensors (refreshed on list rebuilds)."""
        from mindspore import Tensor

        i, nb = self._inputs, self.neighbours
        return (Tensor(i["types"]), Tensor(i["atom_mask"]), Tensor(nb.indices), Tensor(nb.mask),
                Tensor(i["rel_neighbours"]), Tensor(i["rel_codes"]), Tensor(i["rel_mask"]))

    def _fresh(self) -> None:
        """Initial state: reference frames, Maxwell–Boltzmann velocities, forces."""
        self._rng = np.random.default_rng(self.seed)
        x = np.asarray(self.graph.positions[self.start_frames], np.float32)
        if not np.all(np.isfinite(x)):
            raise InputError("the start frames of the graph hold non-finite positions")
        thermal = np.sqrt(KB_KCAL_PER_MOL_K * self.temperatures[:, None] * ACCELERATION
                          / self.masses[None, :])
        v = (self._rng.standard_normal((self.n_replicas, self.n_beads, 3))
             * thermal[:, :, None]).astype(np.float32)
        self.neighbours.build(x)
        self.step = 0
        self._set_state(x, v, None, None)

    def _set_state(self, x, v, f, e) -> None:
        from mindspore import Tensor

        self._rest = self._tensors()
        self._build = Tensor(self.neighbours.build_positions)
        self._sigma = Tensor(noise_scale(self.dt, self.friction, self.temperatures, self.masses))
        self._x, self._v = Tensor(np.asarray(x, np.float32)), Tensor(np.asarray(v, np.float32))
        if f is None:
            e, f = self._force_fn(self._x, *self._rest)
            f_host = f.asnumpy()
            if not np.all(np.isfinite(f_host)) or not np.all(np.isfinite(e.asnumpy())):
                r = int(np.argwhere(~np.isfinite(f_host))[0][0]) if not np.all(np.isfinite(f_host)) else 0
                raise SimulationError(f"replica {r}: non-finite energy or forces at the start frame "
                                      f"{int(self.start_frames[r])}")
            self._f, self._e = f, e
        else:
            self._f = Tensor(np.asarray(f, np.float32))
            self._e = Tensor(np.asarray(e, np.float32))

    # ------------------------------------------------------------------ state
    def get_state(self) -> SimulationState:
        """The current state (copied to the host)."""
        meta = dict(self.settings, part=self.part, frames_in_part=self.frames_in_part,
                    bath_temperatures=[float(t) for t in self.temperatures])
        if self.tempering is not None:
            meta.update(self.tempering.state())
        return SimulationState(positions=self._x.asnumpy(), velocities=self._v.asnumpy(),
                               forces=self._f.asnumpy(), potential=self._e.asnumpy(),
                               step=self.step, rng_state=self._rng.bit_generator.state,
                               neighbours=self.neighbours.state(), meta=meta)

    def set_state(self, state: SimulationState) -> None:
        """Continue from ``state`` (e.g. :func:`load_state`); same replicas and beads required."""
        if (state.n_replicas, state.n_beads) != (self.n_replicas, self.n_beads):
            raise InputError(f"restart state has {state.n_replicas} replicas of {state.n_beads} beads; "
                             f"this simulation has {self.n_replicas} of {self.n_beads}")
        for key in ("dt_ps", "friction_per_ps", "temperature_K", "steps_per_call"):
            old = state.meta.get(key)
            if old is not None and old != self.settings[key]:
                warnings.warn(f"restart: {key} was {old}, now {self.settings[key]}; the run does not "
                              "continue the original one exactly", stacklevel=2)
        rng = np.random.default_rng()
        try:
            rng.bit_generator.state = state.rng_state
        except (TypeError, ValueError, KeyError) as exc:
            raise InputError(f"restart state has an unusable random-generator state ({exc})") from None
        self._rng = rng
        if state.neighbours:
            self.neighbours.restore(state.neighbours)
        self.step = int(state.step)
        self.part = int(state.meta.get("part", -1))
        self.frames_in_part = int(state.meta.get("frames_in_part", 0))
        self._restored = True
        if self.tempering is not None and "exchange_attempts" in state.meta:
            self.tempering.restore(state.meta)
        self._set_state(state.positions, state.velocities, state.forces, state.potential)

    def save_state(self, path) -> None:
        """Write the current state atomically (see :mod:`cgmolct.simulate.state`)."""
        save_state(self.get_state(), path)

    def load_state(self, path) -> None:
        """Continue from a state file written by :meth:`save_state` or :meth:`run`."""
        self.set_state(load_state(path))

    # ------------------------------------------------------------------ stepping
    def kinetic(self, velocities: np.ndarray) -> tuple:
        """Kinetic energy (B,) kcal/mol and temperature (B,) K of velocities (B, N, 3) Å/ps."""
        ke = 0.5 * (self.masses[None, :, None] * velocities.astype(np.float64) ** 2).sum((1, 2))
        ke /= ACCELERATION
        return ke, 2.0 * ke / (3 * self.n_beads * KB_KCAL_PER_MOL_K)

    def _noise(self, n: int):
        from mindspore import Tensor

        buf = np.zeros((self.steps_per_call, self.n_replicas, self.n_beads, 3), np.float32)
        if self.friction > 0:
            buf[:n] = self._rng.standard_normal((n, self.n_replicas, self.n_beads, 3),
                                                dtype=np.float32)
        return Tensor(buf)

    def _launch(self, noise, n: int):
        from mindspore import Tensor
        import mindspore as ms

        self.shapes.add(tuple(self.neighbours.indices.shape))
        self.calls += 1
        return self._loop_fn(self._x, self._v, self._f, self._e, noise, self._sigma,
                             Tensor(n, ms.int32), self._build, *self._rest)

    def _call(self, n: int) -> None:
        """Advance every replica by n <= steps_per_call steps (one compiled call)."""
        noise = self._noise(n)
        out = self._launch(noise, n)
        first_bad, fmax, shift = out[4].asnumpy(), out[5].asnumpy(), out[6].asnumpy()
        if not self.neighbours.dense and not np.any(first_bad >= 0):
            unsafe = self.neighbours.unsafe(shift)
            if len(unsafe):   # a bead went past half the skin: redo with fresh lists
                self.neighbours.build(self._x.asnumpy(), unsafe)
                self._rest, self._build = self._tensors(), self._tensor(self.neighbours.build_positions)
                out = self._launch(noise, n)
                first_bad, fmax, shift = out[4].asnumpy(), out[5].asnumpy(), out[6].asnumpy()
                still = self.neighbours.unsafe(shift)
                if len(still) and not np.any(first_bad >= 0):
                    r = int(still[0])
                    raise SimulationError(
                        f"replica {r}: a bead moved {shift[r]:.2f} Å within one call of {n} steps "
                        f"(from step {self.step}), more than half the neighbour-list skin "
                        f"({self.neighbours.skin} Å); use a larger skin or fewer steps_per_call")
        if np.any(first_bad >= 0):
            bad = np.flatnonzero(first_bad >= 0)
            raise _BlowUp(bad, self.step + first_bad[bad] + 1, fmax[bad])
        self._x, self._v, self._f, self._e = out[0], out[1], out[2], out[3]
        self.step += n
        if not self.neighbours.dense:
            due = self.neighbours.due(shift)
            if len(due):
                self.neighbours.build(self._x.asnumpy(), due)
                self._rest, self._build = self._tensors(), self._tensor(self.neighbours.build_positions)

    def _exchange(self) -> None:
        """One round of parallel-tempering swaps (:class:`TemperatureLadder`)."""
        from mindspore import Tensor

        parity = (self.step // self.exchange_every) % 2
        uniforms = self._rng.random(len(self.tempering.rungs(parity)))
        scale = self.tempering.exchange(self._e.asnumpy(), uniforms, parity)
        if np.any(scale != 1.0):
            self._v = Tensor(self._v.asnumpy() * scale[:, None, None].astype(np.float32))
            self._sigma = Tensor(noise_scale(self.dt, self.friction, self.temperatures, self.masses))

    def _next_stop(self, end: int, *intervals) -> int:
        """The next step at which the host must act (end, frames, states, exchanges)."""
        stops = [end] + [(self.step // k + 1) * k for k in intervals if k]
        if self.exchange_every:
            stops.append((self.step // self.exchange_every + 1) * self.exchange_every)
        return min(stops)

    def _advance_to(self, stop: int, bar=None) -> None:
        while self.step < stop:
            before = self.step
            self._call(min(self.steps_per_call, stop - self.step))
            if bar is not None:
                bar.update(self.step - before)
        if self.exchange_every and self.step % self.exchange_every == 0:
            self._exchange()

    @property
    def exchange_acceptance(self) -> List[float]:
        """Accepted fraction of exchange attempts per ladder pair (parallel tempering)."""
        return self.tempering.acceptance if self.tempering is not None else []

    @staticmethod
    def _tensor(a):
        from mindspore import Tensor

        return Tensor(np.ascontiguousarray(a))

    def _blow_up_error(self, err: _BlowUp, written: str) -> SimulationError:
        order = np.argsort(err.steps, kind="stable")
        r, s = int(err.replicas[order[0]]), int(err.steps[order[0]])
        others = ""
        if len(order) > 1:
            others = " (also " + ", ".join(f"replica {int(err.replicas[o])} at step {int(err.steps[o])}"
                                           for o in order[1:4]) + (" ..." if len(order) > 4 else "") + ")"
        return SimulationError(
            f"replica {r} blew up at step {s} (t = {s * self.dt:.4f} ps): non-finite or absurd "
            f"forces/velocities (largest |F| {float(err.max_force[order[0]]):.3g} kcal/mol/Å; "
            f"limits |F| <= {self.settings['max_force']:g}, "
            f"{self.settings['max_displacement_A']:g} Å per step){others}. {written}"
            "Try a smaller time step, more friction, or check the model and priors.")

    def advance(self, n_steps: int) -> None:
        """Run ``n_steps`` steps without writing files (raises SimulationError on a blow-up)."""
        n_steps = self._check_steps(n_steps)
        end = self.step + n_steps
        try:
            while self.step < end:
                self._advance_to(self._next_stop(end))
        except _BlowUp as err:
            raise self._blow_up_error(err, f"The state before step {self.step + 1} is kept. ") from None

    @staticmethod
    def _check_steps(n_steps) -> int:
        if not isinstance(n_steps, (int, np.integer)) or isinstance(n_steps, bool) or n_steps < 0:
            raise InputError(f"number of steps must be an integer >= 0, got {n_steps!r}")
        return int(n_steps)

    # ------------------------------------------------------------------ run with files
    def run(self, n_steps: int, output=None, *, save_every: int = 1000,
            restart=None, state_every: Optional[int] = None,
            progress: Optional[bool] = None, overwrite: bool = False) -> RunResult:
        """Run ``n_steps`` more steps, writing frames, energies and restart states.

        Parameters
        ----------
        n_steps : int
            Steps to run in this call.
        output : str or Path, optional
            Output folder (see :mod:`cgmolct.simulate.writers` for its files); None runs
            without files.
        save_every : int
            Frame (and energy row) interval in steps; frames are written at steps that are
            multiples of it, and at step 0 of a fresh run.
        restart : str or Path, optional
            A state file to continue from (a previous run's ``state.npz``); the run goes on
            from its step with the same random stream, and writes new DCD parts.
        state_every : int, optional
            Interval in steps of restart-state writes (default ``save_every``); the state is
            also written at the end, on a blow-up (the last good state) and on Ctrl-C.
        progress : bool, optional
            Progress bar with ns/day (default: when stderr is a terminal).
        overwrite : bool
            Let a fresh run (step 0) replace the files of an earlier simulation in ``output``
            (refused by default).

        Returns
        -------
        RunResult

        Raises
        ------
        SimulationError
            A replica blew up (naming replica and step); files written so far are closed and
            readable and ``state.npz`` holds the last good state.
        """
        n_steps = self._check_steps(n_steps)
        save_every = self._check_steps(save_every)
        if save_every < 1:
            raise InputError("save_every must be >= 1 step")
        state_every = save_every if state_every is None else self._check_steps(state_every)
        if state_every < 1:
            raise InputError("state_every must be >= 1 step")
        if restart is not None:
            self.load_state(restart)
        if output is None:
            t0 = time.perf_counter()
            first = self.step
            self.advance(n_steps)
            return self._result(first, time.perf_counter() - t0, 0, [])
        folder = Path(output)
        if folder.exists() and not folder.is_dir():
            raise InputError(f"output {folder} exists and is not a folder")
        fresh = self.step == 0 and self.part < 0
        if fresh and (folder / SETTINGS_FILE).exists():
            if not overwrite:
                raise InputError(f"{folder} holds an earlier simulation; continue it with "
                                 f"restart={folder / STATE_FILE} (--restart), choose another "
                                 "folder, or overwrite it (--overwrite)")
            clear_outputs(folder)
        if self._restored and self.part >= 0:
            # frames written after the saved state (a crash between frames and state) go
            truncate_outputs(folder, self.part, self.frames_in_part, self.step, self.n_replicas)
        self._restored = False
        self.part += 1
        self.frames_in_part = 0
        writer = TrajectoryWriter(folder, self.graph, self.n_replicas, part=self.part,
                                  frame_dt=save_every * self.dt, first_step=self.step,
                                  save_every=save_every)
        self._write_settings(folder, n_steps, save_every)
        state_path = folder / STATE_FILE
        first, end = self.step, self.step + n_steps
        bar = _Progress(n_steps, self.dt, progress)
        t0 = time.perf_counter()
        try:
            if fresh:
                self._write_frame(writer)
            while self.step < end:
                self._advance_to(self._next_stop(end, save_every, state_every), bar)
                if self.step % save_every == 0:
                    self._write_frame(writer)
                if self.step % state_every == 0 or self.step == end:
                    self.save_state(state_path)
        except _BlowUp as err:
            writer.close()
            self.save_state(state_path)      # the state before the failed call (last good)
            raise self._blow_up_error(
                err, f"Frames up to step {self.step - self.step % save_every} are in {folder}; "
                     f"{state_path} holds the state at step {self.step}. ") from None
        except KeyboardInterrupt:
            writer.close()
            self.save_state(state_path)
            raise
        finally:
            bar.close()
            writer.close()
        files = [str(p) for p in writer.paths] + [str(folder / "energies.csv"), str(state_path),
                                                  str(folder / SETTINGS_FILE)]
        return self._result(first, time.perf_counter() - t0, writer.frames, files)

    def _write_frame(self, writer: TrajectoryWriter) -> None:
        x, v, e = self._x.asnumpy(), self._v.asnumpy(), self._e.asnumpy()
        ke, temp = self.kinetic(v)
        writer.write(self.step, self.step * self.dt, x, e, ke, temp, self.temperatures)
        self.frames_in_part = writer.frames

    def _write_settings(self, folder: Path, n_steps: int, save_every: int) -> None:
        from ..storage import make_header, write_json_record

        path = folder / SETTINGS_FILE
        record = make_header(SETTINGS_FORMAT, SETTINGS_VERSION,
                             units=dict(UNITS, velocity="angstrom/ps"), pieces=[])
        if path.exists():
            try:  # the pieces of earlier calls; a file we cannot read is rewritten from scratch
                old = read_settings(path)
                record["pieces"] = list(old.get("pieces", []))
            except InputError:
                pass
        record.update(self.settings)
        record["save_every"] = int(save_every)
        record["graph"] = {"n_beads": self.n_beads, "mapping": self.graph.provenance.get("mapping"),
                           "source": self.graph.provenance.get("source")}
        record["pieces"] = [p for p in record["pieces"] if p.get("part") != self.part]
        record["pieces"].append({"part": self.part, "first_step": self.step,
                                 "n_steps": int(n_steps), "save_every": int(save_every)})
        write_json_record(path, record)

    def _result(self, first: int, wall: float, frames: int, files: list) -> RunResult:
        steps = self.step - first
        rate = steps * self.n_replicas / wall if wall > 0 else 0.0
        ns_day = steps * self.dt * 1e-3 / wall * 86400.0 if wall > 0 else 0.0
        return RunResult(first_step=first, last_step=self.step, wall_s=wall,
                         replica_steps_per_s=rate, ns_per_day=ns_day, frames=frames,
                         calls=self.calls, neighbour_builds=self.neighbours.n_builds, files=files,
                         exchange_acceptance=self.exchange_acceptance)
