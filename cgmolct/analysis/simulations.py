"""Angles from a ``cgmolct simulate`` output folder: every replica, frames at one bath temperature.

The folder holds ``topology.pdb``, ``replica_RRR_partPPP.dcd`` (each replica's frames, parts
in order) and ``energies.csv`` (one row per replica per saved frame, with the bath
temperature ``bath_K``).  Replicas are read one after the other and concatenated.  With
parallel tempering the bath of a replica changes; only frames whose bath is the requested
temperature are kept (the Boltzmann ensemble at that temperature).
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Dict, Optional, Sequence

import numpy as np

from ..errors import DataError, InputError
from .trajectories import load_angles

__all__ = ["is_simulation_folder", "simulation_angles"]

_TOPOLOGY = "topology.pdb"
_ENERGIES = "energies.csv"


def is_simulation_folder(path) -> bool:
    """True for a folder with ``topology.pdb`` and ``replica_*_part*.dcd`` files."""
    p = Path(path)
    return p.is_dir() and (p / _TOPOLOGY).is_file() and any(p.glob("replica_*_part*.dcd"))


def _baths(folder: Path) -> Optional[Dict[int, np.ndarray]]:
    path = folder / _ENERGIES
    if not path.is_file():
        return None
    rows: Dict[int, list] = {}
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"step", "replica", "bath_K"} <= set(reader.fieldnames):
            raise DataError(f"{path}: expected columns step, replica and bath_K")
        for row in reader:
            rows.setdefault(int(row["replica"]), []).append((int(row["step"]), float(row["bath_K"])))
    return {r: np.array([b for _, b in sorted(v)]) for r, v in rows.items()}


def simulation_angles(folder, temperature: float, cvs=None, residue: Optional[str] = None,
                      replicas: Optional[Sequence[int]] = None) -> Dict[str, object]:
    """Two dihedrals (degrees) of every replica's frames at bath ``temperature`` (K).

    Parameters
    ----------
    folder : path
        Output folder of ``cgmolct simulate``.
    temperature : float
        K; frames at another bath temperature (parallel tempering) are left out.
    cvs, residue
        As in :func:`~.trajectories.load_angles`.
    replicas : sequence of int, optional
        Replicas to read (default all).

    Returns
    -------
    dict
        As :func:`~.trajectories.load_angles`, plus ``replicas`` (read) and
        ``frames_per_replica`` (kept).
    """
    folder = Path(folder)
    if not is_simulation_folder(folder):
        raise InputError(f"{folder}: not a cgmolct simulation folder ({_TOPOLOGY} + replica_*_part*.dcd)")
    found = sorted({int(p.name.split("_")[1]) for p in folder.glob("replica_*_part*.dcd")})
    chosen = found if replicas is None else [int(r) for r in replicas]
    missing = sorted(set(chosen) - set(found))
    if missing:
        raise InputError(f"{folder}: no trajectory of replica(s) {missing}; found {found}")
    baths = _baths(folder)
    xs, ys, kept, out = [], [], [], None
    for r in chosen:
        parts = sorted(str(p) for p in folder.glob(f"replica_{r:03d}_part*.dcd"))
        out = load_angles(parts[0], parts[1:], topology=str(folder / _TOPOLOGY), cvs=cvs, residue=residue)
        per = len(out["x"]) // out["n_frames"]
        mask = np.ones(out["n_frames"], dtype=bool)
        if baths is not None and r in baths:
            bath = baths[r]
            if len(bath) != out["n_frames"]:
                raise DataError(f"{folder}: replica {r} has {out['n_frames']} frames in its DCDs but "
                                f"{len(bath)} rows in {_ENERGIES}")
            mask = np.isclose(bath, float(temperature), rtol=0, atol=1e-3)
        xs.append(out["x"][np.repeat(mask, per)])
        ys.append(out["y"][np.repeat(mask, per)])
        kept.append(int(mask.sum()))
    if sum(kept) == 0:
        raise InputError(f"{folder}: no frame at the bath temperature {temperature:g} K")
    return dict(out, x=np.concatenate(xs), y=np.concatenate(ys), n_frames=sum(kept),
                source=[str(folder)], replicas=chosen, frames_per_replica=kept)
