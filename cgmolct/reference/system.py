"""An OpenMM simulation from a prepared PDB and named force-field files (errors translated).

OpenMM's own messages about structures the force field cannot parameterise (``No template
found for residue 2 (ALA) ... missing 5 hydrogen atoms``) become one-line
:class:`~cgmolct.errors.InputError` s naming the file, the residue and what is missing.
Units at this boundary: OpenMM works in nm, ps, kJ/mol; callers get Å, ps, kcal/mol.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from ..errors import InputError

__all__ = ["SystemSpec", "build_system", "build_simulation", "choose_platform", "CONSTRAINTS", "PLATFORMS"]

#: Constraint options (``none`` keeps every bond flexible, so mapped forces are exact).
CONSTRAINTS = ("none", "hbonds", "allbonds", "hangles")
#: Platform names accepted (``auto``: Reference below ``REFERENCE_MAX_ATOMS`` atoms, else CPU).
PLATFORMS = ("auto", "Reference", "CPU", "CUDA", "OpenCL")
#: Largest system (atoms) for which ``auto`` picks the Reference platform (for alanine
#: dipeptide it was ~15x faster than CPU: per-step overhead dominates tiny systems).
REFERENCE_MAX_ATOMS = 200


@dataclass
class SystemSpec:
    """What to simulate: a prepared PDB and the force field (OpenMM XML files).

    Attributes
    ----------
    pdb : str
        PDB file with every atom (hydrogens included) and residues the force field knows.
    forcefield : list of str
        OpenMM force-field XML files (``amber03.xml``, ``amber03_obc.xml`` ...).
    constraints : str
        One of :data:`CONSTRAINTS`.
    nonbonded_cutoff : float
        Cutoff (Å) used only for periodic systems (PME).
    implicit_cutoff : float or None
        Cutoff (Å) of non-periodic systems (nonbonded and implicit-solvent terms); None (the
        default) uses no cutoff.  A 10 Å cutoff made OBC implicit solvent ~10x cheaper for a
        1,900-atom protein here.
    hydrogen_mass : float or None
        Hydrogen mass in amu (mass repartitioning from the bonded heavy atom; e.g. 4 with
        ``hbonds`` constraints and a 4 fs step); None keeps the force field's masses.
    """

    pdb: str
    forcefield: List[str] = field(default_factory=lambda: ["amber03.xml", "amber03_obc.xml"])
    constraints: str = "none"
    nonbonded_cutoff: float = 10.0
    implicit_cutoff: Optional[float] = None
    hydrogen_mass: Optional[float] = None


def choose_platform(name: str, n_atoms: int):
    """The OpenMM platform for ``name`` (``auto``: Reference for tiny systems, else CPU)."""
    import openmm

    if name not in PLATFORMS:
        raise InputError(f"unknown OpenMM platform {name!r}; choose one of {', '.join(PLATFORMS)}")
    if name == "auto":
        name = "Reference" if n_atoms <= REFERENCE_MAX_ATOMS else "CPU"
    try:
        return openmm.Platform.getPlatformByName(name)
    except Exception:
        known = [openmm.Platform.getPlatform(i).getName() for i in range(openmm.Platform.getNumPlatforms())]
        raise InputError(f"OpenMM platform {name!r} is not available here; available: "
                         f"{', '.join(known)}") from None


def _read_pdb(path: str):
    from openmm import app

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{path}: no such PDB file")
    try:
        text = p.read_text(errors="replace")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the PDB file ({exc.strerror or exc})") from None
    if not any(line.startswith(("ATOM  ", "HETATM")) for line in text.splitlines()):
        raise InputError(f"{path}: no ATOM or HETATM record; not a PDB file with atoms")
    try:
        pdb = app.PDBFile(str(p))
    except Exception as exc:
        raise InputError(f"{path}: OpenMM cannot read this PDB file ({' '.join(str(exc).split())})") from None
    if pdb.topology.getNumAtoms() == 0:
        raise InputError(f"{path}: the PDB file contains no atoms")
    return pdb


def _forcefield(files: Sequence[str]):
    from openmm import app

    if not files:
        raise InputError("no force-field file given (e.g. amber03.xml amber03_obc.xml)")
    try:
        return app.ForceField(*files)
    except (ValueError, OSError, FileNotFoundError) as exc:
        raise InputError(f"cannot load force field {', '.join(files)}: {' '.join(str(exc).split())} "
                         "(use OpenMM's bundled names such as amber03.xml, or a path to an XML file)") from None
    except Exception as exc:
        raise InputError(f"force field {', '.join(files)} is not valid OpenMM XML: "
                         f"{' '.join(str(exc).split())}") from None


_TEMPLATE = re.compile(r"No template found for residue (\d+) \((\w+)\)")


def _atoms_present(residue) -> str:
    """The atoms a residue has, and a hint when it has no hydrogens."""
    names = sorted(a.name for a in residue.atoms())
    has_h = any(a.element is not None and a.element.symbol == "H" for a in residue.atoms())
    hint = "" if has_h else "; it has no hydrogen atoms: add them first (e.g. pdbfixer, Modeller.addHydrogens)"
    return f"atoms present: {' '.join(names)}{hint}"


def _residue_label(residue) -> str:
    return f"{residue.name} {residue.id} (chain {residue.chain.id})"


def _translate_template_error(exc: Exception, path: str, forcefield, topology) -> InputError:
    """One InputError naming the residue OpenMM stopped at, what it lacks, and the others."""
    text = " ".join(str(exc).split())
    m = _TEMPLATE.search(text)
    if not m:
        return InputError(f"{path}: the force field cannot parameterise this structure: {text}")
    index = int(m.group(1))  # OpenMM reports the 0-based residue index
    residues = list(topology.residues())
    residue = residues[index] if 0 <= index < len(residues) else None
    label = _residue_label(residue) if residue is not None else f"{m.group(2)} (residue index {index})"
    detail = text.split(").", 1)[1].strip() if ")." in text else ""
    detail = detail.split(" For more information", 1)[0].strip().rstrip(".")
    parts = [f"{path}: no force-field template for residue {label}" + (f": {detail}" if detail else "")]
    if residue is not None:
        parts.append(_atoms_present(residue))
    try:
        others = [r for r in forcefield.getUnmatchedResidues(topology) if r is not residue]
    except Exception:  # pragma: no cover - diagnostic only
        others = []
    if others:
        shown = ", ".join(_residue_label(r) for r in others[:5]) + (", ..." if len(others) > 5 else "")
        parts.append(f"{len(others)} other residue(s) without a template: {shown}")
    return InputError("; ".join(parts))


def build_system(spec: SystemSpec):
    """Read the PDB and create the OpenMM ``System``.

    Returns
    -------
    (pdb, system)
        The OpenMM ``PDBFile`` and ``System``.

    Raises
    ------
    InputError
        Unreadable PDB, unknown force-field file, residues without template (missing
        hydrogens, unknown residues), unknown constraint option.
    """
    from openmm import app, unit

    if spec.constraints not in CONSTRAINTS:
        raise InputError(f"constraints must be one of {', '.join(CONSTRAINTS)}; got {spec.constraints!r}")
    for name in ("implicit_cutoff", "hydrogen_mass"):
        value = getattr(spec, name)
        if value is not None and not (float(value) > 0):
            raise InputError(f"{name} must be > 0 or None; got {value!r}")
    pdb = _read_pdb(spec.pdb)
    ff = _forcefield(spec.forcefield)
    constraints = {"none": None, "hbonds": app.HBonds, "allbonds": app.AllBonds,
                   "hangles": app.HAngles}[spec.constraints]
    periodic = pdb.topology.getPeriodicBoxVectors() is not None
    kwargs: Dict[str, object] = {"constraints": constraints, "rigidWater": spec.constraints != "none"}
    if periodic:
        kwargs.update(nonbondedMethod=app.PME, nonbondedCutoff=spec.nonbonded_cutoff / 10.0 * unit.nanometer)
    elif spec.implicit_cutoff is not None:
        kwargs.update(nonbondedMethod=app.CutoffNonPeriodic,
                      nonbondedCutoff=float(spec.implicit_cutoff) / 10.0 * unit.nanometer)
    else:
        kwargs.update(nonbondedMethod=app.NoCutoff)
    if spec.hydrogen_mass is not None:
        kwargs["hydrogenMass"] = float(spec.hydrogen_mass) * unit.amu
    try:
        system = ff.createSystem(pdb.topology, **kwargs)
    except ValueError as exc:
        raise _translate_template_error(exc, spec.pdb, ff, pdb.topology) from None
    except Exception as exc:
        raise InputError(f"{spec.pdb}: OpenMM could not build the system: {' '.join(str(exc).split())}") from None
    return pdb, system


def build_simulation(spec: SystemSpec, *, temperature: float, friction: float, timestep: float,
                     seed: int, platform: str = "auto", minimise: bool = True):
    """An OpenMM ``Simulation`` with a ``LangevinMiddleIntegrator``.

    Parameters
    ----------
    spec : SystemSpec
    temperature : float
        K.
    friction : float
        1/ps.
    timestep : float
        ps (0.001 = 1 fs).
    seed : int
        >= 0; OpenMM's integrator seed and velocity seed are ``seed + 1`` (OpenMM treats 0
        as "pick a random seed").
    platform : str
        One of :data:`PLATFORMS`.
    minimise : bool
        Energy-minimise the PDB positions first.

    Returns
    -------
    (simulation, pdb)
    """
    import openmm
    from openmm import app, unit

    for name, value in (("temperature", temperature), ("friction", friction), ("timestep", timestep)):
        if not (value > 0):
            raise InputError(f"{name} must be > 0; got {value}")
    if int(seed) < 0:
        raise InputError(f"seed must be >= 0; got {seed}")
    pdb, system = build_system(spec)
    integrator = openmm.LangevinMiddleIntegrator(temperature * unit.kelvin, friction / unit.picosecond,
                                                 timestep * unit.picosecond)
    integrator.setRandomNumberSeed(int(seed) + 1)
    plat = choose_platform(platform, system.getNumParticles())
    simulation = app.Simulation(pdb.topology, system, integrator, plat)
    simulation.context.setPositions(pdb.positions)
    if minimise:
        simulation.minimizeEnergy()
    simulation.context.setVelocitiesToTemperature(temperature * unit.kelvin, int(seed) + 1)
    return simulation, pdb
