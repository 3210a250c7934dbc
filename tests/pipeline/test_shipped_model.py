"""The shipped alanine-dipeptide CG model loads with its priors and gives finite forces."""
from __future__ import annotations

import numpy as np


def test_shipped_model_predicts_with_priors():
    import cgmolct
    from cgmolct.pipeline import SHIPPED_MODEL
    from cgmolct.priors import load_priors
    from cgmolct.reference import shipped_reference

    assert (SHIPPED_MODEL / "priors.json").is_file()
    assert (SHIPPED_MODEL.parent / "MODEL_CARD.md").is_file()
    model = cgmolct.load(SHIPPED_MODEL)
    priors = load_priors(SHIPPED_MODEL)
    assert "dihedrals" in priors.term_names
    graph = shipped_reference("backbone").select_frames(slice(0, 8))
    pred = cgmolct.predict(model, graph)
    assert pred["forces"].shape == (8, 5, 3)
    assert np.isfinite(pred["forces"]).all()
