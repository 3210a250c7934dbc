import numpy as np
import pytest

from cgmolct import units
from cgmolct.errors import InputError


@pytest.mark.parametrize("a,b", [("nm", "angstrom"), ("kJ/mol", "kcal/mol"), ("hartree", "kcal/mol"),
                                 ("kJ/mol/nm", "kcal/mol/angstrom"), ("bohr", "nm"), ("fs", "ps"),
                                 ("hartree/bohr", "kJ/mol/angstrom")])
def test_round_trip(a, b):
    x = np.array([0.0, 1.5, -3.25, 1e4])
    np.testing.assert_allclose(units.convert(units.convert(x, a, b), b, a), x, rtol=1e-12)


def test_known_factors():
    assert units.convert(1.0, "nm", "angstrom") == pytest.approx(10.0)
    assert units.convert(4.184, "kJ/mol", "kcal/mol") == pytest.approx(1.0)
    assert units.convert(1.0, "kJ/mol/nm", "kcal/mol/angstrom") == pytest.approx(1 / 41.84)
    assert units.convert(1.0, "hartree", "kcal/mol") == pytest.approx(627.5095, rel=1e-6)
    assert units.kT(300.0) == pytest.approx(0.596161, rel=1e-5)


def test_bad_units_raise_library_error():
    with pytest.raises(InputError, match="unknown unit"):
        units.convert(1.0, "furlong", "angstrom")
    with pytest.raises(InputError, match="cannot convert"):
        units.convert(1.0, "nm", "kcal/mol")
    with pytest.raises(InputError, match="positive"):
        units.kT(-1)
