"""``PriorFitter``: the estimator that fits a whole :class:`PriorSet` to a reference graph.

deeptime style: ``PriorFitter(temperature=300).fit(graph).fetch_model()`` → PriorSet.
Which terms exist follows from the graph's bonds (:mod:`cgmolct.priors.terms`); their
parameters come from Boltzmann inversion of the graph's frames (``from_statistics`` of each
prior class).
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence

import numpy as np

from ..errors import DataError, InputError
from ..units import kT as _kT
from . import terms as _terms
from .angles import HarmonicAngles
from .bonds import HarmonicBonds
from .dihedrals import FourierDihedrals
from .prior_set import PriorSet
from .repulsion import Repulsion

__all__ = ["PriorFitter", "TERMS", "DEFAULT_TERMS"]

#: Every term kind the fitter knows, in the order they are fitted.
TERMS = ("bonds", "angles", "dihedrals", "impropers", "repulsion")
#: Terms fitted by default (impropers appear only where a bead has three bonded neighbours).
DEFAULT_TERMS = TERMS


def _bead_labels(graph) -> list:
    names = getattr(graph, "names", None)
    if names is None:
        return [str(i) for i in range(graph.positions.shape[1])]
    res = getattr(graph, "residue_names", None)
    rid = getattr(graph, "residue_ids", None)
    out = []
    for i, n in enumerate(names):
        out.append(f"{res[i]}{rid[i]}:{n}" if res is not None and rid is not None and res[i] else str(n))
    return out


def _pooled(graphs):
    """One graph-like view of several graphs of the same system: frames concatenated."""
    from types import SimpleNamespace

    first = graphs[0]
    for k, g in enumerate(graphs[1:], start=1):
        if g.positions.shape[1] != first.positions.shape[1] or not np.array_equal(g.bonds, first.bonds):
            raise InputError(f"PriorFitter.fit: graph {k} has {g.positions.shape[1]} beads / {len(g.bonds)} "
                             f"bonds, graph 0 has {first.positions.shape[1]} / {len(first.bonds)}; pooled "
                             "graphs must be the same system at the same mapping")
    prov = dict(getattr(first, "provenance", {}) or {})
    prov["source"] = [getattr(g, "provenance", {}).get("source") for g in graphs]
    prov["trajectory"] = [getattr(g, "provenance", {}).get("trajectory") for g in graphs]
    return SimpleNamespace(positions=np.concatenate([np.asarray(g.positions) for g in graphs]),
                           bonds=first.bonds, names=getattr(first, "names", None),
                           residue_names=getattr(first, "residue_names", None),
                           residue_ids=getattr(first, "residue_ids", None), provenance=prov)


class PriorFitter:
    """Fit bonds, angles, dihedrals, impropers and repulsion priors to a reference CGGraph.

    Parameters
    ----------
    temperature : float
        K, the temperature of the reference simulation.
    terms : sequence of str
        Subset of :data:`TERMS` (default all of them).
    n_bins : int
        Histogram bins of the harmonic fits (default 100).
    dihedral_terms : int
        M, the highest multiplicity of the Fourier dihedrals (default 6).
    dihedral_bins : int
        Bins over [−π, π) for the dihedral fits (default 72, 5° each).
    repulsion_exponent : int
        n in ε (σ/r)^n (default 6).
    repulsion_exclusion : int
        Pairs at most this many bonds apart get no repulsion (default 3: 1-2, 1-3, 1-4).
    repulsion_max_sigma : float or None
        Cap of σ in Å (default 4.0; None: σ is the smallest observed distance of each pair).

    Examples
    --------
    >>> priors = PriorFitter(temperature=300.0).fit(graph).fetch_model()   # doctest: +SKIP
    >>> energy = priors(ms.Tensor(graph.positions[:8]))                     # doctest: +SKIP
    """

    def __init__(self, temperature: float = 300.0, terms: Sequence[str] = DEFAULT_TERMS,
                 n_bins: int = 100, dihedral_terms: int = 6, dihedral_bins: int = 72,
                 repulsion_exponent: int = 6, repulsion_exclusion: int = 3,
                 repulsion_max_sigma: Optional[float] = 4.0):
        _kT(temperature)  # validates
        unknown = [t for t in terms if t not in TERMS]
        if unknown or not len(terms):
            raise InputError(f"unknown prior terms {unknown}; choose from {list(TERMS)}" if unknown
                             else "no prior terms requested")
        self.temperature = float(temperature)
        self.terms = tuple(t for t in TERMS if t in terms)
        self.n_bins = int(n_bins)
        self.dihedral_terms = int(dihedral_terms)
        self.dihedral_bins = int(dihedral_bins)
        self.repulsion_exponent = int(repulsion_exponent)
        self.repulsion_exclusion = int(repulsion_exclusion)
        self.repulsion_max_sigma = None if repulsion_max_sigma is None else float(repulsion_max_sigma)
        self._model: Optional[PriorSet] = None

    def get_params(self) -> Dict[str, object]:
        """The options, as passed (JSON-able)."""
        return {"temperature": self.temperature, "terms": list(self.terms), "n_bins": self.n_bins,
                "dihedral_terms": self.dihedral_terms, "dihedral_bins": self.dihedral_bins,
                "repulsion_exponent": self.repulsion_exponent,
                "repulsion_exclusion": self.repulsion_exclusion,
                "repulsion_max_sigma": self.repulsion_max_sigma}

    def fit(self, graph) -> "PriorFitter":
        """Fit to the frames of ``graph`` (a CGGraph with bonds, or a list of graphs of the
        same system, e.g. several reference seeds, whose frames are pooled); returns self."""
        graphs = list(graph) if isinstance(graph, (list, tuple)) else [graph]
        for g in graphs:
            if not hasattr(g, "bonds") or not hasattr(g, "positions"):
                raise InputError(f"PriorFitter.fit needs CGGraphs (bonds + positions), got {type(g).__name__}")
        if not graphs:
            raise InputError("PriorFitter.fit: no graph given")
        graph = graphs[0]
        if len(graphs) > 1:
            graph = _pooled(graphs)
        n = int(graph.positions.shape[1])
        if graph.positions.shape[0] < 2:
            raise DataError(f"the graph has {graph.positions.shape[0]} frame(s); fitting priors by "
                            "Boltzmann inversion needs many frames of a reference simulation")
        index = _terms.terms_of(graph.bonds, n, exclusion=self.repulsion_exclusion)
        t = self.temperature
        priors = []
        for term in self.terms:
            idx = index[term]
            if len(idx) == 0:
                continue
            if term == "bonds":
                priors.append(HarmonicBonds.from_statistics(graph, idx, t, n_bins=self.n_bins))
            elif term == "angles":
                priors.append(HarmonicAngles.from_statistics(graph, idx, t, n_bins=self.n_bins))
            elif term in ("dihedrals", "impropers"):
                priors.append(FourierDihedrals.from_statistics(
                    graph, idx, t, n_terms=self.dihedral_terms, n_bins=self.dihedral_bins, name=term))
            elif term == "repulsion":
                priors.append(Repulsion.from_statistics(graph, idx, t, exponent=self.repulsion_exponent,
                                                        max_sigma=self.repulsion_max_sigma))
        if not priors:
            raise DataError(f"the graph has no {', '.join(self.terms)} terms (it has {len(graph.bonds)} "
                            "bonds); nothing to fit")
        prov = getattr(graph, "provenance", {}) or {}
        meta = {"fitter": "PriorFitter", "options": self.get_params(),
                "n_frames": int(graph.positions.shape[0]), "mapping": prov.get("mapping"),
                "source": prov.get("source"), "trajectory": prov.get("trajectory"),
                "method": "Boltzmann inversion of reference histograms"}
        self._model = PriorSet(priors, n_beads=n, temperature=t, bead_labels=_bead_labels(graph),
                               metadata=meta)
        return self

    def fetch_model(self) -> PriorSet:
        """The fitted PriorSet (after :meth:`fit`)."""
        if self._model is None:
            raise InputError("PriorFitter: call fit(graph) before fetch_model()")
        return self._model
