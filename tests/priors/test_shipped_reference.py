"""Priors fitted to the shipped OpenMM alanine-dipeptide reference (ff03 + OBC, 300 K), backbone map.

Skips while the shipped set is not in this checkout (it is made by ``cgmolct data reference``).
"""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("mindspore")

from cgmolct.analysis import BackboneDihedrals, basin_populations  # noqa: E402
from cgmolct.priors import PriorFitter, prior_forces  # noqa: E402


@pytest.fixture(scope="module")
def backbone():
    from cgmolct.reference import SHIPPED_REFERENCE, shipped_reference

    if not SHIPPED_REFERENCE.exists():
        pytest.skip(f"{SHIPPED_REFERENCE} is not in this checkout yet")
    return shipped_reference("backbone")


def test_dihedral_prior_prefers_alpha_r_over_its_mirror(backbone):
    priors = PriorFitter(temperature=300.0).fit(backbone).fetch_model()
    assert priors.term_names == ["bonds", "angles", "dihedrals", "repulsion"]
    angles = BackboneDihedrals(backbone).run().results
    pops = basin_populations(angles.phi[:, 0], angles.psi[:, 0])["populations"]
    assert pops["alphaR"] > 5 * pops["alphaL"]
    dih = priors.term("dihedrals")
    alpha_r = np.radians([[-65.0, -40.0]])
    e_r, e_l = dih.energy_of_angles(alpha_r).sum(), dih.energy_of_angles(-alpha_r).sum()
    assert e_l - e_r > 2 * 0.0019872041 * 300.0
    # subtracting the priors removes a large part of the mapped force
    sub = backbone.select_frames(slice(0, 256))
    _, f_prior = prior_forces(priors, sub.positions, chunk_size=256)
    assert np.mean((sub.forces - f_prior) ** 2) < np.mean(sub.forces ** 2)
