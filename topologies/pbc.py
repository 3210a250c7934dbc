"""Making molecules whole across periodic boundaries (before mapping).

Trajectories written with molecules wrapped into the box (GROMACS XTC, the AdK GRO/XTC of
MDAnalysisTests) split chains across the box: bonds of ~80 Å, false chain breaks and wrong
centroids.  :func:`make_whole` rebuilds each molecule from a spanning tree whose edges are
short by construction: every atom hangs from the atom before it in its residue (so that
residues larger than half the box, such as long single-residue polymers, stay whole), and
the first atom of each residue from the first atom of the previous residue of the same chain.  Each
edge vector is replaced by its minimum image (``MDAnalysis.lib.distances.minimize_vectors``,
orthorhombic and triclinic boxes) and positions are rebuilt by cumulative sums — no bonds
are needed and all atoms of a frame are handled at once.  The first atom of each molecule
stays where it was.  Valid while consecutive atoms of a residue, and the first atoms of
consecutive residues, are closer than half the box.  A step is taken as a periodic image only
when its image is short (:data:`MAX_WRAPPED_STEP`, :data:`MAX_WRAPPED_LINK`) and the step itself
is no longer than the box can make it: so two residues that are not linked (copies of a molecule
in a file without chain ids, a long chain break) are never moved by a box vector.
"""
from __future__ import annotations

import numpy as np

__all__ = ["make_whole", "MAX_WRAPPED_STEP", "MAX_WRAPPED_LINK"]

#: Å: a step between consecutive atoms of a residue that crosses the box is unwrapped only
#: when its minimum image is shorter than this.
MAX_WRAPPED_STEP = 10.0
#: Å: a step between the first atoms of consecutive residues of a molecule is unwrapped only
#: when its minimum image is shorter than this (a sequence link: N–N ≈ 3.8 Å, P–P ≈ 7 Å);
#: a longer image means the two residues are not linked (another copy of a molecule in a
#: file without chain ids, a chain break) and neither is moved by a box vector.
MAX_WRAPPED_LINK = 12.0


def make_whole(positions: np.ndarray, box: np.ndarray, residue_key: np.ndarray,
               molecule_key: np.ndarray) -> np.ndarray:
    """Unwrapped copy of ``positions``.

    Parameters
    ----------
    positions : (n_frames, n, 3) float32, Å
    box : (n_frames, 6) float (MDAnalysis dimensions), or None (returned unchanged)
    residue_key : (n,) int
        Residue of each atom; atoms of a residue must be contiguous.
    molecule_key : (n,) int
        Molecule (chain, or residue for non-polymers) of each atom; residues of a molecule
        are chained in the order they appear.

    Returns
    -------
    (n_frames, n, 3) float32.
    """
    if box is None or len(positions) == 0 or positions.shape[1] == 0:
        return positions
    from MDAnalysis.lib.distances import minimize_vectors

    res = np.asarray(residue_key)
    mol = np.asarray(molecule_key)
    starts = np.flatnonzero(np.r_[True, res[1:] != res[:-1]])
    first_of_atom = starts[np.cumsum(np.r_[True, res[1:] != res[:-1]]) - 1]
    # residue-first atoms form chains per molecule: predecessor = previous start of same molecule
    pred = np.full(len(starts), -1, dtype=np.int64)
    last = {}
    for k, s in enumerate(starts):
        m = mol[s]
        if m in last:
            pred[k] = last[m]
        last[m] = k
    has_pred = pred >= 0
    # residues sorted by molecule (stable: file order inside a molecule) for cumulative sums
    order = np.argsort(mol[starts], kind="stable")
    sorted_mol = mol[starts][order]
    group_start = np.flatnonzero(np.r_[True, sorted_mol[1:] != sorted_mol[:-1]])
    root_pos = group_start[np.cumsum(np.r_[True, sorted_mol[1:] != sorted_mol[:-1]]) - 1]
    k_of_atom = np.cumsum(np.r_[True, res[1:] != res[:-1]]) - 1
    # order starts so that each comes after its predecessor (file order already does)
    out = np.empty_like(positions)
    for f in range(len(positions)):
        x = positions[f].astype(np.float64)
        b = np.asarray(box[f], dtype=np.float64)
        if not np.all(b[:3] > 0):
            out[f] = positions[f]
            continue
        # only edges longer than half the narrowest box width can be wrapped: minimum-image
        # those (a vector shorter than that already is its own minimum image)
        half2 = (0.5 * _min_width(b)) ** 2
        # a wrapped step is at most about one box diagonal long: longer steps are real
        # (or absurd) distances, never periodic images
        reach2 = (float(b[:3].sum()) + MAX_WRAPPED_LINK) ** 2
        bf = b.astype(np.float32)
        # atom k hangs from atom k-1 of its residue: offsets from the residue's first atom
        # are cumulative sums of these short steps
        step = np.zeros_like(x)
        step[1:] = x[1:] - x[:-1]
        step[starts] = 0.0
        length2 = np.einsum("ij,ij->i", step, step)
        long = np.flatnonzero((length2 >= half2) & (length2 <= reach2))
        if len(long):
            # a long step is a wrap only when its minimum image is a short step; otherwise
            # the residue is already whole and longer than half the box (a long polymer)
            image = minimize_vectors(step[long].astype(np.float32), bf).astype(np.float64)
            wrapped = np.einsum("ij,ij->i", image, image) < MAX_WRAPPED_STEP ** 2
            step[long[wrapped]] = image[wrapped]
            long = long[wrapped]
        changed = bool(len(long))
        if changed:
            run = np.cumsum(step, axis=0)
            d_atom = run - run[first_of_atom]
        else:
            d_atom = x - x[first_of_atom]
        s_pos = x[starts]
        d_res = np.zeros((len(starts), 3))
        d_res[has_pred] = s_pos[has_pred] - s_pos[pred[has_pred]]
        length2 = np.einsum("ij,ij->i", d_res, d_res)
        long = np.flatnonzero((length2 >= half2) & (length2 <= reach2))
        if len(long):
            image = minimize_vectors(d_res[long].astype(np.float32), bf).astype(np.float64)
            linked = np.einsum("ij,ij->i", image, image) < MAX_WRAPPED_LINK ** 2
            if linked.any():
                changed = True
                d_res[long[linked]] = image[linked]
        if not changed:  # already whole in this frame
            out[f] = positions[f]
            continue
        cum = np.cumsum(d_res[order], axis=0)
        new_start = np.empty_like(s_pos)
        new_start[order] = s_pos[order][root_pos] + cum - cum[root_pos]
        out[f] = (new_start[k_of_atom] + d_atom).astype(np.float32)
    return out


def _min_width(box: np.ndarray) -> float:
    """Narrowest perpendicular width (Å) of a (triclinic) box given as a, b, c, α, β, γ."""
    from MDAnalysis.lib.mdamath import triclinic_vectors

    v = triclinic_vectors(box.astype(np.float32)).astype(np.float64)
    volume = abs(np.linalg.det(v))
    areas = [np.linalg.norm(np.cross(v[1], v[2])), np.linalg.norm(np.cross(v[2], v[0])),
             np.linalg.norm(np.cross(v[0], v[1]))]
    return float(volume / max(areas))
