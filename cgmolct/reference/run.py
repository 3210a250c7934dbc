"""``run_reference``: all-atom Langevin MD with OpenMM, saved in resumable chunks.

Every ``save_every`` steps one frame is kept: positions (Å), forces (kcal/mol/Å) and the
potential energy (kcal/mol), converted from OpenMM's nm and kJ/mol here.  Frames are
grouped into chunks; after each chunk the chunk file, an OpenMM checkpoint and the progress
file are written (atomically, in that order), so an interrupted run continues from the last
complete chunk when called again with the same folder.  At the end the frames are
assembled into an ``all-atom`` :class:`topologies.CGGraph` (``OUT/reference.npz``).
"""
from __future__ import annotations

import io
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

from .._version import __version__
from ..errors import InputError
from ..storage import atomic_write_text, strip_identity
from ..units import UNITS, convert
from .chunks import RunFolder
from .structures import shipped_alanine_dipeptide_pdb
from .system import SystemSpec, build_simulation

__all__ = ["ReferenceSettings", "run_reference", "KJ_TO_KCAL", "NM_TO_ANGSTROM",
           "ALANINE_DIPEPTIDE_FORCEFIELD"]

KJ_TO_KCAL = convert(1.0, "kJ/mol", "kcal/mol")
NM_TO_ANGSTROM = convert(1.0, "nm", "angstrom")
#: The paper's setup for alanine dipeptide: AMBER ff03 with OBC implicit solvent.
ALANINE_DIPEPTIDE_FORCEFIELD = ("amber03.xml", "amber03_obc.xml")
#: Settings that must not change when a run is resumed (the others may: length, chunking).
_FIXED = ("pdb_sha256", "forcefield", "temperature", "friction", "timestep", "seed", "save_every",
          "equilibration_steps", "constraints", "platform", "implicit_cutoff", "hydrogen_mass")


@dataclass
class ReferenceSettings:
    """Settings of a reference run (units: K, 1/ps, ps, steps).

    Attributes
    ----------
    pdb : str or None
        Prepared PDB; None = built-in alanine dipeptide (ACE-ALA-NME).
    forcefield : list of str
        OpenMM XML files (default AMBER ff03 + OBC implicit solvent).
    temperature : float
        K (default 300).
    friction : float
        Langevin friction, 1/ps (default 1).
    timestep : float
        ps (default 0.001 = 1 fs; no constraints, so forces map exactly).
    n_steps : int
        Production steps (frames = n_steps // save_every).
    save_every : int
        Steps between saved frames (default 1000 = 1 ps).
    chunk_frames : int
        Frames per chunk file (default 1000).
    equilibration_steps : int
        Steps run and discarded after minimisation (default 10,000 = 10 ps).
    seed : int
        Integrator and velocity seed (>= 0).
    platform : str
        ``auto`` (Reference for tiny systems, else CPU), ``Reference``, ``CPU``, ...
    constraints : str
        ``none`` (default), ``hbonds``, ``allbonds``, ``hangles``.
    implicit_cutoff : float or None
        Å; cutoff of a non-periodic system (None: no cutoff, the default).
    hydrogen_mass : float or None
        amu; hydrogen mass repartitioning (None: the force field's masses, the default).
    """

    pdb: Optional[str] = None
    forcefield: List[str] = field(default_factory=lambda: list(ALANINE_DIPEPTIDE_FORCEFIELD))
    temperature: float = 300.0
    friction: float = 1.0
    timestep: float = 0.001
    n_steps: int = 100_000
    save_every: int = 1000
    chunk_frames: int = 1000
    equilibration_steps: int = 10_000
    seed: int = 0
    platform: str = "auto"
    constraints: str = "none"
    implicit_cutoff: Optional[float] = None
    hydrogen_mass: Optional[float] = None

    def validate(self) -> None:
        for name in ("n_steps", "save_every", "chunk_frames"):
            if int(getattr(self, name)) < 1:
                raise InputError(f"{name} must be >= 1; got {getattr(self, name)}")
        if int(self.equilibration_steps) < 0:
            raise InputError(f"equilibration_steps must be >= 0; got {self.equilibration_steps}")
        if self.n_steps < self.save_every:
            raise InputError(f"n_steps ({self.n_steps}) is shorter than save_every ({self.save_every}): "
                             "no frame would be saved")


def _sha256(path: str) -> str:
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _frame(simulation) -> tuple:
    """(positions Å, forces kcal/mol/Å, potential energy kcal/mol) of the current state."""
    from openmm import unit

    state = simulation.context.getState(getPositions=True, getForces=True, getEnergy=True)
    pos = state.getPositions(asNumpy=True).value_in_unit(unit.nanometer) * NM_TO_ANGSTROM
    frc = state.getForces(asNumpy=True).value_in_unit(unit.kilojoule_per_mole / unit.nanometer)
    frc = frc * (KJ_TO_KCAL / NM_TO_ANGSTROM)
    energy = state.getPotentialEnergy().value_in_unit(unit.kilojoule_per_mole) * KJ_TO_KCAL
    return pos, frc, energy


class _Progress:
    """A tqdm bar in ns with ns/day on a terminal; one plain line per chunk otherwise."""

    def __init__(self, total_ns: float, done_ns: float, enabled: bool, label: str):
        self.enabled = enabled
        self.tty = enabled and sys.stderr.isatty()
        self.label = label
        self.total = total_ns
        self.start_ns = done_ns
        self.t0 = time.perf_counter()
        self.bar = None
        if self.tty:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=round(total_ns, 6), initial=round(done_ns, 6), unit="ns", desc=label,
                            file=sys.stderr, dynamic_ncols=True,
                            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.3f}/{total:.3f} ns "
                                       "[{elapsed}<{remaining}{postfix}]")

    def speed(self, done_ns: float) -> float:
        elapsed = time.perf_counter() - self.t0
        return (done_ns - self.start_ns) / elapsed * 86400.0 if elapsed > 0 else 0.0

    def update(self, done_ns: float, step_ns: float) -> None:
        if not self.enabled:
            return
        rate = self.speed(done_ns)
        if self.bar is not None:
            self.bar.set_postfix_str(f"{rate:,.0f} ns/day", refresh=False)
            self.bar.update(round(step_ns, 6))
        else:
            print(f"{self.label}: {done_ns:.3f}/{self.total:.3f} ns, {rate:,.0f} ns/day",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _run_chunk(simulation, frames: int, save_every: int, bar: "_Progress", before: int, ns_per_frame: float):
    """Run ``frames`` x ``save_every`` steps; (positions Å, forces kcal/mol/Å, energies kcal/mol, steps)."""
    n_atoms = simulation.topology.getNumAtoms()
    pos = np.empty((frames, n_atoms, 3), np.float32)
    frc = np.empty_like(pos)
    ene = np.empty(frames, np.float64)
    steps = np.empty(frames, np.int64)
    for f in range(frames):
        simulation.step(save_every)
        pos[f], frc[f], ene[f] = _frame(simulation)
        steps[f] = simulation.currentStep
        if bar.tty:
            bar.update((before + f + 1) * ns_per_frame, ns_per_frame)
    return pos, frc, ene, steps


def _write_pdb(path: Path, topology, simulation) -> None:
    """The current (minimised) structure as PDB: the topology of every saved frame."""
    from openmm import app

    buf = io.StringIO()
    app.PDBFile.writeFile(topology, simulation.context.getState(getPositions=True).getPositions(), buf,
                          keepIds=True)
    atomic_write_text(path, buf.getvalue())


def _settings_record(settings: ReferenceSettings, pdb: str, platform_name: str) -> Dict[str, Any]:
    import openmm

    rec = asdict(settings)
    rec.update(pdb=str(pdb), pdb_sha256=_sha256(pdb), platform=settings.platform,
               platform_used=platform_name, openmm_version=openmm.__version__,
               cgmolct_version=__version__, integrator="LangevinMiddleIntegrator",
               openmm_seed=int(settings.seed) + 1, save_interval_ps=settings.save_every * settings.timestep,
               units=dict(UNITS, time="ps", friction="1/ps"),
               system=("alanine-dipeptide (ACE-ALA-NME)" if settings.pdb is None else Path(pdb).name))
    return rec


def _check_same(old: Dict[str, Any], new: Dict[str, Any], folder: Path) -> None:
    for key in _FIXED:
        if old.get(key) != new.get(key):
            raise InputError(f"{folder} holds a reference run with {key} = {old.get(key)!r}; this call "
                             f"asks for {new.get(key)!r}. Use a new output folder or the same settings.")


def run_reference(output, settings: Optional[ReferenceSettings] = None, *, progress: bool = True,
                  label: str = "reference", assemble: bool = True):
    """Run (or resume) an all-atom OpenMM reference simulation into the folder ``output``.

    Parameters
    ----------
    output : path-like
        Run folder (created; an existing run with the same settings is continued, and may be
        extended by a larger ``n_steps``).
    settings : ReferenceSettings, optional
        Defaults: built-in alanine dipeptide, ff03 + OBC, 300 K, 1/ps, 1 fs, 100 ps.
    progress : bool
        Show a progress bar (terminal) or per-chunk lines (no terminal) with ns/day.
    label : str
        Prefix of the progress output.
    assemble : bool
        Write the all-atom graph ``OUT/reference.npz`` at the end.

    Returns
    -------
    topologies.CGGraph or None
        The all-atom graph (positions Å, forces kcal/mol/Å, energies kcal/mol) when
        ``assemble``; else None.

    Raises
    ------
    InputError
        Bad settings, unreadable or unprepared PDB, force field problems, or a folder holding
        a run with other settings.
    """
    from openmm import XmlSerializer

    settings = settings or ReferenceSettings()
    settings.validate()
    run = RunFolder(output)
    if run.folder.exists() and not run.folder.is_dir():
        raise InputError(f"{run.folder} exists and is not a folder")
    pdb = str(settings.pdb) if settings.pdb is not None else shipped_alanine_dipeptide_pdb()
    old = run.read_settings() if run.settings_file.exists() else None
    done = run.read_progress() if old is not None else {"n_chunks": 0, "step": 0, "n_frames": 0}
    resuming = done["n_chunks"] > 0
    spec = SystemSpec(pdb=pdb, forcefield=list(settings.forcefield), constraints=settings.constraints,
                      implicit_cutoff=settings.implicit_cutoff, hydrogen_mass=settings.hydrogen_mass)
    simulation, pdbfile = build_simulation(spec, temperature=settings.temperature, friction=settings.friction,
                                           timestep=settings.timestep, seed=settings.seed,
                                           platform=settings.platform, minimise=not resuming)
    record = _settings_record(settings, pdb, simulation.context.getPlatform().getName())
    if old is not None:
        _check_same(old, record, run.folder)
        if old.get("chunk_frames") != settings.chunk_frames:
            raise InputError(f"{run.folder}: chunk_frames was {old.get('chunk_frames')}; keep it when resuming")
    run.remove_stale(done["n_chunks"])
    if resuming:
        try:  # exact continuation (positions, velocities, random state) on the same platform
            simulation.loadCheckpoint(str(run.checkpoint_file(done["n_chunks"])))
        except Exception:  # another platform or OpenMM version: the portable state
            simulation.loadState(str(run.state_file(done["n_chunks"])))
    else:
        run.folder.mkdir(parents=True, exist_ok=True)
        _write_pdb(run.pdb_file, pdbfile.topology, simulation)
        run.write_settings(record)
        if settings.equilibration_steps:
            simulation.step(int(settings.equilibration_steps))
        simulation.currentStep = 0
    if old is not None and resuming:
        merged = dict(old, n_steps=max(int(old["n_steps"]), settings.n_steps))
        run.write_settings(strip_identity(merged))

    n_frames_total = settings.n_steps // settings.save_every
    ns_per_frame = settings.save_every * settings.timestep * 1e-3
    n_frames, index = done["n_frames"], done["n_chunks"]
    bar = _Progress(n_frames_total * ns_per_frame, n_frames * ns_per_frame, progress, label)
    try:
        while n_frames < n_frames_total:
            chunk = _run_chunk(simulation, min(settings.chunk_frames, n_frames_total - n_frames),
                               settings.save_every, bar, n_frames, ns_per_frame)
            run.write_chunk(index, *chunk)
            state_xml = XmlSerializer.serialize(simulation.context.getState(
                getPositions=True, getVelocities=True, getParameters=True, enforcePeriodicBox=False))
            run.write_state(index + 1, simulation.context.createCheckpoint(), state_xml)
            index += 1
            n_frames += len(chunk[0])
            run.write_progress(index, simulation.currentStep, n_frames,
                               speed_ns_per_day=bar.speed(n_frames * ns_per_frame), loadavg=list(os.getloadavg()))
            run.remove_stale(index)
            if not bar.tty:
                bar.update(n_frames * ns_per_frame, 0.0)
    finally:
        bar.close()
    rate = bar.speed(n_frames * ns_per_frame) if n_frames > done["n_frames"] else None
    if not assemble:
        return None
    from .assemble import assemble_graph

    graph = assemble_graph(run.folder, speed_ns_per_day=rate)
    return graph
