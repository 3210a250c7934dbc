"""Chains, segments and chain positions of polymer residues; chain breaks.

Residues of one chain id (chain ID, else segment ID) follow each other in file order.  A new
*segment* (a chain break: no sequence bond, relation ``chain-break``) starts when

- protein: CA(i)–CA(i+1) (or Martini BB–BB) > :data:`MAX_CA_CA` (4.3 Å); for caps the C–N peptide bond >
  :data:`MAX_PEPTIDE` (2.0 Å);
- nucleic: O3'(i)–P(i+1) > :data:`MAX_O3_P` (2.0 Å), or C4'–C4' > :data:`MAX_C4_C4` (8.0 Å)
  where O3' or P is missing;
- protein meets nucleic acid;
- the numbering jumps (resid not +1, or equal without a new insertion code) and no
  geometric test could be made.

Files without chain ids (GRO, XYZ) start a new chain (index, not id) at a break where the
numbering restarts.

A numbering jump between geometrically bonded residues is *not* a break (it is reported).
Positions are taken after making molecules whole; with several frames a distance is its
10 % quantile over the frames (:data:`FRAME_QUANTILE`): residues bonded in at least a tenth
of the frames are bonded, so distorted frames (normal-mode extremes) do not break a chain,
while two chain ends that touch in a rare frame of an MD run are not joined.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np

__all__ = ["assign_segments", "MAX_CA_CA", "MAX_PEPTIDE", "MAX_O3_P", "MAX_C4_C4", "FRAME_QUANTILE"]

MAX_CA_CA = 4.3
MAX_PEPTIDE = 2.0
MAX_O3_P = 2.0
MAX_C4_C4 = 8.0
#: Quantile over frames of a distance used for chain-break tests (0.1: bonded in >= 10 % of frames).
FRAME_QUANTILE = 0.1


def _dist(pos: np.ndarray, a: Optional[int], b: Optional[int]) -> Optional[float]:
    """Distance (Å) of rows a, b; with a frame axis, its :data:`FRAME_QUANTILE` quantile
    over the frames."""
    if a is None or b is None:
        return None
    if pos.ndim == 3:
        d = np.sqrt(((pos[:, a].astype(np.float64) - pos[:, b]) ** 2).sum(-1))
        return float(np.quantile(d, FRAME_QUANTILE))
    return float(np.linalg.norm(pos[a] - pos[b]))


def _geometric_gap(prev, cur, pos) -> Tuple[Optional[bool], str]:
    """(is_break or None when untestable, description)."""
    kp, kc = prev.info.kind, cur.info.kind
    if kp in ("protein", "cap") and kc in ("protein", "cap"):
        if kp == "protein" and kc == "protein":
            d = _dist(pos, prev.row("CA", "BB"), cur.row("CA", "BB"))  # BB: Martini backbone bead
            if d is not None:
                return d > MAX_CA_CA, f"{'CA-CA' if prev.row('CA') is not None else 'BB-BB'} {d:.1f} Å"
        d = _dist(pos, prev.row("C"), cur.row("N"))
        if d is not None:
            return d > MAX_PEPTIDE, f"C-N {d:.1f} Å"
        return None, ""
    if kp == "nucleic" and kc == "nucleic":
        d = _dist(pos, prev.row("O3'"), cur.row("P"))
        if d is not None:
            return d > MAX_O3_P, f"O3'-P {d:.1f} Å"
        d = _dist(pos, prev.row("C4'"), cur.row("C4'"))
        if d is not None:
            return d > MAX_C4_C4, f"C4'-C4' {d:.1f} Å"
        return None, ""
    return True, "protein meets nucleic acid"


def _numbering_jump(prev, cur) -> bool:
    step = int(cur.resid) - int(prev.resid)
    if step == 1:
        return False
    if step == 0 and cur.icode != prev.icode:
        return False
    if step == 1 or (step == 0 and cur.icode and cur.icode > prev.icode):
        return False
    return True


def assign_segments(residues: Sequence, positions0: np.ndarray, label: str):
    """Chain index, segment index and chain position of each polymer residue.

    Parameters
    ----------
    residues : sequence of :class:`topologies.mappings.base.Residue`
        Polymer residues (protein, caps, nucleotides) in file order.
    positions0 : (n_rows, 3) or (n_frames, n_rows, 3) float, Å
        Positions of the atom rows (one frame, or all frames: 10 % distance quantile used).
    label : str
        File name for the notes.

    Returns
    -------
    chain_of, segment_of, position_of : lists of int (one per residue);
    chain_ids : list of str (one per chain index); notes : list of str.
    """
    chain_of: List[int] = []
    segment_of: List[int] = []
    position_of: List[int] = []
    chain_ids: List[str] = []
    notes: List[str] = []
    segment = -1
    last = {}
    alias = {}      # chain id in the file -> chain key in use (files without chain ids)
    for res in residues:
        cid = alias.get(res.chain, res.chain)
        prev = last.get(cid)
        if cid not in chain_ids:
            chain_ids.append(cid)
        new_segment = prev is None
        broke = False
        if prev is not None:
            gap, what = _geometric_gap(prev[0], res, positions0)
            jump = _numbering_jump(prev[0], res)
            if gap:
                new_segment = broke = True
                notes.append(f"{label}: chain break between {prev[0].label} and {res.label} ({what})")
            elif gap is None and jump:
                new_segment = broke = True
                notes.append(f"{label}: chain break between {prev[0].label} and {res.label} "
                             "(numbering gap; no atoms to check the distance)")
            elif jump:
                notes.append(f"{label}: numbering jumps from {prev[0].label} to {res.label} but they "
                             f"are bonded ({what}); no chain break")
            if prev[3] != len(chain_of) and not new_segment:
                # another chain was read in between: same chain id reappearing
                new_segment = True
        if broke and res.chain == "" and int(res.resid) <= int(prev[0].resid):
            # no chain ids in the file (GRO, XYZ): a break where numbering restarts is a new chain
            cid = f"#{len(chain_ids)}"
            alias[res.chain] = cid
            chain_ids.append(cid)
            notes[-1] = notes[-1] + "; numbering restarts: treated as a new chain"
            prev = None
        if new_segment:
            segment += 1
        position = 0 if prev is None else prev[2] + 1
        chain_of.append(chain_ids.index(cid))
        segment_of.append(segment)
        position_of.append(position)
        last[cid] = (res, segment, position, len(chain_of))
    return chain_of, segment_of, position_of, chain_ids, notes
