"""Small models shared by the model tests (tiny sizes keep the tests fast)."""
from __future__ import annotations

import pytest

ms = pytest.importorskip("mindspore")


def small(name: str, **kw):
    from cgmolct.models import MolCT, PhysNet, SchNet

    ms.set_seed(kw.pop("seed", 0))
    if name == "molct":
        return MolCT(**{**dict(dim=16, n_heads=2, n_interactions=2, r_cut=6.0), **kw})
    if name == "niu":
        return MolCT(**{**dict(dim=16, n_heads=2, n_interactions=1, max_cycles=3,
                               fixed_cycles=True, r_cut=6.0), **kw})
    if name == "schnet":
        return SchNet(**{**dict(dim=16, dim_filter=16, n_interactions=2, r_cut=6.0,
                                n_basis=16), **kw})
    if name == "physnet":
        return PhysNet(**{**dict(dim=16, n_modules=2, n_residual_interaction=1,
                                 n_residual_atomic=1, n_residual_output=1, r_cut=6.0,
                                 n_basis=16), **kw})
    raise KeyError(name)


@pytest.fixture
def small_model():
    return small


REPRESENTATIONS = ["molct", "niu", "schnet", "physnet"]
