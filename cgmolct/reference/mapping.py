"""Map an ``all-atom`` reference graph to a CG resolution with ``topologies``' mapping code.

The all-atom graph is turned back into an MDAnalysis Universe (names, residues, chains,
elements, bonds, first-frame positions) and handed to :func:`topologies.build_graph` with the
chosen mapping -- the same path as mapping any structure file -- which gives the CG
topology and the :class:`topologies.MappingOperator`.  That operator maps every frame:

- positions by the mapping's rule (``slice``: the representative atom; ``com``: centre of
  mass; ``centroid``: heavy-atom centre);
- forces (``force_map="sum"``, default): the sum of the forces on **all** atoms of the bead,
  ``F_I = sum_{i in I} f_i``.  With position weights ``c_Ii`` (zero outside bead I, summing
  to 1) this force map ``d_Ii = 1 (i in I)`` satisfies ``sum_i d_Ii c_Ji = delta_IJ``, the
  condition for the mapped force to be an unbiased sample of the CG mean force
  (Noid et al. 2008; Ciccotti et al. 2005) -- it is force-matching consistent -- and it
  cancels the stiff bond forces inside the bead, so it is less noisy than the force on the
  representative atom alone.  ``force_map="slice"`` keeps ``topologies``' coefficients
  (representative atom only for ``slice`` beads; also consistent, noisier).

Atoms that belong to no bead (caps in ``ca``/``cacb``) contribute nothing.  The all-atom
potential energy is kept as the label ``allatom_energy`` (kcal/mol): it is not a CG energy.
"""
from __future__ import annotations

import warnings
from typing import Optional

import numpy as np

from ..errors import InputError

__all__ = ["map_reference", "REFERENCE_MAPPINGS", "FORCE_MAPS", "universe_from_graph"]

#: CG resolutions offered for reference data.
REFERENCE_MAPPINGS = ("backbone", "heavy", "ca", "cacb")
#: Force aggregations (see the module docstring).
FORCE_MAPS = ("sum", "slice")


def universe_from_graph(graph):
    """An in-memory MDAnalysis Universe of an all-atom graph (first frame's positions)."""
    import MDAnalysis as mda
    import topologies

    n = graph.n_beads
    keys = list(zip(graph.chain_ids.tolist(), graph.residue_ids.tolist(), graph.insertion_codes.tolist(),
                    graph.residue_names.tolist()))
    starts = [0] + [k for k in range(1, n) if keys[k] != keys[k - 1]]
    resindex = np.zeros(n, dtype=np.int64)
    for r, s in enumerate(starts):
        resindex[s:] = r
    n_res = len(starts)
    u = mda.Universe.empty(n, n_residues=n_res, n_segments=1, atom_resindex=resindex,
                           residue_segindex=np.zeros(n_res, dtype=np.int64), trajectory=True)
    u.add_TopologyAttr("names", graph.names.astype(str))
    u.add_TopologyAttr("elements", np.array([topologies.vocabulary.type_name(t) for t in graph.types]))
    u.add_TopologyAttr("types", np.array([topologies.vocabulary.type_name(t) for t in graph.types]))
    u.add_TopologyAttr("masses", graph.masses.astype(np.float64))
    u.add_TopologyAttr("resnames", np.array([keys[s][3] for s in starts]))
    u.add_TopologyAttr("resids", np.array([keys[s][1] for s in starts]))
    u.add_TopologyAttr("icodes", np.array([keys[s][2] for s in starts]))
    u.add_TopologyAttr("chainIDs", graph.chain_ids.astype(str))
    u.add_TopologyAttr("segids", ["A"])
    u.add_TopologyAttr("altLocs", np.full(n, "", dtype=object))
    u.add_TopologyAttr("bonds", [tuple(b) for b in graph.bonds.tolist()])
    u.atoms.positions = np.asarray(graph.positions[0], dtype=np.float32)
    return u


def map_reference(graph, mapping: str = "backbone", *, force_map: str = "sum",
                  output: Optional[str] = None):
    """The CG graph of an all-atom reference graph, every frame mapped.

    Parameters
    ----------
    graph : topologies.CGGraph or path
        ``all-atom`` graph with forces (e.g. from :func:`~cgmolct.reference.run_reference`).
    mapping : str
        One of :data:`REFERENCE_MAPPINGS` (``backbone``: ACE-ALA-NME gives the 5 beads C, N,
        CA, C, N; ``heavy``: 10 beads).
    force_map : str
        ``sum`` (all atoms of each bead, default) or ``slice`` (topologies' coefficients).
    output : path-like, optional
        Save the CG graph there (``.npz`` or a folder).

    Returns
    -------
    topologies.CGGraph
        positions Å, forces kcal/mol/Å, labels of the input plus ``allatom_energy``.

    Raises
    ------
    InputError
        Unknown mapping or force map, a graph that is not all-atom or has no forces.
    """
    import topologies
    from topologies import MappingOperator

    if mapping not in REFERENCE_MAPPINGS:
        raise InputError(f"unknown mapping {mapping!r} for reference data; choose one of "
                         f"{', '.join(REFERENCE_MAPPINGS)}")
    if force_map not in FORCE_MAPS:
        raise InputError(f"unknown force map {force_map!r}; choose one of {', '.join(FORCE_MAPS)}")
    if not isinstance(graph, topologies.CGGraph):
        try:
            graph = topologies.CGGraph.load(str(graph))
        except topologies.TopologyError as exc:
            raise InputError(f"{graph}: {exc}") from None
    if graph.mapping is None or graph.mapping.name != "all-atom":
        raise InputError(f"the input graph has mapping {graph.provenance.get('mapping')!r}; "
                         "an all-atom graph is needed (from cgmolct data reference)")
    if graph.forces is None:
        raise InputError("the input graph has no forces; reference data needs forces to map")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cg = topologies.build_graph(universe_from_graph(graph), mapping=mapping)
    op = cg.mapping
    if op.n_atoms != graph.n_beads:
        raise InputError(f"the mapping covers {op.n_atoms} atoms; the graph has {graph.n_beads}")
    if force_map == "sum":
        member = (op.atom_to_bead >= 0).astype(np.float64)
        op = MappingOperator(op.atom_to_bead, op.position_weights, member, op.rules, op.name,
                             n_beads=op.n_beads, normalise=False)
    positions = op.map_positions(graph.positions)
    forces = op.map_forces(graph.forces)
    labels = {k: np.asarray(v) for k, v in graph.labels.items()}
    if graph.energies is not None:
        labels["allatom_energy"] = np.asarray(graph.energies, dtype=np.float64)
    prov = dict(cg.provenance)
    prov.update(source=graph.provenance.get("source"), trajectory=graph.provenance.get("trajectory"),
                force_map=force_map, reference=graph.provenance.get("reference"),
                units=dict(graph.provenance.get("units", prov["units"])),
                warnings=[str(w.message) for w in caught if "bonds guessed" not in str(w.message)])
    prov["units"]["allatom_energy"] = "kcal/mol"
    prov["units"].pop("energies", None)
    out = cg._replace(positions=positions, forces=forces, energies=None, box=None, labels=labels,
                      mapping=op, provenance=prov)
    if output is not None:
        out.save(str(output))
    return out
