"""``cgmolct.predict``: run a model over every frame of a ``CGGraph``, return numpy arrays.

Frames are batched with :func:`cgmolct.data.graph_batches` (neighbour lists at the model's
cutoff; the last batch is padded to the same capacity so a compiled graph is reused).
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence

import numpy as np

from .errors import InputError, ModelError

__all__ = ["predict", "OUTPUTS"]

#: Every output name understood by :func:`predict`.
#: Padded neighbour slots (beads × (neighbours + 1) × frames) in one batch above which
#: energies and forces are evaluated chunk by chunk (about 1.8 GB on the whole-graph path).
AUTO_CHUNK_SLOTS = 100_000

OUTPUTS = ("energy", "forces", "node_features", "embedding", "attention", "ponder_steps",
           "contacts", "states")

_MAX_ATTENTION_BYTES = 2 << 30


def _parts(model):
    from .models.base import RepresentationModel
    from .readouts.energy import EnergyForceModel

    if isinstance(model, EnergyForceModel):
        return model, model.representation
    if isinstance(model, RepresentationModel):
        return None, model
    raise ModelError(f"predict needs an EnergyForceModel or a representation model "
                     f"(MolCT, SchNet, PhysNet); got {type(model).__name__}")


def predict(model, graph, outputs: Optional[Sequence[str]] = None, *, batch_size: int = 16,
            cutoff: Optional[float] = None, frames=None,
            chunk_size: Optional[int] = None, strict: bool = False) -> Dict[str, np.ndarray]:
    """Model outputs for all frames of ``graph`` in physical units.

    Parameters
    ----------
    model : EnergyForceModel or RepresentationModel
        For example from :func:`cgmolct.load`.
    graph : topologies.CGGraph or list of CGGraph
        A list gives a list of result dicts, one per graph.
    outputs : sequence of str, optional
        Any of :data:`OUTPUTS`; default ``("energy", "forces")`` for an energy model,
        ``("node_features", "embedding")`` for a representation.
    batch_size : int
        Frames per batch (default 16).
    cutoff : float, optional
        Neighbour cutoff in Å (default: the model's ``r_cut``).
    frames : index, optional
        Frames to use (default all).
    chunk_size : int, optional
        Evaluate energy and forces over chunks of this many beads
        (:class:`~cgmolct.readouts.ChunkedEnergyForces`: same numbers, memory bounded by the
        chunk).  Default: chunked automatically when a batch holds more than
        :data:`AUTO_CHUNK_SLOTS` padded neighbour slots and the model supports it (MolCT with
        plain EA blocks or fixed cycles); 0 never chunks.
    strict : bool
        Refuse (:class:`~cgmolct.errors.InputError`) a graph holding bead types or relation
        codes that a saved model was not trained on; by default a warning names them.

    Returns
    -------
    dict of str -> ndarray
        ``energy`` (F,) kcal/mol; ``forces`` (F, n, 3) kcal/mol/Å; ``node_features``
        (F, n, dim); ``embedding`` (F, dim) the node features pooled by
        :class:`~cgmolct.readouts.GraphReadout` (mean; trained embeddings: :mod:`cgmolct.embed`); ``attention``
        (F, n, n) last-block attention of bead i on bead j, averaged over heads (MolCT);
        ``ponder_steps`` (F, n) cycles used per bead summed over blocks (MolCT);
        ``contacts`` (n, n) contact probabilities of a contact model
        (:class:`cgmolct.contacts.model.ContactModel`; one frame: its map, several: the mean
        over frames, i.e. predicted contact frequencies; see
        :func:`cgmolct.contacts.predict_contacts`); for a trained embedding model
        (:class:`cgmolct.embed.model.EmbeddingModel`) ``embedding`` (F, d) and ``states``
        (F, k) VAMP state probabilities.
    """
    from topologies.graph import CGGraph

    if isinstance(graph, (list, tuple)):
        return [predict(model, g, outputs, batch_size=batch_size, cutoff=cutoff, frames=frames,
                        chunk_size=chunk_size, strict=strict) for g in graph]
    if not isinstance(graph, CGGraph):
        raise InputError(f"predict needs a topologies.CGGraph (or a list of them); got "
                         f"{type(graph).__name__}")
    from .contacts.model import ContactModel
    from .embed.model import EmbeddingModel

    if isinstance(model, ContactModel):
        return _contacts(model, graph, outputs, frames, batch_size)
    if isinstance(model, EmbeddingModel):
        return _embeddings(model, graph, outputs, frames, batch_size, cutoff)
    if outputs is not None and {"contacts", "states"} & set((outputs,) if isinstance(outputs, str)
                                                           else outputs):
        raise InputError("'contacts' need a contact model (cgmolct.contacts.load_shipped()) and "
                         "'states' a VAMP embedding model (cgmolct.embed)")
    energy_model, rep = _parts(model)
    check_trained_vocabulary(model, graph, strict)
    if outputs is None:
        outputs = ("energy", "forces") if energy_model is not None else ("node_features", "embedding")
    if isinstance(outputs, str):
        outputs = (outputs,)
    outputs = tuple(outputs)
    unknown = [o for o in outputs if o not in OUTPUTS]
    if unknown:
        raise InputError(f"unknown outputs {unknown}; choose from {', '.join(OUTPUTS)}")
    if energy_model is None and ({"energy", "forces"} & set(outputs)):
        raise InputError(f"{type(rep).__name__} is a representation without an energy readout; "
                         "energy and forces need an EnergyForceModel")
    if ({"attention", "ponder_steps"} & set(outputs)) and not rep.supports_details:
        raise InputError(f"{type(rep).__name__} has no attention weights or ponder steps "
                         "(MolCT has)")
    if chunk_size is not None and (not isinstance(chunk_size, (int, np.integer))
                                   or isinstance(chunk_size, bool) or chunk_size < 0):
        raise InputError(f"chunk_size must be a non-negative integer or None, got {chunk_size!r}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise InputError(f"batch_size must be a positive integer, got {batch_size!r}")
    n = graph.n_beads
    try:
        n_frames = len(np.atleast_1d(np.arange(graph.n_frames)[frames])) if frames is not None \
            else graph.n_frames
    except (IndexError, TypeError, ValueError) as exc:
        raise InputError(f"frames {frames!r} do not index the graph's {graph.n_frames} frames "
                         f"({exc})") from None
    if n == 0:
        raise InputError("the graph has no beads; nothing to predict")
    if n_frames == 0:
        raise InputError(f"no frames selected (the graph has {graph.n_frames}; frames={frames!r})")
    if "attention" in outputs and n_frames * n * n * 4 > _MAX_ATTENTION_BYTES:
        raise InputError(f"attention for {n_frames} frames of {n} beads needs "
                         f"{n_frames * n * n * 4 / 2**30:.1f} GiB; select fewer frames")
    return _run(energy_model, rep, graph, outputs, int(batch_size),
                rep.r_cut if cutoff is None else float(cutoff), frames, n, n_frames, chunk_size)


_COMPILED = __import__("weakref").WeakKeyDictionary()


class _Outputs:
    """Builders of the compiled prediction cells of a model (one graph per kind and shape)."""

    @staticmethod
    def energy_forces(model):
        from .train.objective import EnergyForcePredict

        return EnergyForcePredict(model, model_returns_forces=True)

    @staticmethod
    def embedding(model):
        """Mean pooling of node features by the library's GraphReadout (no parameters)."""
        from .readouts.graph import GraphReadout

        return GraphReadout(model.dim, pooling="mean")

    @staticmethod
    def representation(model):
        from .train.objective import OutputPredict

        return OutputPredict(model, first=False)


def _compiled(model, kind: str):
    """``ms.jit`` of the ``kind`` prediction cell of ``model``, cached on the model object, so
    repeated ``predict`` calls reuse the compiled graph of each input shape."""
    import mindspore as ms

    per_model = _COMPILED.setdefault(model, {})
    if kind not in per_model:
        builder = getattr(_Outputs, kind.split(":")[0])
        per_model[kind] = ms.jit(builder(model).construct)
    return per_model[kind]


def _contacts(model, graph, outputs, frames, batch_size) -> Dict[str, np.ndarray]:
    """Contact probabilities of a :class:`cgmolct.contacts.model.ContactModel`."""
    from .contacts.predict import predict_contacts

    wanted = ("contacts",) if outputs is None else \
        ((outputs,) if isinstance(outputs, str) else tuple(outputs))
    if wanted != ("contacts",):
        raise InputError(f"a contact model predicts only 'contacts'; asked for {list(wanted)}")
    return {"contacts": predict_contacts(model, graph, frames=frames, batch_size=batch_size)}


def _embeddings(model, graph, outputs, frames, batch_size, cutoff) -> Dict[str, np.ndarray]:
    """Embeddings (and VAMP state probabilities) of a trained
    :class:`cgmolct.embed.model.EmbeddingModel`: its own GraphReadout, one vector per frame."""
    from .embed.infer import embed_frames

    wanted = ("embedding",) if outputs is None else \
        ((outputs,) if isinstance(outputs, str) else tuple(outputs))
    bad = sorted(set(wanted) - {"embedding", "states"})
    if bad or ("states" in wanted and not getattr(model, "n_states", 0)):
        raise InputError(f"an embedding model gives 'embedding' (and 'states' with a VAMP state "
                         f"head); asked for {list(wanted)}")
    res = embed_frames(model, graph if frames is None else graph.select_frames(frames),
                       batch_size=max(int(batch_size), 256), cutoff=cutoff)
    return {k: res[k] for k in wanted}


def check_trained_vocabulary(model, graph, strict: bool = False) -> None:
    """Warn (or with ``strict`` refuse) when ``graph`` holds bead types or relation codes that
    the saved ``model`` was not trained on (its ``saved_info`` metadata records them)."""
    import warnings

    from topologies.vocabulary import type_name

    meta = (getattr(model, "saved_info", None) or {}).get("metadata") or {}
    trained = meta.get("trained_types")
    if not trained:
        return
    problems = []
    unseen = sorted(set(int(t) for t in np.unique(graph.types)) - set(trained))
    if unseen:
        names = ", ".join(f"{type_name(t)} ({t})" for t in unseen[:8])
        problems.append(f"bead types {names}{' ...' if len(unseen) > 8 else ''} were not in its "
                        f"training data ({len(trained)} types)")
    codes = meta.get("trained_relation_codes")
    if codes:
        pairs = graph.relational_pairs(3)
        new = sorted(set(int(c) for c in np.unique(graph.relation_codes(pairs))) - set(codes)) \
            if len(pairs) else []
        if new:
            problems.append(f"relation codes {new[:8]} were not in its training data")
    if not problems:
        return
    message = (f"the model was trained on other systems: {'; '.join(problems)}. Its predictions "
               "for them are extrapolations")
    if strict:
        raise InputError(message + " (strict=True)")
    warnings.warn(message + "; pass strict=True to refuse", UserWarning, stacklevel=3)


def _coincident(graph, frame: int) -> str:
    """A message naming two beads of ``frame`` closer than 1e-3 Å, or ''."""
    from scipy.spatial import cKDTree

    pos = np.asarray(graph.positions[frame], np.float64)
    pairs = cKDTree(pos).query_pairs(1e-3, output_type="ndarray")
    if len(pairs) == 0:
        return ""
    i, j = (int(x) for x in pairs[0])
    return (f"beads {i} and {j} coincide ({len(pairs)} pair(s) closer than 0.001 Å); "
            "distances of zero have no defined force")


def _chunker(energy_model, chunk_size):
    """A ChunkedEnergyForces for ``energy_model``, or None when it cannot chunk."""
    from .errors import ModelError
    from .readouts.chunked import DEFAULT_CHUNK_SIZE, ChunkedEnergyForces

    try:
        return ChunkedEnergyForces(energy_model, int(chunk_size or DEFAULT_CHUNK_SIZE))
    except ModelError:
        if chunk_size:  # asked for explicitly: say why not
            raise
        return None


def _run(energy_model, rep, graph, outputs, batch_size, cutoff, frames, n, n_frames,
         chunk_size=None):
    from .data import graph_batches, keys
    from .models.base import as_model_inputs, check_model_inputs

    want_details = bool({"attention", "ponder_steps"} & set(outputs))
    want_rep = bool({"node_features", "embedding"} & set(outputs)) or want_details
    res: Dict[str, np.ndarray] = {}
    was_training = (energy_model or rep).training
    was_details = rep.output_details
    (energy_model or rep).set_train(False)
    done = 0
    chunker = None
    batch_size = max(1, min(batch_size, n_frames))  # never pad one frame to a batch of 16
    frame_ids = np.arange(graph.n_frames) if frames is None \
        else np.atleast_1d(np.arange(graph.n_frames)[frames])
    try:
        for batch in graph_batches(graph, batch_size=batch_size, cutoff=cutoff, frames=frames,
                                   batch_capacity=batch_size):
            args = [batch[k] for k in keys.MODEL_INPUTS]
            check_model_inputs(args, check_values=True, vocabulary_size=rep.vocabulary_size,
                               n_relation_codes=rep.n_relation_codes)
            real = np.asarray(batch.get(keys.SAMPLE_MASK, np.ones(len(args[0]), bool)), bool)
            slot = np.arange(done, done + int(real.sum()))
            done += int(real.sum())
            tensors = as_model_inputs(args)
            got = {}
            if energy_model is not None and {"energy", "forces"} & set(outputs):
                rep.output_details = False
                slots = args[0].size * (args[3].shape[-1] + 1)
                if chunk_size or (chunk_size is None and slots > AUTO_CHUNK_SLOTS):
                    chunker = chunker or _chunker(energy_model, chunk_size)
                if chunker is not None:
                    e, f = chunker(*tensors)
                else:
                    e, f = _compiled(energy_model, "energy_forces")(*tensors)
                    e, f = e.asnumpy(), f.asnumpy()
                got["energy"] = e[real]
                got["forces"] = f[real][:, :n]
            if want_rep:
                rep.output_details = want_details  # read when its graph compiles: one per flag
                out = _compiled(rep, f"representation:{want_details}")(*tensors)
                h_t = out[0] if want_details else out
                h = h_t.asnumpy()[real][:, :n]
                got["node_features"] = h
                if "embedding" in outputs:
                    pooled = _compiled(rep, "embedding")(h_t, tensors[2]).asnumpy()
                    got["embedding"] = pooled[real]
                if want_details:
                    att = out[1].asnumpy()[real][:, :n].mean(2)  # (b, n, K+1)
                    got["ponder_steps"] = out[2].asnumpy()[real][:, :n]
                    if "attention" in outputs:
                        nb = batch[keys.NEIGHBOURS][real][:, :n]
                        nm = batch[keys.NEIGHBOUR_MASK][real][:, :n]
                        dense = np.zeros((len(h), n, n), np.float32)
                        bi, ii = np.nonzero(np.ones((len(h), n), bool))
                        dense[bi, ii, ii] = att[:, :, 0].reshape(-1)
                        b3, i3, k3 = np.nonzero(nm)
                        np.add.at(dense, (b3, i3, nb[b3, i3, k3]), att[b3, i3, k3 + 1])
                        got["attention"] = dense
            for name in ("energy", "forces"):
                if name in got and not np.isfinite(got[name]).all():
                    row = np.nonzero((~np.isfinite(got[name].reshape(len(slot), -1))).any(1))[0][0]
                    bad = int(frame_ids[slot[row]])
                    raise InputError(f"{name} of frame {bad} is not finite: "
                                     f"{_coincident(graph, bad) or 'check the positions of this frame'}")
            for name in outputs:
                if name not in res:
                    shape = (n_frames,) + got[name].shape[1:]
                    res[name] = np.zeros(shape, got[name].dtype)
                res[name][slot] = got[name]
    finally:
        rep.output_details = was_details
        (energy_model or rep).set_train(was_training)
    return res


class _CallableModule(__import__("types").ModuleType):
    """Importing ``cgmolct.predict`` binds the *module* as ``cgmolct.predict``; making it
    callable keeps ``cgmolct.predict(model, graph)`` working in every import order."""

    def __call__(self, *args, **kwargs):
        return predict(*args, **kwargs)


__import__("sys").modules[__name__].__class__ = _CallableModule
