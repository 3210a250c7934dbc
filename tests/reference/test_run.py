"""run_reference: a real OpenMM run, units, provenance, exact resume after an interruption."""
from __future__ import annotations

import numpy as np
import pytest

from cgmolct.errors import InputError
from cgmolct.reference import ReferenceSettings, run_reference
from cgmolct.reference.chunks import RunFolder

from .conftest import SMALL


def _openmm_frame(folder, positions_angstrom, force_unit=None, energy_unit=None):
    """OpenMM's own forces and energy at the given positions (default kcal/mol/Å, kcal/mol)."""
    import openmm
    from openmm import app, unit

    pdb = app.PDBFile(str(folder / "system.pdb"))
    system = app.ForceField("amber03.xml", "amber03_obc.xml").createSystem(
        pdb.topology, nonbondedMethod=app.NoCutoff, constraints=None)
    context = openmm.Context(system, openmm.VerletIntegrator(0.001),
                             openmm.Platform.getPlatformByName("Reference"))
    context.setPositions(np.asarray(positions_angstrom, np.float64) * unit.angstrom)
    state = context.getState(getForces=True, getEnergy=True)
    forces = state.getForces(asNumpy=True).value_in_unit(force_unit or unit.kilocalorie_per_mole / unit.angstrom)
    energy = state.getPotentialEnergy().value_in_unit(energy_unit or unit.kilocalorie_per_mole)
    return np.asarray(forces), float(energy)


def test_graph_frames_units_and_provenance(small_run):
    folder, graph = small_run
    assert graph.n_beads == 22 and graph.n_frames == 20
    assert graph.provenance["mapping"] == "all-atom"
    assert graph.residue_names[0] == "ACE" and graph.residue_names[-1] == "NME"
    assert np.array_equal(graph.labels["step"], np.arange(1, 21) * 100)
    assert len(graph.bonds) == 21
    ref = graph.provenance["reference"]
    for key, value in (("forcefield", ["amber03.xml", "amber03_obc.xml"]), ("temperature", 300.0),
                       ("friction", 1.0), ("timestep", 0.001), ("seed", 3), ("save_every", 100),
                       ("platform_used", "Reference"), ("integrator", "LangevinMiddleIntegrator")):
        assert ref[key] == value, key
    import openmm

    assert ref["openmm_version"] == openmm.__version__
    assert graph.provenance["units"]["force"] == "kcal/mol/angstrom"
    assert graph.provenance["units"]["length"] == "angstrom"
    # Å scale: bonded C-H distances ~1.09 Å (not nm)
    d = np.linalg.norm(graph.positions[:, 0] - graph.positions[:, 1], axis=-1)
    assert np.all((d > 0.9) & (d < 1.3))


def test_forces_and_energy_match_openmm(small_run):
    folder, graph = small_run
    for frame in (0, graph.n_frames - 1):
        forces, energy = _openmm_frame(folder, graph.positions[frame])
        # positions are stored in float32: allow for the rounding of stiff bond forces
        scale = np.abs(forces).max()
        assert np.abs(graph.forces[frame] - forces).max() < 1e-3 * scale
        assert abs(graph.energies[frame] - energy) < 1e-2
    # OpenMM's native units: kJ/mol/nm = 41.84 x kcal/mol/Å, kJ/mol = 4.184 x kcal/mol
    from openmm import unit

    raw, raw_energy = _openmm_frame(folder, graph.positions[0], unit.kilojoule_per_mole / unit.nanometer,
                                    unit.kilojoule_per_mole)
    assert np.abs(graph.forces[0] * 41.84 - raw).max() < 1e-3 * np.abs(raw).max()
    assert abs(graph.energies[0] * 4.184 - raw_energy) < 4e-2
    assert 5.0 < np.sqrt(np.mean(graph.forces ** 2)) < 100.0  # kcal/mol/Å range of thermal forces


class _Interrupt(Exception):
    pass


def test_resume_after_interruption_continues_the_trajectory(small_run, tmp_path, monkeypatch):
    _, full = small_run
    folder = tmp_path / "run"
    real = RunFolder.write_state
    calls = {"n": 0}

    def crash_on_second(self, n_chunks, checkpoint, state_xml):
        calls["n"] += 1
        if calls["n"] == 2:  # chunk 1 written, its state and progress not: a crash mid-chunk
            raise _Interrupt()
        return real(self, n_chunks, checkpoint, state_xml)

    monkeypatch.setattr(RunFolder, "write_state", crash_on_second)
    with pytest.raises(_Interrupt):
        run_reference(folder, ReferenceSettings(**SMALL), progress=False)
    monkeypatch.setattr(RunFolder, "write_state", real)
    assert RunFolder(folder).read_progress()["n_chunks"] == 1
    assert RunFolder(folder).chunk_file(1).exists()  # stale, to be rewritten
    resumed = run_reference(folder, ReferenceSettings(**SMALL), progress=False)
    assert resumed.n_frames == full.n_frames
    assert np.array_equal(resumed.labels["step"], full.labels["step"])
    # the OpenMM checkpoint restores positions, velocities and the random state: same trajectory
    np.testing.assert_allclose(resumed.positions, full.positions, atol=1e-4)
    np.testing.assert_allclose(resumed.forces, full.forces, atol=1e-2)


def test_extend_and_changed_settings(small_run, tmp_path):
    folder = tmp_path / "run"
    short = dict(SMALL, n_steps=1200)  # 12 frames: chunks of 5, 5 and 2
    g = run_reference(folder, ReferenceSettings(**short), progress=False)
    assert g.n_frames == 12
    longer = run_reference(folder, ReferenceSettings(**SMALL), progress=False)
    assert longer.n_frames == 20
    np.testing.assert_array_equal(longer.positions[:12], g.positions)
    np.testing.assert_array_equal(longer.labels["step"], np.arange(1, 21) * 100)
    again = run_reference(folder, ReferenceSettings(**SMALL), progress=False)  # nothing left to run
    assert again.n_frames == 20
    with pytest.raises(InputError, match="temperature"):
        run_reference(folder, ReferenceSettings(**dict(SMALL, temperature=310.0)), progress=False)


def test_progress_lines_without_a_terminal(tmp_path, capsys):
    run_reference(tmp_path / "run", ReferenceSettings(**dict(SMALL, n_steps=1000)), label="ala2")
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("ala2:")]
    assert len(lines) == 2 and "\r" not in err and "ns/day" in lines[-1]
