"""The shipped alanine-dipeptide reference set: complete, with units and provenance, mappable."""
from __future__ import annotations

import numpy as np
import pytest

from cgmolct.reference import SHIPPED_REFERENCE, shipped_reference


@pytest.fixture(scope="module")
def shipped():
    if not SHIPPED_REFERENCE.exists():
        pytest.fail(f"{SHIPPED_REFERENCE} is missing: it is committed with the package")
    return shipped_reference()


def test_shipped_set_contents(shipped):
    g = shipped
    assert g.n_beads == 22 and g.n_frames == 2000 and g.provenance["mapping"] == "all-atom"
    ref = g.provenance["reference"]
    assert ref["temperature"] == 300.0 and ref["forcefield"] == ["amber03.xml", "amber03_obc.xml"]
    assert ref["save_interval_ps"] == 1.0 and ref["constraints"] == "none" and ref["simulated_ns"] == 2.0
    assert g.provenance["units"]["force"] == "kcal/mol/angstrom"
    assert np.isfinite(g.forces).all() and np.isfinite(g.energies).all()
    assert np.array_equal(g.labels["step"], np.arange(1, 2001) * 1000)


def test_shipped_set_maps_to_backbone(shipped):
    cg = shipped_reference("backbone")
    assert cg.n_beads == 5 and cg.n_frames == 2000
    # every atom is in one backbone bead: the summed bead forces keep the molecule's net force
    np.testing.assert_allclose(cg.forces.astype(np.float64).sum(1), shipped.forces.astype(np.float64).sum(1),
                               atol=2e-3)
