"""Per-atom tables pulled out of an MDAnalysis AtomGroup once (plain numpy arrays).

:func:`atom_table` reads names, residues, chains, elements and masses; :func:`drop_altlocs`
keeps the highest-occupancy alternate location of each atom; :func:`drop_duplicates` removes
repeated atoms; :func:`hydrogen_parents` attaches each hydrogen to its heavy atom.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List

import numpy as np

from .elements import MASSES
from .residues import WATER_NAMES
from .vocabulary import ELEMENTS

__all__ = ["AtomTable", "atom_table", "drop_altlocs", "drop_duplicates", "hydrogen_parents",
           "merge_split_residues", "residue_label", "set_insertion_codes"]

_SYMBOL_TO_Z = {s.upper(): z for z, s in enumerate(ELEMENTS, start=1)}
_COMMON_BY_MASS = ((1, 1.008), (6, 12.011), (7, 14.007), (8, 15.999), (9, 18.998), (11, 22.990),
                   (12, 24.305), (15, 30.974), (16, 32.06), (17, 35.45), (19, 39.098), (20, 40.078),
                   (26, 55.845), (29, 63.546), (30, 65.38), (34, 78.971), (35, 79.904), (53, 126.90))
#: amu: united-atom CH, CH2, CH3, CH4 groups (GROMOS, OPLS-UA).
_UNITED_ATOM_MASSES = (13.019, 14.027, 15.035, 16.043)
_TWO_LETTER = {"CL", "BR", "NA", "MG", "ZN", "FE", "CA", "LI", "MN", "CU", "CO", "NI", "SE", "CD",
               "RB", "CS", "SR", "BA", "AL", "SI", "AG", "AU", "HG", "PT", "PB", "SN", "KR", "XE", "AR", "NE", "HE"}


@dataclass
class AtomTable:
    """Plain arrays describing the atoms of a selection (row k ↔ ``index[k]`` in the Universe)."""
    index: np.ndarray          # (n,) int64 atom index in the Universe
    names: np.ndarray          # (n,) str
    resnames: np.ndarray       # (n,) str
    resids: np.ndarray         # (n,) int64
    icodes: np.ndarray         # (n,) str
    chains: np.ndarray         # (n,) str  chain id (or segment id)
    residue_key: np.ndarray    # (n,) int64 residue number in file order
    elements: np.ndarray       # (n,) int64 atomic numbers (0 unknown)
    masses: np.ndarray         # (n,) float64 amu
    altlocs: np.ndarray        # (n,) str
    occupancies: np.ndarray    # (n,) float64
    notes: List[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.index)

    def subset(self, keep: np.ndarray) -> "AtomTable":
        """Rows ``keep`` (bool mask or indices) of every array."""
        return AtomTable(**{k: (v[keep] if isinstance(v, np.ndarray) else v)
                            for k, v in self.__dict__.items()})


def _attr(group, name, default):
    try:
        return np.asarray(getattr(group, name))
    except Exception:  # MDAnalysis NoDataError
        return np.asarray(default)


def _guess_element(name: str, resname: str, mass: float) -> int:
    if mass and mass > 0.5:
        for z, m in _COMMON_BY_MASS:
            if abs(m - mass) < 0.1:
                return z
    letters = "".join(ch for ch in str(name).upper() if ch.isalpha())
    if not letters:
        return 0
    if letters[:2] in _TWO_LETTER and (letters == resname.strip().upper() or len(letters) == 2 and
                                       letters[:2] not in ("CA", "CD", "NE", "HG", "CO")):
        return _SYMBOL_TO_Z[letters[:2]]
    return _SYMBOL_TO_Z.get(letters[0], 0)


def atom_table(group) -> AtomTable:
    """Read an MDAnalysis AtomGroup into an :class:`AtomTable`."""
    n = group.n_atoms
    names = _attr(group, "names", [""] * n).astype(str)
    resnames = _attr(group, "resnames", ["UNK"] * n).astype(str)
    resids = _attr(group, "resids", np.ones(n)).astype(np.int64)
    icodes = _attr(group, "icodes", [""] * n).astype(str)
    chain = _attr(group, "chainIDs", [""] * n).astype(str)
    segids = _attr(group, "segids", [""] * n).astype(str)
    use_seg = np.char.strip(chain) == ""
    if use_seg.any():
        seg = np.where(np.isin(segids, ("SYSTEM", "")), "", segids)
        chain = np.where(use_seg, seg, chain)
    chain = np.char.strip(chain)
    resindices = _attr(group, "resindices", np.zeros(n)).astype(np.int64)
    altlocs = np.char.strip(_attr(group, "altLocs", [""] * n).astype(str))
    occ = _attr(group, "occupancies", np.ones(n)).astype(np.float64)
    masses = _attr(group, "masses", np.zeros(n)).astype(np.float64)
    raw_el = np.char.upper(np.char.strip(_attr(group, "elements", [""] * n).astype(str)))
    elements = np.array([_SYMBOL_TO_Z.get(e, 0) for e in raw_el], dtype=np.int64)
    if (elements == 0).any():  # from the mass first (vectorised), then from the atom name
        for m in _UNITED_ATOM_MASSES:  # CH1..CH4 groups are carbon (CH2 is 0.02 from N)
            elements[(elements == 0) & (np.abs(masses - m) < 0.005)] = 6
        for z, m in _COMMON_BY_MASS:
            elements[(elements == 0) & (np.abs(masses - m) < 0.1)] = z
        todo = np.flatnonzero((elements == 0) & (masses > 0.5))
        if len(todo):  # any other element whose standard mass matches closely (Si, Ti, ...)
            diff = np.abs(masses[todo, None] - MASSES[None, 1:87])
            best = diff.argmin(axis=1)
            close = diff[np.arange(len(todo)), best] < 0.02
            elements[todo[close]] = best[close] + 1
        # in a water with an element column, a blank, massless entry (PDB element "EP": the
        # extra points and Drude particles of TIP4P/TIP5P/SWM4 models) is a virtual site
        is_water = np.isin(np.char.upper(np.char.strip(resnames)), list(WATER_NAMES))
        virtual = (raw_el == "") & (masses == 0) & is_water & bool((raw_el != "").any())
        for k in np.flatnonzero((elements == 0) & ~virtual):
            elements[k] = _guess_element(names[k], resnames[k], 0.0)
    bad_mass = (masses <= 0) | ~np.isfinite(masses)
    masses = np.where(bad_mass & (elements > 0), MASSES[np.clip(elements, 0, 118)], masses)
    # residue key: consecutive numbering of residues; rows sorted so that the atoms of a
    # residue are contiguous (files may interleave them), file order kept inside a residue
    _, key = np.unique(resindices, return_inverse=True)
    table = AtomTable(np.asarray(group.indices, dtype=np.int64), names, resnames, resids, icodes,
                      chain, key.astype(np.int64), elements, masses, altlocs, occ)
    order = np.argsort(table.residue_key, kind="stable")
    if np.any(order != np.arange(n)):
        table = table.subset(order)
    return table


def merge_split_residues(t: AtomTable, label: str, positions0: np.ndarray,
                         max_gap: float = 2.0) -> AtomTable:
    """Join a residue that a file lists in separate blocks (e.g. all heavy atoms first, the
    hydrogens of every residue at the end) back into one residue.

    A later block joins an earlier one when both have the same chain, number, insertion
    code and name, their atom names do not overlap and some atom of the later block lies
    within ``max_gap`` Å of the earlier one (so repeated residue numbers of distinct
    molecules, as in wrapped GRO numbering, stay apart).  One warning names the residues.
    """
    if len(t) == 0:
        return t
    starts = np.flatnonzero(np.r_[True, t.residue_key[1:] != t.residue_key[:-1]])
    if len(starts) < 2:
        return t
    ident = _identity_code(t, starts)
    _, counts = np.unique(ident, return_counts=True)
    if counts.max() < 2:
        return t
    ends = np.r_[starts[1:], len(t)]
    pos = np.asarray(positions0, dtype=np.float64)
    first_block = {}
    new_key = t.residue_key.copy()
    merged = []
    for k in np.flatnonzero(counts[ident] > 1):
        s, e = int(starts[k]), int(ends[k])
        head = first_block.get(int(ident[k]))
        if head is None:
            first_block[int(ident[k])] = (s, e, set(t.names[s:e].tolist()))
            continue
        hs, he, names = head
        if names & set(t.names[s:e].tolist()):
            first_block[int(ident[k])] = (s, e, set(t.names[s:e].tolist()))
            continue
        gap = np.sqrt(((pos[s:e, None, :] - pos[None, hs:he, :]) ** 2).sum(-1)).min()
        if gap > max_gap:
            continue
        new_key[s:e] = t.residue_key[hs]
        names |= set(t.names[s:e].tolist())
        merged.append(residue_label(t, s))
    if not merged:
        return t
    t.residue_key = new_key
    order = np.argsort(new_key, kind="stable")
    out = t.subset(order)
    _, out.residue_key = np.unique(out.residue_key, return_inverse=True)
    out.residue_key = out.residue_key.astype(np.int64)
    shown = ", ".join(merged[:3]) + (", ..." if len(merged) > 3 else "")
    out.notes = list(t.notes) + [f"{label}: {len(merged)} residue(s) listed in two blocks of the file "
                                 f"were joined ({shown})"]
    return out


def set_insertion_codes(t: AtomTable, codes: np.ndarray) -> AtomTable:
    """Set per-atom insertion codes and split residues where the code changes.

    (MDAnalysis merges consecutive residues that differ only by insertion code, e.g. in
    PSF files where the resid column reads ``14F``, ``14G``.)
    """
    t.icodes = np.asarray(codes).astype(str)
    change = np.r_[True, (t.residue_key[1:] != t.residue_key[:-1]) | (t.icodes[1:] != t.icodes[:-1])]
    t.residue_key = (np.cumsum(change) - 1).astype(np.int64)
    return t


def residue_label(t: AtomTable, row: int) -> str:
    """``LYS 57 (chain A)`` for the residue of atom row ``row``."""
    ic = t.icodes[row].strip()
    chain = f" (chain {t.chains[row]})" if t.chains[row] else ""
    return f"{t.resnames[row].strip()} {t.resids[row]}{ic}{chain}"


def drop_altlocs(t: AtomTable, label: str, min_warn: float = 1.0) -> AtomTable:
    """Keep, per (residue, atom name), the alternate location of highest occupancy.

    Ties keep the first altloc in the file.  One warning per residue names the dropped
    altloc(s) and the occupancies.
    """
    has = t.altlocs != ""
    if not has.any():
        return t
    keep = np.ones(len(t), dtype=bool)
    rows = np.flatnonzero(has)
    groups = {}
    for r in rows:
        groups.setdefault((t.residue_key[r], t.names[r]), []).append(r)
    dropped_by_res = {}
    for (_, _name), members in groups.items():
        if len(members) < 2:
            continue
        best = max(members, key=lambda r: (t.occupancies[r], -r))
        for r in members:
            if r != best:
                keep[r] = False
                dropped_by_res.setdefault(t.residue_key[r], []).append((r, best))
    notes = list(t.notes)
    for _, pairs in dropped_by_res.items():
        r0, best = pairs[0]
        alts = sorted({t.altlocs[r] for r, _ in pairs})
        occ = ", ".join(f"{o:.2f}" for o in sorted({float(t.occupancies[r]) for r, _ in pairs}))
        best_occ = float(t.occupancies[best])
        relation = ("<" if all(float(t.occupancies[r]) < best_occ for r, _ in pairs)
                    else "not above")
        notes.append(f"{label}: altloc {', '.join(alts)} of {residue_label(t, r0)} dropped "
                     f"(occupancy {occ} {relation} {best_occ:.2f} of altloc {t.altlocs[best]}"
                     f"{', the first in the file' if relation != '<' else ''})")
    out = t.subset(keep)
    out.notes = notes
    return out


def _identity_code(t: AtomTable, rows: np.ndarray) -> np.ndarray:
    """(len(rows),) int: one code per residue identity (chain, resid, insertion code, name).

    Computed once per residue block (atoms of a block share all four), then spread to rows.
    """
    change = np.r_[True, t.residue_key[1:] != t.residue_key[:-1]]
    starts = np.flatnonzero(change)
    block_of_row = np.cumsum(change) - 1
    ident = [f"{c}\x1f{r}{i}\x1f{n}" for c, r, i, n in zip(t.chains[starts].tolist(), t.resids[starts].tolist(),
                                                         t.icodes[starts].tolist(), t.resnames[starts].tolist())]
    code = np.unique(np.array(ident, dtype=str), return_inverse=True)[1].astype(np.int64)
    return code[block_of_row[np.asarray(rows, dtype=np.int64)]]


def drop_duplicates(t: AtomTable, label: str, positions0: np.ndarray) -> AtomTable:
    """Remove atoms that repeat an earlier atom exactly: same residue (chain, number,
    insertion code, name — also when the copy is in another block of the file), same atom
    name and position (within 0.001 Å), with one warning per residue.

    Repeated names at different positions are legal in some formats (XYZ, mol2); polymer
    residues with repeated names are handled by the graph builder.
    """
    keep = np.ones(len(t), dtype=bool)
    named = np.flatnonzero(t.names != "")
    if len(named):
        rounded = np.round(np.asarray(positions0, dtype=np.float64)[named] * 1000.0).astype(np.int64)
        name_code = np.unique(t.names[named], return_inverse=True)[1]
        alt_code = np.unique(t.altlocs[named], return_inverse=True)[1]
        key = np.column_stack([_identity_code(t, named), name_code, alt_code, rounded])
        _, first = np.unique(key, axis=0, return_index=True)
        is_first = np.zeros(len(named), dtype=bool)
        is_first[first] = True
        keep[named[~is_first]] = False
    dup_res = {}
    for r in np.flatnonzero(~keep):
        dup_res.setdefault(t.residue_key[r], []).append(int(r))
    if keep.all():
        return t
    notes = list(t.notes)
    for _, rows in dup_res.items():
        names = ", ".join(sorted({t.names[r] for r in rows}))
        notes.append(f"{label}: duplicate atom(s) {names} in {residue_label(t, rows[0])} dropped "
                     "(the first copy is kept)")
    out = t.subset(keep)
    out.notes = notes
    return out


def hydrogen_parents(t: AtomTable, positions: np.ndarray, bonds: np.ndarray = None) -> np.ndarray:
    """Row of the heavy atom each hydrogen belongs to (-1 for heavy atoms / lone hydrogens).

    Uses the file's bonds when a hydrogen has a bond to a heavy atom, otherwise the nearest
    heavy atom of the same residue (frame 0 positions, Å).
    """
    from scipy.spatial import cKDTree

    n = len(t)
    parent = np.full(n, -1, dtype=np.int64)
    is_h = t.elements == 1
    heavy = np.flatnonzero(~is_h)
    if not is_h.any() or len(heavy) == 0:
        return parent
    if bonds is not None and len(bonds):
        b = np.asarray(bonds, dtype=np.int64)
        for a, c in ((b[:, 0], b[:, 1]), (b[:, 1], b[:, 0])):
            m = is_h[a] & ~is_h[c]
            parent[a[m]] = c[m]
    todo = np.flatnonzero(is_h & (parent < 0))
    if len(todo):
        tree = cKDTree(positions[heavy])
        k = min(8, len(heavy))
        _, nn = tree.query(positions[todo], k=k)
        nn = np.asarray(nn).reshape(len(todo), k)
        cand = heavy[nn]
        same = t.residue_key[cand] == t.residue_key[todo][:, None]
        first = np.where(same.any(axis=1), same.argmax(axis=1), 0)
        parent[todo] = cand[np.arange(len(todo)), first]
    return parent
