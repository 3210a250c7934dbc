"""Synthetic 5-bead backbone chains (C_ACE, N, CA, C, N_NME) built from internal coordinates."""
from __future__ import annotations

import numpy as np

KB = 0.0019872041
NAMES = ["C", "N", "CA", "C", "N"]
RESNAMES = ["ACE", "ALA", "ALA", "ALA", "NME"]
RESIDS = [1, 2, 2, 2, 3]


def place(a, b, c, length, angle, dihedral):
    """NeRF: bead d with |d − c| = length, angle(b, c, d) = angle, dihedral(a, b, c, d) = dihedral (rad)."""
    bc = c - b
    bc /= np.linalg.norm(bc, axis=-1, keepdims=True)
    n = np.cross(b - a, bc)
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    m = np.cross(n, bc)
    length, angle, dihedral = (np.asarray(x, dtype=np.float64)[..., None] for x in (length, angle, dihedral))
    return c - length * np.cos(angle) * bc + length * np.sin(angle) * (np.cos(dihedral) * m + np.sin(dihedral) * n)


def chain(bonds, angles, dihedrals):
    """Positions (F, 5, 3) from bond lengths (F, 4) Å, angles (F, 3) rad and dihedrals (F, 2) rad."""
    bonds, angles, dihedrals = (np.asarray(x, dtype=np.float64) for x in (bonds, angles, dihedrals))
    f = len(bonds)
    x0 = np.zeros((f, 3))
    x1 = np.zeros((f, 3))
    x1[:, 0] = bonds[:, 0]
    x2 = x1 + bonds[:, 1:2] * np.stack([-np.cos(angles[:, 0]), np.sin(angles[:, 0]), np.zeros(f)], axis=1)
    x3 = place(x0, x1, x2, bonds[:, 2], angles[:, 1], dihedrals[:, 0])
    x4 = place(x1, x2, x3, bonds[:, 3], angles[:, 2], dihedrals[:, 1])
    return np.stack([x0, x1, x2, x3, x4], axis=1)


def sample_harmonic(rng, n, k, x0, temperature, jacobian=None, lo=None, hi=None):
    """Samples of p(x) ∝ J(x) exp(−½k(x − x0)²/kT) by inverse CDF on a fine grid."""
    kt = KB * temperature
    width = 8 * np.sqrt(kt / k)
    lo = x0 - width if lo is None else max(lo, x0 - width)
    hi = x0 + width if hi is None else min(hi, x0 + width)
    grid = np.linspace(lo, hi, 20001)
    p = np.exp(-0.5 * k * (grid - x0) ** 2 / kt) * (jacobian(grid) if jacobian else 1.0)
    cdf = np.cumsum(p)
    cdf /= cdf[-1]
    return np.interp(rng.random(n), cdf, grid)


def sample_angles(rng, n, energy, temperature):
    """Samples of p(φ) ∝ exp(−U(φ)/kT) on [−π, π)."""
    grid = np.linspace(-np.pi, np.pi, 20001)
    p = np.exp(-(energy(grid) - energy(grid).min()) / (KB * temperature))
    cdf = np.cumsum(p)
    cdf /= cdf[-1]
    return np.interp(rng.random(n), cdf, grid)


def alanine_like(n_frames=4000, seed=0, temperature=300.0):
    """Chain frames with β (φ≈−80°, ψ≈150°) and αR (φ≈−70°, ψ≈−40°) basins, no αL; angles in rad."""
    rng = np.random.default_rng(seed)
    bonds = np.stack([sample_harmonic(rng, n_frames, k, r0, temperature, lambda r: r * r)
                      for k, r0 in ((300.0, 1.34), (250.0, 1.46), (280.0, 1.53), (320.0, 1.33))], axis=1)
    angles = np.stack([sample_harmonic(rng, n_frames, k, t0, temperature, np.sin, 0.0, np.pi)
                       for k, t0 in ((60.0, 2.13), (50.0, 1.94), (55.0, 2.03))], axis=1)
    beta = rng.random(n_frames) < 0.6
    phi = np.where(beta, rng.normal(-80, 15, n_frames), rng.normal(-70, 12, n_frames))
    psi = np.where(beta, rng.normal(150, 15, n_frames), rng.normal(-40, 12, n_frames))
    dih = np.radians(np.stack([phi, psi], axis=1))
    return chain(bonds, angles, dih), bonds, angles, dih


def graph_of(positions, forces=None):
    """A backbone-map CGGraph of chain frames."""
    from topologies import CGGraph

    return CGGraph([6, 7, 6, 6, 7], positions, names=NAMES, residue_names=RESNAMES, residue_ids=RESIDS,
                   bonds=[[0, 1], [1, 2], [2, 3], [3, 4]], forces=forces,
                   provenance={"mapping": "backbone", "source": "synthetic"})
