"""Assemble the chunks of a reference run into one ``all-atom`` :class:`topologies.CGGraph`.

The topology (atom names, residues, chains, bonds, element types, masses) comes from
``topologies.build_graph(system.pdb, mapping="all-atom")`` -- the same code path as any
structure file -- with the bonds replaced by the exact bonds of the OpenMM topology; the
frames come from the chunk files.  Provenance records the run settings (force-field files,
temperature, friction, time step, seed, save interval, platform, OpenMM version) and units.
"""
from __future__ import annotations

import warnings
from typing import Optional

import numpy as np

from ..errors import DataError
from ..storage import strip_identity
from .chunks import RunFolder

__all__ = ["assemble_graph", "openmm_bonds"]


def openmm_bonds(pdb_path) -> np.ndarray:
    """(n_bonds, 2) int64 bonds of the OpenMM topology of ``pdb_path`` (templates + CONECT)."""
    from openmm import app

    top = app.PDBFile(str(pdb_path)).topology
    bonds = np.array(sorted((min(a.index, b.index), max(a.index, b.index)) for a, b in top.bonds()),
                     dtype=np.int64).reshape(-1, 2)
    return bonds


def assemble_graph(folder, *, output: Optional[str] = None, speed_ns_per_day: Optional[float] = None,
                   save: bool = True):
    """All frames of the run in ``folder`` as an all-atom CGGraph, saved to ``output``.

    Parameters
    ----------
    folder : path-like
        Reference-run folder (see :mod:`cgmolct.reference.chunks`).
    output : path-like, optional
        Where to save the graph (default ``folder/reference.npz``; ``.npz`` or a folder).
    speed_ns_per_day : float, optional
        Measured speed, recorded in the provenance.
    save : bool
        Write the graph (False: only return it, e.g. for a run still in progress).

    Returns
    -------
    topologies.CGGraph
        positions (frames, atoms, 3) Å, forces kcal/mol/Å, energies (frames,) kcal/mol
        (potential energy), label ``step`` (integrator step of each frame).
    """
    import topologies

    run = RunFolder(folder)
    settings = run.read_settings()
    done = run.read_progress()
    data = run.read_chunks(done["n_chunks"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bonds are replaced by OpenMM's below
        top = topologies.build_graph(str(run.pdb_file), mapping="all-atom")
    if top.n_beads != data["positions"].shape[1]:
        raise DataError(f"{run.pdb_file} has {top.n_beads} atoms; the chunks hold "
                        f"{data['positions'].shape[1]}")
    bonds = openmm_bonds(run.pdb_file)
    reference = {k: v for k, v in strip_identity(settings).items() if k != "units"}
    reference.update(n_frames=int(done["n_frames"]), n_chunks=int(done["n_chunks"]),
                     simulated_ns=float(done["n_frames"] * settings["save_interval_ps"] * 1e-3))
    if speed_ns_per_day is not None:
        reference["speed_ns_per_day"] = float(speed_ns_per_day)
    prov = dict(top.provenance)
    prov.update(source=str(run.folder), trajectory=[str(run.chunk_file(i)) for i in range(done["n_chunks"])],
                reference=reference, warnings=[],
                units=dict(prov["units"], time="ps", temperature="K", energies="potential energy, kcal/mol"))
    known = {tuple(b): int(t) for b, t in zip(top.bonds.tolist(), top.bond_types.tolist())}
    unknown = topologies.relations.BOND_TYPES["unknown"]
    bond_types = np.array([known.get(tuple(b), unknown) for b in bonds.tolist()], dtype=np.int64)
    graph = top._replace(positions=data["positions"], forces=data["forces"], energies=data["energies"],
                         labels={"step": data["steps"]}, bonds=bonds, bond_types=bond_types,
                         provenance=prov)
    if save:
        graph.save(str(output) if output is not None else str(run.graph_file))
    return graph
