"""Output files of a simulation, written through MDAnalysis.

Layout of an output folder::

    topology.pdb                  the CG beads (names, residues, chains, bonds as CONECT)
    replica_000_part000.dcd       frames of replica 0 written by the first run piece
    replica_000_part001.dcd       ... by the piece restarted from state.npz, and so on
    energies.csv                  step, time_ps, replica, potential, kinetic (kcal/mol),
                                  kinetic temperature and bath temperature (K): one row per
                                  replica per saved frame (the bath changes with parallel
                                  tempering; select a temperature's frames by it)
    state.npz                     restart state (:mod:`cgmolct.simulate.state`)
    simulation.json               settings, units and the list of pieces (format
                                  ``cgmolct-simulation``; :func:`read_settings`)

One DCD per replica and piece (a DCD cannot be appended to): a replica's whole trajectory
is the concatenation of its parts, e.g. ``MDAnalysis.Universe("topology.pdb",
trajectory_files(folder, 0))`` or :func:`load_trajectory`.  Frames are written every
``save_every`` steps; the DCD header carries the time step (``save_every`` × Δt) and the
first step.
"""
from __future__ import annotations

import csv
import warnings
from pathlib import Path
from typing import List, Optional

import numpy as np

from ..errors import InputError

__all__ = ["TrajectoryWriter", "trajectory_files", "clear_outputs", "truncate_outputs", "load_trajectory", "cg_universe",
           "ENERGY_COLUMNS", "TOPOLOGY_FILE", "ENERGIES_FILE", "STATE_FILE", "SETTINGS_FILE",
           "SETTINGS_FORMAT", "SETTINGS_VERSION", "SETTINGS_SUPPORTED_VERSIONS", "read_settings"]

TOPOLOGY_FILE = "topology.pdb"
ENERGIES_FILE = "energies.csv"
STATE_FILE = "state.npz"
SETTINGS_FILE = "simulation.json"
#: Format name and version of ``simulation.json``.
SETTINGS_FORMAT = "cgmolct-simulation"
SETTINGS_VERSION = 1
SETTINGS_SUPPORTED_VERSIONS = (1,)
ENERGY_COLUMNS = ("step", "time_ps", "replica", "potential_kcal_mol", "kinetic_kcal_mol",
                  "temperature_K", "bath_K")


def read_settings(folder) -> dict:
    """The ``simulation.json`` record of a simulation output folder (settings, units, pieces).

    Raises
    ------
    InputError
        The file is missing, corrupt, of another format or of an unknown version.
    """
    from ..storage import read_json_record

    return read_json_record(folder, SETTINGS_FORMAT, SETTINGS_SUPPORTED_VERSIONS, InputError,
                            what="cgmolct simulation settings file", file_in_folder=SETTINGS_FILE)


def dcd_name(replica: int, part: int) -> str:
    """File name of a replica's frames written by run piece ``part``."""
    return f"replica_{replica:03d}_part{part:03d}.dcd"


def cg_universe(graph, positions: Optional[np.ndarray] = None):
    """An MDAnalysis Universe of the beads of ``graph`` (one frame).

    Names, residue names and ids, chain ids (as segments and ``chainIDs``), masses and bonds
    come from the graph; ``positions`` (N, 3) Å default to its first frame.
    """
    import MDAnalysis as mda

    n = graph.n_beads
    keys = list(zip(graph.chain_ids, graph.residue_ids, graph.insertion_codes,
                    graph.residue_names))
    res_of = np.zeros(n, np.int64)
    first = {}
    for i, key in enumerate(keys):
        if i == 0 or key != keys[i - 1]:
            first[len(first)] = i
        res_of[i] = len(first) - 1
    n_res = len(first)
    starts = np.array([first[r] for r in range(n_res)], np.int64)
    chains = [str(c) or "X" for c in graph.chain_ids]
    seg_names = list(dict.fromkeys(chains[s] for s in starts))
    seg_of_res = np.array([seg_names.index(chains[s]) for s in starts], np.int64)
    u = mda.Universe.empty(n, n_residues=n_res, n_segments=len(seg_names),
                           atom_resindex=res_of, residue_segindex=seg_of_res, trajectory=True)
    u.add_TopologyAttr("names", [str(x)[:4] or "CG" for x in graph.names])
    u.add_TopologyAttr("types", [str(x)[:4] or "CG" for x in graph.names])
    u.add_TopologyAttr("resnames", [str(graph.residue_names[s])[:4] or "UNK" for s in starts])
    u.add_TopologyAttr("resids", [int(graph.residue_ids[s]) for s in starts])
    u.add_TopologyAttr("segids", seg_names)
    u.add_TopologyAttr("chainIDs", [c[:1] for c in chains])
    u.add_TopologyAttr("masses", np.asarray(graph.masses, np.float64))
    if graph.n_bonds:
        u.add_TopologyAttr("bonds", [tuple(int(v) for v in b) for b in graph.bonds])
    u.atoms.positions = np.asarray(graph.positions[0] if positions is None else positions,
                                   np.float32)
    return u


class TrajectoryWriter:
    """Writes the frames and energies of one run piece into an output folder.

    Parameters
    ----------
    folder : str or Path
        Output folder (created).
    graph : topologies.CGGraph
        The simulated system (for the topology file).
    n_replicas : int
    part : int
        Index of the run piece (0 for a fresh run; restarts continue the numbering).
    frame_dt : float
        Time between frames in ps (``save_every`` × Δt).
    first_step : int
        Step of the piece's start (recorded in the DCD headers).
    """

    def __init__(self, folder, graph, n_replicas: int, *, part: int, frame_dt: float,
                 first_step: int, save_every: int):
        import MDAnalysis as mda

        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create output folder {self.folder}: "
                             f"{exc.strerror or exc}") from None
        self.universe = cg_universe(graph)
        top = self.folder / TOPOLOGY_FILE
        if not top.exists():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # MDAnalysis: missing PDB attributes filled in
                self.universe.atoms.write(str(top))
        self.n_replicas = int(n_replicas)
        self.part = int(part)
        self.frames = 0
        self.paths = [self.folder / dcd_name(r, self.part) for r in range(self.n_replicas)]
        self._dcd = []
        try:
            for p in self.paths:
                self._dcd.append(mda.Writer(str(p), n_atoms=graph.n_beads, dt=float(frame_dt),
                                            istart=int(first_step), nsavc=int(save_every)))
        except OSError as exc:
            self.close()
            raise InputError(f"cannot write trajectory in {self.folder}: "
                             f"{exc.strerror or exc}") from None
        energies = self.folder / ENERGIES_FILE
        new = not energies.exists() or energies.stat().st_size == 0
        self._csv_handle = open(energies, "a", newline="")
        self._csv = csv.writer(self._csv_handle)
        if new:
            self._csv.writerow(ENERGY_COLUMNS)
            self._csv_handle.flush()

    def write(self, step: int, time_ps: float, positions: np.ndarray, potential: np.ndarray,
              kinetic: np.ndarray, temperature: np.ndarray, bath: np.ndarray) -> None:
        """Append one frame of every replica (positions (B, N, 3) Å) and its energies."""
        atoms = self.universe.atoms
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no dimensions set": CG frames have no box
            for r, writer in enumerate(self._dcd):
                atoms.positions = positions[r]
                writer.write(atoms)
        for r in range(self.n_replicas):
            self._csv.writerow((int(step), f"{time_ps:.6f}", r, f"{float(potential[r]):.6f}",
                                f"{float(kinetic[r]):.6f}", f"{float(temperature[r]):.4f}",
                                f"{float(bath[r]):.4f}"))
        self._csv_handle.flush()
        self.frames += 1

    def close(self) -> None:
        """Close every file (the frames written so far stay readable)."""
        for writer in self._dcd:
            try:
                writer.close()
            except Exception:  # pragma: no cover - closing a half-open writer
                pass
        self._dcd = []
        handle = getattr(self, "_csv_handle", None)
        if handle is not None and not handle.closed:
            handle.close()


def clear_outputs(folder) -> None:
    """Remove the files of an earlier simulation from ``folder`` (fresh run with overwrite)."""
    folder = Path(folder)
    for pattern in ("replica_*_part*.dcd", TOPOLOGY_FILE, ENERGIES_FILE, STATE_FILE, SETTINGS_FILE):
        for path in folder.glob(pattern):
            path.unlink()


def trajectory_files(folder, replica: int) -> List[str]:
    """The DCD parts of ``replica`` in ``folder``, in order."""
    folder = Path(folder)
    parts = sorted(folder.glob(f"replica_{int(replica):03d}_part*.dcd"))
    if not parts:
        raise InputError(f"{folder}: no trajectory of replica {replica} "
                         f"({dcd_name(int(replica), 0)} ...)")
    return [str(p) for p in parts]


def load_trajectory(folder, replica: int = 0):
    """MDAnalysis Universe of ``topology.pdb`` with every DCD part of ``replica``."""
    import MDAnalysis as mda

    top = Path(folder) / TOPOLOGY_FILE
    if not top.is_file():
        raise InputError(f"{folder}: no {TOPOLOGY_FILE}; not a cgmolct simulation folder")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mda.Universe(str(top), trajectory_files(folder, replica))


def truncate_outputs(folder, part: int, n_frames: int, last_step: int, n_replicas: int) -> None:
    """Drop frames written after a saved state (a crash between frames and state).

    Keeps the first ``n_frames`` frames of each replica's DCD of ``part`` and the energy
    rows with ``step <= last_step``.
    """
    import MDAnalysis as mda

    from ..storage import atomic_write_text

    folder = Path(folder)
    for r in range(n_replicas):
        path = folder / dcd_name(r, part)
        if not path.exists():
            continue
        with mda.coordinates.DCD.DCDReader(str(path)) as reader:
            if reader.n_frames <= n_frames:
                continue
            frames = [reader[i].positions.copy() for i in range(n_frames)]
            dt, n_atoms = reader.ts.dt, reader.n_atoms
        tmp = path.with_name(path.name + ".tmp.dcd")
        with warnings.catch_warnings(), mda.Writer(str(tmp), n_atoms=n_atoms, dt=dt) as w:
            warnings.simplefilter("ignore")  # no box in CG frames
            u = mda.Universe.empty(n_atoms, trajectory=True)
            for xyz in frames:
                u.atoms.positions = xyz
                w.write(u.atoms)
        tmp.replace(path)
    energies = folder / ENERGIES_FILE
    if energies.exists():
        rows = list(csv.reader(open(energies, newline="")))
        keep = [rows[0]] + [r for r in rows[1:] if r and int(r[0]) <= last_step]
        if len(keep) != len(rows):
            atomic_write_text(energies, "".join(",".join(r) + "\n" for r in keep))
