"""Bad structures and settings give one-line InputErrors naming what is wrong."""
from __future__ import annotations

import pytest

pytest.importorskip("openmm")

from cgmolct.errors import InputError  # noqa: E402
from cgmolct.reference import ReferenceSettings, SystemSpec, run_reference, shipped_alanine_dipeptide_pdb  # noqa: E402
from cgmolct.reference.system import build_system, choose_platform  # noqa: E402


def _shipped_lines():
    with open(shipped_alanine_dipeptide_pdb()) as fh:
        return fh.read().splitlines()


def _write(tmp_path, name, lines):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_shipped_structure_builds():
    pdb, system = build_system(SystemSpec(shipped_alanine_dipeptide_pdb()))
    assert system.getNumParticles() == 22 and system.getNumConstraints() == 0


def test_missing_hydrogens_name_the_residue(tmp_path):
    lines = [ln for ln in _shipped_lines()
             if not (ln.startswith(("ATOM", "HETATM")) and ln[76:78].strip() == "H") and not ln.startswith("CONECT")]
    path = _write(tmp_path, "noH.pdb", lines)
    with pytest.raises(InputError) as info:
        build_system(SystemSpec(path))
    text = str(info.value)
    assert "noH.pdb" in text and "ACE 1" in text and "missing 3 H atoms" in text
    assert "no hydrogen atoms" in text and "ALA 2" in text and "\n" not in text


def test_missing_heavy_atom_and_unknown_residue(tmp_path):
    no_cb = [ln for ln in _shipped_lines() if not (ln.startswith("ATOM") and ln[12:16].strip() in ("CB", "HB1", "HB2", "HB3"))]
    with pytest.raises(InputError, match="ALA 2"):
        build_system(SystemSpec(_write(tmp_path, "nocb.pdb", no_cb)))
    renamed = [ln.replace("ALA", "XYZ") for ln in _shipped_lines()]
    with pytest.raises(InputError, match="XYZ 2"):
        build_system(SystemSpec(_write(tmp_path, "xyz.pdb", renamed)))


def test_files_force_fields_platforms_settings(tmp_path):
    with pytest.raises(InputError, match="no such PDB"):
        build_system(SystemSpec(str(tmp_path / "missing.pdb")))
    with pytest.raises(InputError, match="no ATOM or HETATM"):
        build_system(SystemSpec(_write(tmp_path, "empty.pdb", ["REMARK nothing"])))
    with pytest.raises(InputError, match="nope.xml"):
        build_system(SystemSpec(shipped_alanine_dipeptide_pdb(), forcefield=["nope.xml"]))
    with pytest.raises(InputError, match="platform"):
        choose_platform("Quantum", 22)
    assert choose_platform("auto", 22).getName() == "Reference"
    for bad in (dict(n_steps=0), dict(save_every=500, n_steps=100), dict(equilibration_steps=-1),
                dict(temperature=-1.0), dict(seed=-2), dict(constraints="rigid")):
        with pytest.raises(InputError):
            run_reference(tmp_path / "run", ReferenceSettings(**dict(dict(n_steps=100, save_every=10), **bad)),
                          progress=False)
