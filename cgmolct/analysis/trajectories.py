"""Dihedral angles straight from files: a saved CGGraph, or topology + trajectory via MDAnalysis.

:func:`open_system` gives an object with ``names``, ``residue_ids``, ``residue_names``,
``chain_ids``, ``bonds`` (or None) and ``n_beads``, plus a way to read the coordinates of a
few beads over all frames without loading the rest (the all-atom reference may carry
thousands of water atoms).  :func:`load_angles` picks two dihedrals (backbone φ/ψ found from
names, or user quadruplets) and returns them in degrees.

Accepted inputs:

- a saved graph (``.npz`` or a folder with ``graph.json``; ``cgmolct graph build``,
  ``cgmolct data map``, ``cgmolct data reference``);
- a reference run folder of ``cgmolct data reference`` (``run.json`` + ``progress.json``),
  finished or still running: its all-atom frames so far;
- a structure/topology file with optional trajectories (``ref.prmtop ref.nc``,
  ``cg.pdb cg.dcd``), read by MDAnalysis;
- a trajectory whose topology is given apart (``topology=``), which may itself be a saved
  graph; a ``.dcd`` without one uses the ``.pdb`` of the same name beside it (the CG
  simulator writes ``NAME.dcd`` + ``NAME.pdb``).
"""
from __future__ import annotations

import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..errors import DataError, InputError
from .dihedrals import backbone_quadruplets, wrap_degrees
from .geometry import dihedral_angles

__all__ = ["open_system", "load_angles", "is_saved_graph"]

_TRAJECTORY_ONLY = {".dcd", ".xtc", ".trr", ".nc", ".ncdf", ".netcdf", ".mdcrd", ".crd", ".trj", ".xyz"}


def is_saved_graph(path: Union[str, Path]) -> bool:
    """True for a ``.npz`` file or a folder holding ``graph.json``."""
    p = Path(path)
    return (p.is_file() and p.suffix == ".npz") or (p.is_dir() and (p / "graph.json").exists())


class _GraphSource:
    def __init__(self, graph):
        self.graph = graph
        self.system = graph

    def coordinates(self, beads: np.ndarray) -> np.ndarray:
        return np.asarray(self.graph.positions[:, beads], dtype=np.float64)


class _UniverseSource:
    def __init__(self, universe, system):
        self.universe = universe
        self.system = system

    def coordinates(self, beads: np.ndarray) -> np.ndarray:
        ag = self.universe.atoms[beads]
        traj = self.universe.trajectory
        try:
            return np.asarray(traj.timeseries(atomgroup=ag, order="fac"), dtype=np.float64)
        except (AttributeError, NotImplementedError, TypeError):  # pragma: no cover - old readers
            return np.stack([ag.positions.astype(np.float64) for _ in traj])


def _attr(atoms, name: str, default):
    try:
        return np.asarray(getattr(atoms, name))
    except Exception:  # noqa: BLE001 - MDAnalysis raises NoDataError (an AttributeError/ValueError)
        return default


def _system_of_universe(u) -> SimpleNamespace:
    atoms = u.atoms
    n = len(atoms)
    chains = _attr(atoms, "chainIDs", None)
    if chains is None or all(not str(c).strip() for c in chains):
        chains = _attr(atoms, "segids", np.full(n, "", dtype=str))
    bonds = None
    try:
        if hasattr(u, "bonds") and len(u.bonds):
            bonds = np.asarray(u.bonds.indices, dtype=np.int64)
    except Exception:  # noqa: BLE001 - no bond information
        bonds = None
    return SimpleNamespace(names=_attr(atoms, "names", np.full(n, "", dtype=str)).astype(str),
                           residue_ids=_attr(atoms, "resids", np.zeros(n, dtype=np.int64)),
                           residue_names=_attr(atoms, "resnames", np.full(n, "", dtype=str)).astype(str),
                           chain_ids=np.asarray(chains).astype(str), bonds=bonds, n_beads=n)


def _universe(*args, **kwargs):
    import MDAnalysis as mda

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return mda.Universe(*args, **kwargs)
        except (OSError, ValueError, TypeError, EOFError, IndexError, KeyError) as exc:
            names = ", ".join(str(a) for a in args)
            raise InputError(f"{names}: MDAnalysis cannot read it ({type(exc).__name__}: {exc})") from None


def open_system(path, trajectories: Sequence[str] = (), topology: Optional[str] = None):
    """Open ``path`` (see the module docstring); returns a source with ``.system`` and ``.coordinates``."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    for t in list(trajectories) + ([topology] if topology else []):
        if not Path(t).exists():
            raise InputError(f"{t}: no such file")
    if path.is_dir() and (path / "run.json").exists() and (path / "progress.json").exists():
        if trajectories or topology:
            raise InputError(f"{path} is a reference run folder; it takes no trajectory or topology file")
        import warnings as _w

        from ..reference import assemble_graph

        with _w.catch_warnings():
            _w.simplefilter("ignore")
            return _GraphSource(assemble_graph(path, save=False))
    if is_saved_graph(path):
        if trajectories or topology:
            raise InputError(f"{path} is a saved graph (it holds its frames); it takes no trajectory "
                             "or topology file")
        from topologies import CGGraph, TopologyError

        try:
            return _GraphSource(CGGraph.load(path, mmap=path.is_dir()))
        except TopologyError as exc:
            raise InputError(f"{path}: {exc}") from None
    if topology is None and path.suffix.lower() in _TRAJECTORY_ONLY:
        guess = path.with_suffix(".pdb")
        if not guess.exists():
            raise InputError(f"{path} is a trajectory without topology: give the topology (a PDB or "
                             f"a saved graph) with --cg-top/--ref-top, or put {guess.name} beside it")
        topology = str(guess)
    if topology is not None:
        files = [str(path)] + [str(t) for t in trajectories]
        if is_saved_graph(topology):
            from topologies import CGGraph

            graph = CGGraph.load(topology, mmap=Path(topology).is_dir())
            import MDAnalysis as mda

            u = mda.Universe.empty(graph.n_beads, trajectory=False)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    u.load_new(files if len(files) > 1 else files[0])
                except (OSError, ValueError, TypeError, EOFError) as exc:
                    raise InputError(f"{path}: MDAnalysis cannot read it with the {graph.n_beads} beads "
                                     f"of {topology} ({exc})") from None
            system = SimpleNamespace(names=graph.names, residue_ids=graph.residue_ids,
                                     residue_names=graph.residue_names, chain_ids=graph.chain_ids,
                                     chain_index=graph.chain_index, bonds=graph.bonds, n_beads=graph.n_beads)
            return _UniverseSource(u, system)
        u = _universe(str(topology), *files)
    else:
        u = _universe(str(path), *[str(t) for t in trajectories])
    return _UniverseSource(u, _system_of_universe(u))


def _select_residue(quads: Dict[str, object], residue: Optional[str]) -> Tuple[np.ndarray, np.ndarray, List[str]]:
    labels: List[str] = quads["residues"]
    if residue is None:
        return quads["phi"], quads["psi"], labels
    matches = [i for i, lab in enumerate(labels)
               if lab == residue or lab.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == str(residue)]
    if not matches:
        raise InputError(f"residue {residue!r} has no backbone φ/ψ; residues with both: {labels}")
    return quads["phi"][matches], quads["psi"][matches], [labels[i] for i in matches]


def load_angles(path, trajectories: Sequence[str] = (), topology: Optional[str] = None,
                cvs: Optional[Sequence[Sequence[int]]] = None, residue: Optional[str] = None
                ) -> Dict[str, object]:
    """Two dihedral angles per frame (degrees) from files.

    Parameters
    ----------
    path, trajectories, topology
        See the module docstring.
    cvs : two quadruplets of 0-based bead indices, optional
        The x and y dihedrals; default backbone φ and ψ found from bead names.
    residue : str, optional
        Residue label (``ALA2``) or number of the φ/ψ pair; default: the only residue, or all
        residues pooled (a Ramachandran plot) when there are several.

    Returns
    -------
    dict
        ``x``, ``y`` (F·R,) degrees in [−180, 180) in frame order; ``labels`` (axis names);
        ``residues``; ``n_frames``; ``source`` (paths).
    """
    src = open_system(path, trajectories, topology)
    system = src.system
    n = int(getattr(system, "n_beads", len(system.names)))
    if cvs is not None:
        q = np.asarray(cvs, dtype=np.int64)
        if q.shape != (2, 4):
            raise InputError(f"give exactly two dihedrals of 4 bead indices each; got shape {q.shape}")
        if q.min() < 0 or q.max() >= n:
            raise InputError(f"dihedral bead index out of range [0, {n}) for {path}")
        phi_q, psi_q, residues, labels = q[:1], q[1:], ["cv"], ("cv1", "cv2")
    else:
        quads = backbone_quadruplets(system)
        if not quads["residues"]:
            raise InputError(f"{path}: no backbone φ/ψ found (beads named C, N, CA, C, N in consecutive "
                             "residues); give the two dihedrals with --cv I,J,K,L --cv I,J,K,L")
        phi_q, psi_q, residues = _select_residue(quads, residue)
        labels = ("phi", "psi")
    beads = np.unique(np.concatenate([phi_q.ravel(), psi_q.ravel()]))
    local = {int(b): i for i, b in enumerate(beads)}
    remap = np.vectorize(lambda b: local[int(b)])
    coords = src.coordinates(beads)
    if coords.shape[0] < 1:
        raise DataError(f"{path}: no frames")
    if not np.all(np.isfinite(coords)):
        raise DataError(f"{path}: coordinates hold NaN or inf")
    x = wrap_degrees(dihedral_angles(coords, remap(phi_q), degrees=True)).reshape(-1)
    y = wrap_degrees(dihedral_angles(coords, remap(psi_q), degrees=True)).reshape(-1)
    return {"x": x, "y": y, "labels": labels, "residues": residues, "n_frames": int(coords.shape[0]),
            "source": [str(path)] + [str(t) for t in trajectories] + ([str(topology)] if topology else [])}
