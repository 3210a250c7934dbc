"""``PriorSet``: the sum of several priors, one cell with the same call."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from mindspore import nn, ops

from ..errors import InputError
from .base import Prior

__all__ = ["PriorSet", "WithPriors"]


class PriorSet(nn.Cell):
    """E(R) = Σ_t E_t(R) over prior terms (bonds, angles, dihedrals, repulsion, ...).

    Parameters
    ----------
    priors : sequence of Prior
        The terms (may be empty: then the energy is 0).
    n_beads : int, optional
        Number of beads of the system the priors were fitted on (checked against positions
        by :func:`cgmolct.priors.prior_forces` and by the simulator).
    temperature : float, optional
        K, the temperature of the fit.
    bead_labels : sequence of str, optional
        Names of the beads (for tables).
    metadata : dict, optional
        JSON-able record of the fit (source graph, mapping, frames, options).

    Call ``priors(positions)`` with positions (B, N, 3) in Å → energy (B,) in kcal/mol.
    """

    def __init__(self, priors: Sequence[Prior] = (), n_beads: Optional[int] = None,
                 temperature: Optional[float] = None, bead_labels: Optional[Sequence[str]] = None,
                 metadata: Optional[Dict[str, Any]] = None):
        super().__init__()
        priors = list(priors)
        for p in priors:
            if not isinstance(p, Prior):
                raise InputError(f"PriorSet: {type(p).__name__} is not a Prior cell")
        names = [p.term_name for p in priors]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise InputError(f"PriorSet: term names must be unique; repeated {dup}")
        self.n_beads = None if n_beads is None else int(n_beads)
        if self.n_beads is not None:
            for p in priors:
                if p.max_index >= self.n_beads:
                    raise InputError(f"PriorSet: {p.term_name} uses bead {p.max_index}; the system has "
                                     f"{self.n_beads} beads")
        self.temperature = None if temperature is None else float(temperature)
        self.bead_labels = None if bead_labels is None else [str(x) for x in bead_labels]
        if self.bead_labels is not None and self.n_beads is not None and len(self.bead_labels) != self.n_beads:
            raise InputError(f"PriorSet: {len(self.bead_labels)} bead labels for {self.n_beads} beads")
        self.metadata = dict(metadata or {})
        self.terms = nn.CellList(priors)
        self.n_terms = len(priors)

    def construct(self, positions):
        energy = ops.zeros(positions.shape[0], positions.dtype)
        for term in self.terms:
            energy = energy + term(positions)
        return energy

    def term(self, name: str) -> Prior:
        """The term called ``name`` (``"bonds"``, ``"dihedrals"``, ...)."""
        for p in self.terms:
            if p.term_name == name:
                return p
        raise KeyError(f"no prior term named {name!r}; terms: {self.term_names}")

    @property
    def term_names(self) -> List[str]:
        """Names of the terms, in order."""
        return [p.term_name for p in self.terms]

    def rows(self) -> List[Dict[str, Any]]:
        """One dict per fitted term (term, beads, parameters), for tables."""
        out: List[Dict[str, Any]] = []
        for p in self.terms:
            out.extend(p.rows(self.bead_labels))
        return out

    def table(self) -> str:
        """The fitted parameters as a plain-text table (units in the header)."""
        lines = []
        for p in self.terms:
            units = ", ".join(f"{k} [{u}]" for k, u in p.UNITS.items())
            lines.append(f"{p.term_name} ({p.KIND}, {p.n_terms} terms): {units}")
            for row in p.rows(self.bead_labels):
                vals = []
                for k in p.PARAMS:
                    v = row[k]
                    vals.append(f"{k}={v}" if isinstance(v, list) else f"{k}={v:.4g}")
                lines.append(f"  {row['beads']:<24s} " + "  ".join(vals))
        return "\n".join(lines) if lines else "(no prior terms)"

    def extend_repr(self) -> str:
        return f"n_beads={self.n_beads}, temperature={self.temperature}, terms={self.term_names}"


class WithPriors(nn.Cell):
    """E(R, ...) = E_model(R, ...) + E_priors(R): a potential with its priors added.

    Parameters
    ----------
    potential : mindspore.nn.Cell
        ``potential(positions, *rest) -> energy (B,)`` in kcal/mol (the network energy).
    priors : PriorSet
        Called on the positions (B, N, 3) in Å only.

    Wrap the result in :class:`cgmolct.readouts.forces.Forces` for energy and forces.
    """

    def __init__(self, potential: nn.Cell, priors: PriorSet):
        super().__init__()
        if not isinstance(priors, PriorSet):
            raise InputError(f"WithPriors: priors must be a PriorSet, got {type(priors).__name__}")
        self.potential = potential
        self.priors = priors

    def construct(self, positions, *rest):
        return self.potential(positions, *rest) + self.priors(positions)
