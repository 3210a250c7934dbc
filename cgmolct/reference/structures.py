"""Built-in structures: the capped alanine dipeptide (ACE-ALA-NME) from standard geometry.

The heavy atoms are placed from internal coordinates (bond lengths in Å, angles and
dihedrals in degrees; Engh & Huber-like values, trans peptide bonds, φ = −80°, ψ = 150°,
an L-alanine CB); OpenMM's ``Modeller.addHydrogens`` adds the hydrogens from the force
field's templates.  The result is written to a PDB file that OpenMM and MDAnalysis read.
The geometry is minimised later, by :func:`cgmolct.reference.system.build_simulation`.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np

__all__ = ["ALANINE_DIPEPTIDE", "alanine_dipeptide_heavy_atoms", "write_alanine_dipeptide_pdb",
           "shipped_alanine_dipeptide_pdb", "shipped_reference", "SHIPPED_REFERENCE"]

#: Name of the built-in system.
ALANINE_DIPEPTIDE = "alanine-dipeptide"
_SHIPPED = Path(__file__).with_name("shipped") / "ala2.pdb"
#: The small all-atom reference set shipped with cgmolct (made by ``cgmolct data reference``;
#: the command is in benchmarks/cg_ala2/README.md): 2 ns, a frame per ps, 300 K.
SHIPPED_REFERENCE = Path(__file__).with_name("shipped") / "ala2_ref_2ns.npz"


def _place(a: np.ndarray, b: np.ndarray, c: np.ndarray, bond: float, angle: float,
           dihedral: float) -> np.ndarray:
    """Position of atom d with |cd| = bond (Å), angle bcd and dihedral abcd (degrees) (NeRF)."""
    ang, dih = np.radians(angle), np.radians(dihedral)
    bc = c - b
    bc /= np.linalg.norm(bc)
    n = np.cross(b - a, bc)
    n /= np.linalg.norm(n)
    m = np.cross(n, bc)
    d2 = np.array([-bond * np.cos(ang), bond * np.sin(ang) * np.cos(dih), bond * np.sin(ang) * np.sin(dih)])
    return c + d2[0] * bc + d2[1] * m + d2[2] * n


def _carbonyl_oxygen(prev: np.ndarray, c: np.ndarray, nxt: np.ndarray, bond: float = 1.23) -> np.ndarray:
    """O of a peptide carbonyl: in the plane of prev-C-next, opposite both neighbours."""
    u = (c - prev) / np.linalg.norm(c - prev) + (c - nxt) / np.linalg.norm(c - nxt)
    return c + bond * u / np.linalg.norm(u)


def alanine_dipeptide_heavy_atoms(phi: float = -80.0, psi: float = 150.0
                                  ) -> List[Tuple[str, str, int, np.ndarray]]:
    """Heavy atoms of ACE-ALA-NME as (residue name, atom name, residue id, position Å).

    Parameters
    ----------
    phi, psi : float
        Backbone dihedrals of the alanine (degrees).
    """
    ch3 = np.array([0.0, 0.0, 0.0])
    c0 = np.array([1.52, 0.0, 0.0])
    n1 = _place(np.array([0.0, 1.0, 0.0]), ch3, c0, 1.33, 116.6, 180.0)
    ca = _place(ch3, c0, n1, 1.46, 121.7, 180.0)            # omega (ACE-ALA) trans
    c1 = _place(c0, n1, ca, 1.52, 111.0, phi)
    n2 = _place(n1, ca, c1, 1.33, 116.2, psi)
    ch3b = _place(ca, c1, n2, 1.46, 121.7, 180.0)           # omega (ALA-NME) trans
    cb = _place(c1, n1, ca, 1.53, 110.5, -122.5 + 0.0)
    # keep L chirality: (N - CA) x (C - CA) . (CB - CA) > 0
    if np.dot(np.cross(n1 - ca, c1 - ca), cb - ca) < 0:
        cb = _place(c1, n1, ca, 1.53, 110.5, 122.5)
    o0 = _carbonyl_oxygen(ch3, c0, n1)
    o1 = _carbonyl_oxygen(ca, c1, n2)
    return [("ACE", "CH3", 1, ch3), ("ACE", "C", 1, c0), ("ACE", "O", 1, o0),
            ("ALA", "N", 2, n1), ("ALA", "CA", 2, ca), ("ALA", "CB", 2, cb), ("ALA", "C", 2, c1),
            ("ALA", "O", 2, o1), ("NME", "N", 3, n2), ("NME", "C", 3, ch3b)]


def _pdb_lines(atoms: Sequence[Tuple[str, str, int, np.ndarray]]) -> List[str]:
    lines = []
    for k, (res, name, rid, xyz) in enumerate(atoms, start=1):
        element = name[0]
        label = f" {name:<3s}" if len(name) < 4 else name
        lines.append(f"ATOM  {k:5d} {label:4s} {res:3s} A{rid:4d}    "
                     f"{xyz[0]:8.3f}{xyz[1]:8.3f}{xyz[2]:8.3f}  1.00  0.00          {element:>2s}")
    return lines + ["TER", "END"]


def write_alanine_dipeptide_pdb(path, forcefield_files: Sequence[str] = ("amber03.xml",),
                                phi: float = -80.0, psi: float = 150.0) -> str:
    """Write ACE-ALA-NME with hydrogens (added by OpenMM's Modeller) to ``path``.

    Parameters
    ----------
    path : path-like
        Output PDB file.
    forcefield_files : sequence of str
        Force-field XML files whose templates decide the hydrogens.
    phi, psi : float
        Backbone dihedrals (degrees) of the starting structure.

    Returns
    -------
    str
        The path written.
    """
    import io

    from openmm import app

    heavy = io.StringIO("\n".join(_pdb_lines(alanine_dipeptide_heavy_atoms(phi, psi))) + "\n")
    pdb = app.PDBFile(heavy)
    modeller = app.Modeller(pdb.topology, pdb.positions)
    modeller.addHydrogens(app.ForceField(*forcefield_files))
    for residue in modeller.topology.residues():  # Amber name of the NME methyl carbon
        if residue.name == "NME":
            for atom in residue.atoms():
                atom.name = "CH3" if atom.name == "C" else atom.name
    from cgmolct.train.checkpoint import atomic_write_text

    out = io.StringIO()
    app.PDBFile.writeFile(modeller.topology, modeller.positions, out, keepIds=True)
    atomic_write_text(Path(path), out.getvalue())
    return str(path)


def shipped_alanine_dipeptide_pdb() -> str:
    """Path of the prepared ACE-ALA-NME PDB shipped with cgmolct (22 atoms, with hydrogens)."""
    return str(_SHIPPED)


def shipped_reference(mapping: Optional[str] = None):
    """The shipped alanine-dipeptide reference set as a CGGraph.

    Parameters
    ----------
    mapping : str, optional
        None for the all-atom graph (22 atoms; positions Å, forces kcal/mol/Å, potential
        energies kcal/mol), or a CG mapping (``backbone``, ``heavy``, ``ca``, ``cacb``) applied
        with :func:`cgmolct.reference.mapping.map_reference`.
    """
    import topologies

    from ..errors import DataError

    if not SHIPPED_REFERENCE.exists():
        raise DataError(f"{SHIPPED_REFERENCE}: the shipped reference set is missing from this installation")
    graph = topologies.CGGraph.load(str(SHIPPED_REFERENCE))
    if mapping is None:
        return graph
    from .mapping import map_reference

    return map_reference(graph, mapping)
