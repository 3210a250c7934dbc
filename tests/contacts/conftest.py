"""Shared fixtures of the contact tests."""
from __future__ import annotations

import warnings

import pytest

from cgmolct.contacts.labels import contact_maps, read_structure
from cgmolct.contacts.sources import dssp_files


@pytest.fixture(scope="session")
def proteins():
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in dssp_files()[:3]:
            s = read_structure(f)
            out[f.name.split(".")[0]] = (s.graph, contact_maps(s)[0])
    return out
