"""Prior energies and forces of frames, and delta forces (reference − prior) for training.

Forces come from :class:`cgmolct.readouts.forces.Forces` (the one −∂E/∂R of the library),
compiled with ``ms.jit`` and evaluated over fixed-size chunks of frames (the last chunk is
padded), so one compiled graph serves any number of frames.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

from ..analysis.geometry import as_frames
from ..errors import DataError, InputError

__all__ = ["prior_forces", "subtract_prior_forces", "DEFAULT_CHUNK"]

#: Frames per compiled call.
DEFAULT_CHUNK = 1024


def _compiled(priors):
    """ms.jit-compiled Forces(priors), cached on the PriorSet."""
    fn = getattr(priors, "_compiled_forces", None)
    if fn is None:
        import mindspore as ms

        from ..readouts.forces import Forces

        cell = Forces(priors)
        cell.set_train(False)
        fn = ms.jit(cell.construct)
        object.__setattr__(priors, "_compiled_forces", (cell, fn))
        return fn
    return fn[1]


def prior_forces(priors, positions, chunk_size: int = DEFAULT_CHUNK) -> Tuple[np.ndarray, np.ndarray]:
    """Energy and forces of ``priors`` for frames ``positions``.

    Parameters
    ----------
    priors : PriorSet (or any Prior cell)
    positions : (F, N, 3) or (N, 3) array, Å
    chunk_size : int
        Frames per compiled call (the last chunk is padded to this size).

    Returns
    -------
    energy : (F,) float64, kcal/mol
    forces : (F, N, 3) float32, kcal/mol/Å
    """
    import mindspore as ms

    pos = as_frames(positions)
    n_beads = getattr(priors, "n_beads", None)
    if n_beads is not None and pos.shape[1] != n_beads:
        raise InputError(f"positions has shape {pos.shape}; the priors were fitted on {n_beads} beads")
    if int(chunk_size) < 1:
        raise InputError(f"chunk_size must be >= 1, got {chunk_size}")
    f = pos.shape[0]
    chunk = min(int(chunk_size), f)
    fn = _compiled(priors)
    energy = np.empty(f, dtype=np.float64)
    forces = np.empty(pos.shape, dtype=np.float32)
    for start in range(0, f, chunk):
        part = np.asarray(pos[start:start + chunk], dtype=np.float32)
        m = len(part)
        if m < chunk:
            part = np.concatenate([part, np.repeat(part[-1:], chunk - m, axis=0)])
        e, g = fn(ms.Tensor(part))
        energy[start:start + m] = e.asnumpy()[:m]
        forces[start:start + m] = g.asnumpy()[:m]
    return energy, forces


def subtract_prior_forces(graph, priors, chunk_size: int = DEFAULT_CHUNK):
    """A copy of ``graph`` whose forces (and energies) are reference minus prior: delta forces.

    Parameters
    ----------
    graph : CGGraph
        With mapped forces (kcal/mol/Å); energies are shifted too when present.
    priors : PriorSet
    chunk_size : int
        Frames per compiled call.

    Returns
    -------
    CGGraph
        Same topology and positions; ``forces`` = F_ref − F_prior, ``energies`` = E_ref −
        E_prior; ``provenance["delta_forces"]`` records the prior terms, the fit temperature
        and that the subtraction was done, and ``labels["prior_energy"]`` holds E_prior.
    """
    from topologies import CGGraph
    from topologies.graph import BEAD_FIELDS

    if not isinstance(graph, CGGraph):
        raise InputError(f"subtract_prior_forces needs a CGGraph, got {type(graph).__name__}")
    if graph.forces is None:
        raise DataError("the graph has no forces; delta forces need mapped reference forces "
                        "(build it from a trajectory with forces, e.g. cgmolct data reference)")
    prov = dict(graph.provenance)
    if "delta_forces" in prov:
        raise DataError("the graph's forces are already delta forces (provenance['delta_forces']); "
                        "subtracting the priors twice would be wrong")
    e_prior, f_prior = prior_forces(priors, graph.positions, chunk_size)
    forces = np.asarray(graph.forces, dtype=np.float32) - f_prior
    energies = None if graph.energies is None else np.asarray(graph.energies) - e_prior
    prov["delta_forces"] = {"terms": list(getattr(priors, "term_names", [])),
                            "temperature": getattr(priors, "temperature", None),
                            "fit": getattr(priors, "metadata", {}),
                            "forces": "reference - prior", "energies":
                                None if energies is None else "reference - prior"}
    labels = dict(graph.labels)
    labels["prior_energy"] = e_prior
    kwargs = {field: getattr(graph, field) for field in BEAD_FIELDS if field != "types"}
    return CGGraph(graph.types, graph.positions, **kwargs, bonds=graph.bonds, bond_types=graph.bond_types,
                   forces=forces, energies=energies, labels=labels, box=graph.box,
                   mapping=graph.mapping, provenance=prov)
