"""Contact ensembles: frequencies of residue contacts over an OpenMM trajectory of one structure.

The ensemble mode of the contact model predicts, from ONE structure, how often each pair of
residues is in contact over a trajectory that starts from it.  Its training data come from
:func:`simulate_ensemble`, which for a crystal structure

1. prepares it (:func:`cgmolct.reference.prepare.prepare_protein`: protein atoms, first
   altloc, terminal oxygens, hydrogens; gaps and missing heavy atoms are refused);
2. runs all-atom Langevin MD with OpenMM through :func:`cgmolct.reference.run_reference`
   (settings :data:`ENSEMBLE_SETTINGS`: AMBER ff03 + OBC implicit solvent with a 10 Å cutoff,
   300 K, friction 1/ps, 4 fs steps with hydrogen-bond constraints and hydrogen masses of
   4 amu, 2 ps of equilibration after minimisation, then 10 ps saved every 0.2 ps);
3. writes the frames as ``trajectory.dcd`` (MDAnalysis) beside ``input.pdb`` (the prepared,
   unminimised structure: the input of a prediction) and ``system.pdb`` (its topology);
4. computes closest-heavy-atom contacts (< 4.5 Å) per frame and their frequencies, saved as
   ``labels.npz`` in the ``cgmolct-contact-labels`` format of ``cgmolct contacts labels``.

:func:`load_ensemble` reads a folder back as (CA graph of ``input.pdb``, frequencies).
"""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import numpy as np

from ..errors import InputError

__all__ = ["ENSEMBLE_SETTINGS", "simulate_ensemble", "load_ensemble", "ensemble_folders"]

#: OpenMM settings of the training ensembles (keywords of :class:`cgmolct.reference.ReferenceSettings`).
ENSEMBLE_SETTINGS: Dict[str, Any] = {
    "forcefield": ["amber03.xml", "amber03_obc.xml"],
    "temperature": 300.0,
    "friction": 1.0,
    "timestep": 0.004,
    "constraints": "hbonds",
    "hydrogen_mass": 4.0,
    "implicit_cutoff": 10.0,
    "equilibration_steps": 500,
    "n_steps": 2500,
    "save_every": 50,
    "chunk_frames": 50,
    "platform": "CPU",
}
_LABELS = "labels.npz"


def _write_dcd(path: Path, topology_pdb: Path, positions: np.ndarray) -> None:
    """Frames (F, A, 3) Å as DCD (MDAnalysis), written to a temporary name then renamed."""
    import os

    import MDAnalysis as mda

    tmp = path.with_name(path.name + ".tmp.dcd")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u = mda.Universe(str(topology_pdb))
        if positions.shape[1] != len(u.atoms):
            raise InputError(f"{topology_pdb}: {len(u.atoms)} atoms but frames of {positions.shape[1]}")
        with mda.Writer(str(tmp), n_atoms=len(u.atoms)) as w:
            for frame in positions:
                u.atoms.positions = frame
                w.write(u.atoms)
    os.replace(tmp, path)


def simulate_ensemble(structure, output, *, selection: str = "protein", seed: int = 0,
                      settings: Optional[Dict[str, Any]] = None, progress: bool = False) -> Dict[str, Any]:
    """Prepare ``structure``, simulate it with OpenMM and save its contact frequencies.

    Parameters
    ----------
    structure : path-like
        Crystal or model structure (PDB, PDB.gz, ...).
    output : path-like
        Folder: ``input.pdb``, ``run/`` (the resumable OpenMM run), ``system.pdb``,
        ``trajectory.dcd``, ``labels.npz``.  A complete folder is returned unchanged; an
        interrupted run continues.
    selection : str
        MDAnalysis selection of the protein (default ``protein``).
    seed : int
        OpenMM integrator and velocity seed.
    settings : dict, optional
        Overrides of :data:`ENSEMBLE_SETTINGS` (other keys of ``ReferenceSettings`` than
        ``pdb`` and ``seed``, which this function sets).
    progress : bool
        OpenMM progress lines.

    Returns
    -------
    dict
        The header of ``labels.npz`` (residues, frames, settings, ns/day).
    """
    from ..reference import ReferenceSettings, run_reference
    from ..reference.chunks import RunFolder
    from ..reference.prepare import prepare_protein
    from ..storage import make_header
    from .files import FORMAT_VERSION, LABELS_FORMAT, read_contacts, write_contacts
    from .labels import contact_frequency, contact_maps, read_structure, separation_matrix

    out = Path(output)
    if (out / _LABELS).is_file():
        return read_contacts(out / _LABELS)[0]
    cfg = dict(ENSEMBLE_SETTINGS, **(settings or {}))
    unknown = set(cfg) - (set(ReferenceSettings.__dataclass_fields__) - {"pdb", "seed"})
    if unknown:
        raise InputError(f"unknown ensemble settings: {', '.join(sorted(unknown))}")
    prepared = out / "input.pdb"  # written atomically (folders created) once preparation succeeds
    if not prepared.is_file():
        prepare_protein(structure, prepared, selection=selection, forcefield=cfg["forcefield"])
    rs = ReferenceSettings(pdb=str(prepared), seed=int(seed), **cfg)
    graph = run_reference(out / "run", rs, progress=progress, label=Path(str(structure)).name)
    system_pdb = out / "run" / "system.pdb"
    _write_dcd(out / "trajectory.dcd", system_pdb, np.asarray(graph.positions, np.float32))
    s = read_structure(system_pdb, out / "trajectory.dcd", selection="protein")
    start = read_structure(prepared, selection="protein")
    if start.n_residues != s.n_residues:
        raise InputError(f"{prepared}: {start.n_residues} residues but the trajectory has {s.n_residues}")
    maps = contact_maps(s, "closest-heavy")
    freq = contact_frequency(maps)
    arrays = {"contacts": maps.astype(np.uint8), "frequency": freq,
              "static": contact_maps(start, "closest-heavy")[0].astype(np.uint8),
              "separation": separation_matrix(s.graph).astype(np.int32),
              "residue_ids": np.asarray(s.graph.residue_ids), "residue_names": np.asarray(s.graph.residue_names),
              "chain_ids": np.asarray(s.graph.chain_ids)}
    run = RunFolder(out / "run")
    prov, progress_rec = run.read_settings(), run.read_progress()
    header = make_header(LABELS_FORMAT, FORMAT_VERSION, definition="closest-heavy", cutoff_angstrom=4.5,
                         source=str(structure), trajectories=["trajectory.dcd"], selection=selection,
                         n_frames=int(s.n_frames), n_residues=int(s.n_residues),
                         ensemble={"settings": {k: prov.get(k) for k in list(cfg) + ["seed", "openmm_version"]},
                                   "speed_ns_per_day": progress_rec.get("speed_ns_per_day"),
                                   "simulated_ps": float(cfg["n_steps"]) * float(cfg["timestep"]),
                                   "input": "input.pdb (prepared, not minimised)"})
    write_contacts(out / _LABELS, arrays, header)
    return header


def load_ensemble(folder) -> Tuple[Any, np.ndarray, np.ndarray]:
    """(CA graph of ``input.pdb``, frequencies (n, n) float32, static contacts (n, n) of the input)."""
    from .files import read_contacts
    from .labels import read_structure

    folder = Path(folder)
    if not (folder / _LABELS).is_file():
        raise InputError(f"{folder}: no {_LABELS}; not a finished contact ensemble (run simulate_ensemble)")
    _, arrays = read_contacts(folder / _LABELS)
    s = read_structure(folder / "input.pdb", selection="protein")
    n = s.n_residues
    if arrays["frequency"].shape != (n, n):
        raise InputError(f"{folder}: frequencies of shape {arrays['frequency'].shape} for {n} residues")
    return s.graph, np.asarray(arrays["frequency"], np.float32), np.asarray(arrays["static"], np.float32)


def ensemble_folders(root) -> Dict[str, Path]:
    """name -> folder of every finished ensemble (``*/labels.npz``) under ``root``, sorted."""
    root = Path(root)
    return {p.parent.name: p.parent for p in sorted(root.glob(f"*/{_LABELS}"))}
