"""Padding molecules of different sizes into one batch dict (the :mod:`.keys` contract).

A *sample* is one frame of one molecule, a dict of numpy arrays:

==================  ============  ===============================================
key                 shape         meaning
==================  ============  ===============================================
``types``           (n,) int      global vocabulary ids (> 0)
``positions``       (n, 3)        Å
``rel_pairs``       (q, 2) int    relational pairs (i, j), both orders, no self
``rel_codes``       (q,) int      their relation codes
``forces``          (n, 3)        kcal/mol/Å, optional
``energy``          ()            kcal/mol, optional
``labels``          (L,)          optional graph-level labels
``pairs``           (p, 2) int    optional pairs for the edge readout
``pair_codes``      (p,) int      their relation codes (with ``pairs``)
``contacts``        (p,)          optional 0/1 labels of ``pairs``
``box``             (6,)          optional periodic box (Å, degrees)
``sample``/``system``/``frame``   optional bookkeeping ints
==================  ============  ===============================================

:func:`collate` pads a list of samples to capacities taken from the bucket ladder of
:mod:`cgmolct.data.buckets` (or forced), builds the geometric neighbour lists of every
sample and scatters the relational pairs into per-bead rows.  Padded beads have type 0,
position 0 and mask False; padded list entries point at bead 0 with mask False.
"""
from __future__ import annotations

import warnings
from typing import Dict, Optional, Sequence

import numpy as np

from ..errors import DataError
from . import keys as K
from .buckets import resolve_capacity
from .neighbours import DENSE_LIMIT, _pad_rows, frame_pairs

__all__ = ["collate", "graph_batches", "rows_from_pairs", "dense_batch_neighbours"]


def rows_from_pairs(pairs: np.ndarray, values: Optional[np.ndarray], n: int, capacity: int,
                    what: str = "relational neighbours"):
    """Scatter pairs (i, j) sorted by i into rows: indices (n, R), values (n, R), mask (n, R).

    Raises
    ------
    DataError
        When a bead has more than ``capacity`` entries.
    """
    idx = np.zeros((n, capacity), np.int32)
    val = np.zeros((n, capacity), np.int32)
    msk = np.zeros((n, capacity), bool)
    if len(pairs) == 0:
        return idx, val, msk
    pairs = np.asarray(pairs, dtype=np.int64)
    order = np.argsort(pairs[:, 0], kind="stable")
    pairs = pairs[order]
    counts = np.bincount(pairs[:, 0], minlength=n)
    if counts.max() > capacity:
        worst = int(np.argmax(counts))
        raise DataError(f"bead {worst} has {int(counts[worst])} {what}; the capacity is "
                        f"{capacity} (use a larger capacity or 'auto')")
    start = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slot = np.arange(len(pairs)) - start[pairs[:, 0]]
    idx[pairs[:, 0], slot] = pairs[:, 1]
    msk[pairs[:, 0], slot] = True
    if values is not None:
        val[pairs[:, 0], slot] = np.asarray(values)[order]
    return idx, val, msk


def dense_batch_neighbours(positions: np.ndarray, atom_mask: np.ndarray, cutoff: Optional[float]):
    """All-pairs neighbours of a padded batch (B, N, 3) at once, O(B·N²) memory.

    Returns
    -------
    order : (B, N, N) int, neighbours first (sorted by j), then non-neighbours
    ok : (B, N, N) bool, ``ok[b, i, j]`` for j a neighbour of i (same order as ``order``)
    counts : (B, N) int
    """
    x = positions.astype(np.float64)
    d2 = ((x[:, :, None, :] - x[:, None, :, :]) ** 2).sum(-1)
    n = x.shape[1]
    ok = atom_mask[:, :, None] & atom_mask[:, None, :] & ~np.eye(n, dtype=bool)[None]
    if cutoff is not None:
        ok &= d2 <= cutoff * cutoff
    order = np.argsort(~ok, axis=-1, kind="stable")
    return order, np.take_along_axis(ok, order, -1), ok.sum(-1)


def _get(sample: dict, key: str, index: int):
    if key not in sample:
        raise DataError(f"sample {index} has no {key!r}; samples need types, positions, "
                        "rel_pairs and rel_codes")
    return np.asarray(sample[key])


def _refuse_image_neighbours(shifts, mask, neighbours, samples) -> None:
    moved = (np.abs(shifts).max(-1) > 1e-4) & mask
    if not moved.any():
        shifts[...] = 0.0  # minimum-image rounding (~1e-6 Å) of pairs inside the box
        return
    k, i, slot = (int(x) for x in np.argwhere(moved)[0])
    j = int(neighbours[k, i, slot])
    frame = samples[k].get("frame_index", samples[k].get("frame"))
    where = f"sample {k}" + (f" (frame {int(frame)})" if frame is not None else "")
    shift = ", ".join(f"{x:.2f}" for x in shifts[k, i, slot])
    raise DataError(f"{where}: beads {i} and {j} are neighbours only through the periodic "
                    f"boundary (image shift ({shift}) Å; {int(moved.sum())} such pairs). The "
                    "models measure distances without image shifts: make the system whole "
                    "(unwrap molecules) in a box wider than the molecule plus the cutoff")


def collate(
    samples: Sequence[Dict[str, np.ndarray]],
    *,
    cutoff: Optional[float] = 10.0,
    bead_capacity=None,
    neighbour_capacity=None,
    rel_capacity=None,
    pair_capacity=None,
    batch_capacity: Optional[int] = None,
    buckets: Optional[Sequence[int]] = None,
    overflow: str = "error",
    method: str = "auto",
) -> Dict[str, np.ndarray]:
    """Pad samples into a batch dict with the keys of :mod:`cgmolct.data.keys`.

    Parameters
    ----------
    samples : sequence of dict
        Samples as described in the module docstring (one frame of one molecule each).
    cutoff : float or None
        Geometric neighbour cutoff in Å (None: all pairs of a molecule).
    bead_capacity, neighbour_capacity, rel_capacity, pair_capacity : int, "auto" or None
        N, K, R and P.  None/"auto" rounds the largest count up to a bucket; an int forces it.
    batch_capacity : int, optional
        Pad the batch with empty molecules to this many rows (``sample_mask`` False), so a
        last, smaller batch keeps the compiled shape.
    buckets : sequence of int, optional
        Capacity ladder.
    overflow : {"error", "truncate"}
        Neighbour-capacity policy (see :mod:`cgmolct.data.neighbours`).
    method : {"auto", "dense", "kdtree", "grid"}
        Pair search; "auto" uses one vectorised all-pairs pass for batches of small
        molecules (<= 64 beads, no box) and a KD-tree/grid search per sample otherwise.

    Returns
    -------
    dict of str -> ndarray
        ``types`` (B, N) int32, ``positions`` (B, N, 3) float32, ``atom_mask`` (B, N),
        ``n_beads`` (B,), ``neighbours``/``neighbour_mask`` (B, N, K),
        ``rel_neighbours``/``rel_codes``/``rel_mask`` (B, N, R), ``sample_mask`` (B,),
        and when every sample has them: ``forces`` (B, N, 3), ``energy`` (B,),
        ``labels`` (B, L), ``pairs`` (B, P, 2)/``pair_codes``/``pair_mask`` (B, P),
        ``contacts`` (B, P), ``neighbour_shifts`` (B, N, K, 3) (box: all zero, see below),
        ``sample_index``/``system_index``/``frame_index`` (B,).

    Raises
    ------
    DataError
        When, in a periodic box, two beads are neighbours only through the boundary (a
        non-zero image shift).  The models measure r_j − r_i without image shifts, so such
        input would get wrong distances; systems must be whole (``cgmolct graph build`` makes
        molecules whole) in a box wider than the molecule plus the cutoff.
    """
    if len(samples) == 0:
        raise DataError("cannot make a batch of zero samples")
    n_real = len(samples)
    b_cap = n_real if batch_capacity is None else int(batch_capacity)
    if b_cap < n_real:
        raise DataError(f"batch_capacity {batch_capacity} is smaller than the {n_real} samples")
    types = [_get(s, "types", k) for k, s in enumerate(samples)]
    pos = [_get(s, "positions", k) for k, s in enumerate(samples)]
    sizes = np.array([len(t) for t in types])
    for k, (t, p) in enumerate(zip(types, pos)):
        if p.shape != (len(t), 3):
            raise DataError(f"sample {k}: positions has shape {p.shape}; expected ({len(t)}, 3)")
    n_cap = resolve_capacity(int(sizes.max()), bead_capacity, "bead_capacity", buckets=buckets)
    if sizes.max() > n_cap:
        raise DataError(f"a molecule has {int(sizes.max())} beads; the bead capacity is {n_cap}")

    out: Dict[str, np.ndarray] = {}
    t_arr = np.zeros((b_cap, n_cap), np.int32)
    x_arr = np.zeros((b_cap, n_cap, 3), np.float32)
    m_arr = np.zeros((b_cap, n_cap), bool)
    for k, (t, p) in enumerate(zip(types, pos)):
        t_arr[k, :len(t)] = t
        x_arr[k, :len(t)] = p
        m_arr[k, :len(t)] = True
    out[K.TYPES], out[K.POSITIONS], out[K.ATOM_MASK] = t_arr, x_arr, m_arr
    out[K.N_BEADS] = np.zeros(b_cap, np.int32)
    out[K.N_BEADS][:n_real] = sizes
    out[K.SAMPLE_MASK] = np.arange(b_cap) < n_real

    # geometric neighbours
    has_box = [s.get("box") is not None for s in samples]
    if any(has_box) and not all(has_box):
        raise DataError("some samples have a periodic box and others not; batch them apart")
    if method == "auto" and not any(has_box) and n_cap <= DENSE_LIMIT:
        order, ok, counts = dense_batch_neighbours(x_arr, m_arr, cutoff)
        k_cap = resolve_capacity(int(counts.max()), neighbour_capacity, "neighbour_capacity",
                                 buckets=buckets)
        if counts.max() > k_cap:
            if overflow == "error":
                b, i = np.unravel_index(int(np.argmax(counts)), counts.shape)
                raise DataError(f"sample {b}: bead {i} has {int(counts[b, i])} neighbours but the "
                                f"neighbour capacity is {k_cap}; use a larger capacity or 'auto'")
            # keep the k_cap nearest candidates of each bead
            d2 = ((x_arr[:, :, None] - x_arr[:, None, :]) ** 2).sum(-1)
            cand = np.where(ok, np.take_along_axis(d2, order, -1), np.inf)
            nearest = np.argsort(cand, axis=-1, kind="stable")[..., :k_cap]
            dropped = int(counts.sum() - np.take_along_axis(ok, nearest, -1).sum())
            order = np.take_along_axis(order, nearest, -1)
            ok = np.take_along_axis(ok, nearest, -1)
            warnings.warn(f"neighbour capacity {k_cap} is too small: {dropped} pairs beyond it "
                          "were dropped (the nearest neighbours of each bead were kept)",
                          stacklevel=2)
        width = min(k_cap, n_cap)
        nb = np.zeros((b_cap, n_cap, k_cap), np.int32)
        nm = np.zeros((b_cap, n_cap, k_cap), bool)
        nm[..., :width] = ok[..., :width]
        nb[..., :width] = np.where(ok[..., :width], order[..., :width], 0)
        out[K.NEIGHBOURS], out[K.NEIGHBOUR_MASK] = nb, nm
    else:
        per = [frame_pairs(pos[k], cutoff, box=samples[k].get("box"),
                           method="kdtree" if method == "auto" else method)
               for k in range(n_real)]
        needed = max((int(np.bincount(p[:, 0]).max()) if len(p) else 0) for p, _, _ in per)
        k_cap = resolve_capacity(needed, neighbour_capacity, "neighbour_capacity", buckets=buckets)
        nb = np.zeros((b_cap, n_cap, k_cap), np.int32)
        nm = np.zeros((b_cap, n_cap, k_cap), bool)
        shifts = np.zeros((b_cap, n_cap, k_cap, 3), np.float32) if any(has_box) else None
        dropped = 0
        for k, (p, d, s) in enumerate(per):
            n = sizes[k]
            i_, m_, s_, _, dr = _pad_rows(p, d, s, n, k_cap, overflow, k, f"sample {k}: ")
            dropped += dr
            nb[k, :n], nm[k, :n] = i_, m_
            if shifts is not None:
                shifts[k, :n] = s_
        out[K.NEIGHBOURS], out[K.NEIGHBOUR_MASK] = nb, nm
        if dropped:
            warnings.warn(f"neighbour capacity {k_cap} is too small: {dropped} pairs beyond it "
                          "were dropped (the nearest neighbours of each bead were kept)",
                          stacklevel=2)
        if shifts is not None:
            _refuse_image_neighbours(shifts, nm, nb, samples)
            out[K.NEIGHBOUR_SHIFTS] = shifts

    # relational neighbours
    rel = [(_get(s, "rel_pairs", k).reshape(-1, 2), _get(s, "rel_codes", k).reshape(-1))
           for k, s in enumerate(samples)]
    needed = max((int(np.bincount(p[:, 0]).max()) if len(p) else 0) for p, _ in rel)
    r_cap = resolve_capacity(needed, rel_capacity, "rel_capacity", buckets=buckets)
    rn = np.zeros((b_cap, n_cap, r_cap), np.int32)
    rc = np.zeros((b_cap, n_cap, r_cap), np.int32)
    rm = np.zeros((b_cap, n_cap, r_cap), bool)
    for k, (p, c) in enumerate(rel):
        if len(p) != len(c):
            raise DataError(f"sample {k}: rel_pairs has {len(p)} rows but rel_codes {len(c)}")
        n = sizes[k]
        rn[k, :n], rc[k, :n], rm[k, :n] = rows_from_pairs(p, c, n, r_cap)
    out[K.REL_NEIGHBOURS], out[K.REL_CODES], out[K.REL_MASK] = rn, rc, rm

    _targets(samples, out, sizes, b_cap, n_cap, pair_capacity, buckets)
    return out


def _all_or_none(samples, key: str) -> bool:
    present = [s.get(key) is not None for s in samples]
    if any(present) and not all(present):
        missing = present.index(False)
        raise DataError(f"sample {missing} has no {key!r} but others have; a batch needs it "
                        "for every sample or none")
    return all(present)


def _targets(samples, out, sizes, b_cap, n_cap, pair_capacity, buckets) -> None:
    n_real = len(samples)
    if _all_or_none(samples, "forces"):
        f = np.zeros((b_cap, n_cap, 3), np.float32)
        for k, s in enumerate(samples):
            fk = np.asarray(s["forces"])
            if fk.shape != (sizes[k], 3):
                raise DataError(f"sample {k}: forces has shape {fk.shape}; expected ({sizes[k]}, 3)")
            f[k, :sizes[k]] = fk
        out[K.FORCES] = f
    if _all_or_none(samples, "energy"):
        e = np.zeros(b_cap, np.float32)
        e[:n_real] = [float(np.asarray(s["energy"]).reshape(-1)[0]) for s in samples]
        out[K.ENERGY] = e
    if _all_or_none(samples, "labels"):
        lab = [np.asarray(s["labels"], np.float32).reshape(-1) for s in samples]
        if len({len(v) for v in lab}) != 1:
            raise DataError(f"samples have different numbers of labels: {sorted({len(v) for v in lab})}")
        arr = np.zeros((b_cap, len(lab[0])), np.float32)
        arr[:n_real] = np.stack(lab)
        out[K.LABELS] = arr
    if _all_or_none(samples, "pairs"):
        pairs = [np.asarray(s["pairs"]).reshape(-1, 2) for s in samples]
        p_cap = resolve_capacity(max(len(p) for p in pairs), pair_capacity, "pair_capacity",
                                 buckets=buckets)
        pa = np.zeros((b_cap, p_cap, 2), np.int32)
        pc = np.zeros((b_cap, p_cap), np.int32)
        pm = np.zeros((b_cap, p_cap), bool)
        has_contacts = _all_or_none(samples, "contacts")
        ct = np.zeros((b_cap, p_cap), np.float32)
        for k, (s, p) in enumerate(zip(samples, pairs)):
            if len(p) > p_cap:
                raise DataError(f"sample {k} has {len(p)} pairs; the pair capacity is {p_cap}")
            if len(p) and (p.min() < 0 or p.max() >= sizes[k]):
                raise DataError(f"sample {k}: pairs index beads outside [0, {sizes[k]})")
            pa[k, :len(p)] = p
            pm[k, :len(p)] = True
            if s.get("pair_codes") is not None:
                pc[k, :len(p)] = np.asarray(s["pair_codes"]).reshape(-1)
            if has_contacts:
                ct[k, :len(p)] = np.asarray(s["contacts"], np.float32).reshape(-1)
        out[K.PAIRS], out[K.PAIR_CODES], out[K.PAIR_MASK] = pa, pc, pm
        if has_contacts:
            out[K.CONTACTS] = ct
    for key, name in ((K.SAMPLE_INDEX, "sample"), (K.SYSTEM_INDEX, "system"),
                      (K.FRAME_INDEX, "frame")):
        if all(s.get(name) is not None for s in samples):
            arr = np.full(b_cap, -1, np.int64)
            arr[:n_real] = [int(s[name]) for s in samples]
            out[key] = arr


def graph_batches(graph_or_graphs, *, batch_size: int, cutoff: Optional[float] = 10.0,
                  frames=None, pairs=None, max_separation: int = 3, **options):
    """Yield padded batches over all frames of one or several ``CGGraph`` objects, in order.

    Relational pairs and codes are computed once per graph.  Each batch carries
    ``system_index`` (which graph) and ``frame_index`` (which frame) so outputs can be put
    back in place; batches may mix graphs of a list.

    Parameters
    ----------
    graph_or_graphs : CGGraph or sequence of CGGraph
    batch_size : int
        Frames per batch (the last batch may be smaller unless ``batch_capacity`` is given).
    cutoff : float or None
        Neighbour cutoff in Å.
    frames : index, optional
        Frames of each graph (default all).
    pairs : (P, 2) int array or one per graph, optional
        Pairs for the edge readout (``pairs``/``pair_codes``/``pair_mask`` in the batch).
    max_separation : int
        Sequence separation of the relational pairs.
    **options
        Further :func:`collate` options (capacities, ``batch_capacity``, ``method`` ...).

    Yields
    ------
    dict
        Batches with the keys of :mod:`cgmolct.data.keys`.
    """
    from .dataset import MolecularDataset
    if int(batch_size) <= 0:
        raise DataError(f"batch_size must be a positive integer, got {batch_size!r}")
    ds = MolecularDataset.from_graphs(graph_or_graphs, frames=frames, pairs=pairs,
                                      max_separation=max_separation)
    for start in range(0, len(ds), int(batch_size)):
        idx = np.arange(start, min(start + int(batch_size), len(ds)))
        yield ds.batch(idx, cutoff=cutoff, **options)
