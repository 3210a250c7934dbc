"""Contact probability maps from a trained :class:`~cgmolct.contacts.model.ContactModel`.

``predict_contacts(model, graph)`` scores the pair list of every selected frame
(:func:`~cgmolct.contacts.pairs.contact_pairs` with the model's ``r_pair`` and
``min_separation``) in one compiled forward pass per batch of frames, and returns the
(n, n) map of σ(logit), symmetric, with

- 0 for pairs beyond ``r_pair`` (CA–CA > 16 Å: no heavy-atom contact in practice),
- NaN for |i − j| < ``min_separation`` within a chain and on the diagonal (not predicted;
  neighbours in sequence always touch).

Over several frames the map is the mean probability (a predicted contact frequency).
"""
from __future__ import annotations

from typing import Dict, List

import numpy as np

from ..errors import InputError, ModelError
from .labels import separation_matrix
from .pairs import contact_pairs

__all__ = ["predict_contacts", "predict_contact_maps"]

_COMPILED: Dict[int, object] = {}
#: Capacity ladder of prediction batches: 4 steps per doubling (8, 10, 12, 14, 16, 20, ...
#: 4096, 5120, 6144, 7168, 8192), so chains of similar length share a compiled shape and
#: padding costs at most 25 % (a 200-residue chain: 224 beads, ~4,500 pairs in 5,120 slots;
#: with 2 steps per doubling 256 and 6,144, and 15 % fewer proteins/s).
COARSE_BUCKETS = tuple(sorted({c for p in range(3, 24) for c in (4 << (p - 2), 5 << (p - 2), 6 << (p - 2), 7 << (p - 2))}))


def _forward(model):
    """A compiled forward of ``model`` (cached per model object)."""
    import mindspore as ms

    key = id(model)
    if key not in _COMPILED:
        _COMPILED.clear()  # keep one: a compiled graph holds the model alive
        _COMPILED[key] = (model, ms.jit(model.construct))
    return _COMPILED[key][1]


def _check(model, graph):
    from topologies.graph import CGGraph

    from .model import ContactModel

    if not isinstance(model, ContactModel):
        raise ModelError(f"predict_contacts needs a ContactModel (cgmolct.contacts); got "
                         f"{type(model).__name__}")
    if not isinstance(graph, CGGraph):
        raise InputError(f"predict_contacts needs a topologies.CGGraph; got {type(graph).__name__}")
    if graph.mapping is not None and graph.mapping.name not in ("ca",) and \
            not np.all(np.asarray(graph.names) == "CA"):
        raise InputError(f"predict_contacts needs a CA-level graph (mapping 'ca'); this graph "
                         f"has mapping {graph.mapping.name!r} — build it with mapping='ca'")
    other = np.flatnonzero(~np.asarray(graph.polymer, bool))
    if len(other):
        k = int(other[0])
        raise InputError(f"predict_contacts scores protein residues; bead {k} "
                         f"({graph.residue_names[k]} {graph.residue_ids[k]}, {len(other)} such beads) "
                         "is not part of a polymer chain: build the graph with selection='protein'")
    rep = model.representation
    bad = np.flatnonzero((graph.types < 0) | (graph.types >= rep.vocabulary_size))
    if len(bad):
        raise InputError(f"bead {int(bad[0])} has type {int(graph.types[bad[0]])} outside the "
                         f"model's vocabulary")
    if graph.n_beads < 2:
        raise InputError(f"a contact map needs at least 2 residues; the graph has {graph.n_beads}")


def _score(model, items, batch_size: int, topologies: "_Topologies") -> List[np.ndarray]:
    """Probabilities on the pair list of every ``(graph, frame)`` item.

    Items are sorted by size and packed ``batch_size`` per compiled call (different
    proteins share a call); the per-item results come back in the input order as
    ``(pairs, probabilities)``.  A helper thread assembles batch k + 1 (pair lists,
    neighbour lists, the frame-independent topology of each new graph: NumPy work) while
    the compiled forward runs on batch k.
    """
    from concurrent.futures import ThreadPoolExecutor

    forward = _forward(model)
    order = sorted(range(len(items)), key=lambda k: items[k][0].n_beads)
    capacity = int(batch_size) if len(items) > batch_size else len(items)
    chunks = [order[start:start + int(batch_size)] for start in range(0, len(order), int(batch_size))]
    results: List = [None] * len(items)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(_assemble, model, items, chunks[0], capacity, topologies)
        for k, chunk in enumerate(chunks):
            pairs, args = pending.result()
            if k + 1 < len(chunks):
                pending = pool.submit(_assemble, model, items, chunks[k + 1], capacity, topologies)
            logits = forward(*args).asnumpy()
            for row, (item, p) in enumerate(zip(chunk, pairs)):
                prob = 1.0 / (1.0 + np.exp(-logits[row, :len(p)].astype(np.float64)))
                results[item] = (p, prob.astype(np.float32))
    return results


def _assemble(model, items, chunk, capacity: int, topologies: "_Topologies"):
    """Pair lists and the compiled forward's input tensors of one batch of items."""
    import mindspore as ms

    from ..data import keys as K
    from ..data.batch import collate
    from ..models.base import as_model_inputs
    from .data import frame_sample

    pairs, samples = [], []
    for k in chunk:
        graph, frame = items[k]
        sep, rel = topologies.get(graph)
        p = contact_pairs(graph, frame, model.r_pair, model.min_separation, separation=sep)
        pairs.append(p)
        samples.append(frame_sample(graph, frame, p, rel))
    batch = collate(samples, cutoff=model.representation.r_cut, buckets=COARSE_BUCKETS,
                    batch_capacity=capacity)
    args = list(as_model_inputs(batch)) + [
        ms.Tensor(batch[K.PAIRS]), ms.Tensor(batch[K.PAIR_CODES]), ms.Tensor(batch[K.PAIR_MASK])]
    return pairs, args


class _Topologies:
    """Separation matrix and relational pairs/codes of each graph, computed once, on demand."""

    def __init__(self):
        self._cache: Dict[int, tuple] = {}

    def get(self, graph):
        hit = self._cache.get(id(graph))
        if hit is None or hit[0] is not graph:
            hit = self._cache[id(graph)] = (graph, *_topology(graph))
        return hit[1:]


def _topology(graph):
    """Separation matrix and relational pairs/codes of ``graph`` (frame-independent)."""
    rp = np.asarray(graph.relational_pairs(3), np.int64).reshape(-1, 2)
    return separation_matrix(graph), (rp, np.asarray(graph.relation_codes(rp), np.int32))


def _check_batch_size(batch_size) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise InputError(f"batch_size must be a positive integer, got {batch_size!r}")


def _frames(graph, frames) -> np.ndarray:
    try:
        sel = np.atleast_1d(np.arange(graph.n_frames)[frames] if frames is not None
                            else np.arange(graph.n_frames))
    except (IndexError, TypeError) as exc:
        raise InputError(f"frames {frames!r} do not select frames of a graph with "
                         f"{graph.n_frames} frames ({exc})") from None
    if len(sel) == 0:
        raise InputError("no frames selected")
    return sel


def _run(model, items, batch_size: int, topologies: "_Topologies") -> List:
    if not model.training:          # set_train walks every cell: skip it when not needed
        return _score(model, items, batch_size, topologies)
    model.set_train(False)
    try:
        return _score(model, items, batch_size, topologies)
    finally:
        model.set_train(True)


def predict_contact_maps(model, graph, frames=None, batch_size: int = 8) -> np.ndarray:
    """(F, n, n) float32 contact probabilities of each selected frame (see module docstring).

    Parameters
    ----------
    model : ContactModel
        For example ``cgmolct.load(folder)`` or :func:`~cgmolct.contacts.load_shipped`.
    graph : topologies.CGGraph
        CA-level graph (``mapping="ca"``), positions in Å.
    frames : index, optional
        Frames to predict (default all).
    batch_size : int
        Frames per compiled call.
    """
    _check(model, graph)
    _check_batch_size(batch_size)
    sel = _frames(graph, frames)
    topologies = _Topologies()
    scored = _run(model, [(graph, int(f)) for f in sel], int(batch_size), topologies)
    sep, _ = topologies.get(graph)
    out = np.zeros((len(sel), graph.n_beads, graph.n_beads), np.float32)
    for m, (p, prob) in zip(out, scored):
        m[p[:, 0], p[:, 1]] = prob
        m[p[:, 1], p[:, 0]] = prob
    out[:, sep < model.min_separation] = np.nan
    return out


def predict_contacts(model, graph, frames=None, batch_size: int = 8):
    """(n, n) float32 contact probability map of a CA-level graph, or one map per graph.

    One frame: its map.  Several frames: the mean over frames (predicted contact
    frequencies).  Symmetric; values in [0, 1]; 0 beyond the model's pair distance
    ``r_pair`` (16 Å CA–CA); NaN for |i − j| < ``min_separation`` (3) in a chain and on the
    diagonal.

    Parameters
    ----------
    model : ContactModel
    graph : topologies.CGGraph or sequence of CGGraph
        A sequence (list/tuple) of graphs returns a list of maps, one per graph; their
        frames are packed ``batch_size`` per compiled call across proteins (sorted by
        length), which is much faster than one call per protein for many small proteins.
    frames : index, optional
        Frames of each graph (default all).
    batch_size : int
        Frames (of any protein) per compiled call.
    """
    if not isinstance(graph, (list, tuple)):
        maps = predict_contact_maps(model, graph, frames=frames, batch_size=batch_size)
        return maps[0] if len(maps) == 1 else maps.mean(0)
    graphs = list(graph)
    if not graphs:
        raise InputError("predict_contacts got an empty list of graphs")
    _check_batch_size(batch_size)
    items, owner = [], []
    for g_index, g in enumerate(graphs):
        try:
            _check(model, g)
        except InputError as exc:
            raise InputError(f"graph {g_index} of the list: {exc}") from None
        sel = _frames(g, frames)
        items += [(g, int(f)) for f in sel]
        owner += [g_index] * len(sel)
    topologies = _Topologies()
    scored = _run(model, items, int(batch_size), topologies)
    sums = [np.zeros((g.n_beads, g.n_beads), np.float64) for g in graphs]
    counts = np.zeros(len(graphs), int)
    for g_index, (p, prob) in zip(owner, scored):
        sums[g_index][p[:, 0], p[:, 1]] += prob
        sums[g_index][p[:, 1], p[:, 0]] += prob
        counts[g_index] += 1
    maps = []
    for g, s, c in zip(graphs, sums, counts):
        sep, _ = topologies.get(g)
        m = (s / c).astype(np.float32)
        m[sep < model.min_separation] = np.nan
        maps.append(m)
    return maps
