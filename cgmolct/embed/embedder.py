"""``MolCTEmbedder``: a scikit-learn transformer from CG frames to conformation embeddings.

>>> from sklearn.pipeline import Pipeline
>>> from sklearn.cluster import KMeans
>>> pipe = Pipeline([("embed", MolCTEmbedder(objective="vamp", lag=5)),
...                  ("kmeans", KMeans(3, n_init=10))])
>>> labels = pipe.fit_predict(graph)          # graph: a CGGraph (or a list: trajectories)

Objectives: ``"vamp"`` (VAMP-2 of soft state assignments of time-lagged pairs, kinetic
states), ``"metric"`` (embedding distances regress the CG RMSD of random frame pairs,
RMSD-like clustering at linear cost), ``"pretrained"`` (no training: the representation of
a saved model, e.g. a force field, mean-pooled by a GraphReadout; a saved EmbeddingModel is
used as it is).
"""
from __future__ import annotations

from typing import Optional

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from ..errors import InputError

__all__ = ["MolCTEmbedder", "OBJECTIVES"]

OBJECTIVES = ("vamp", "metric", "pretrained")


class MolCTEmbedder(TransformerMixin, BaseEstimator):
    """Embed CG frames with a MolCT representation and a GraphReadout (module docstring).

    Parameters
    ----------
    objective : {"vamp", "metric", "pretrained"}
    checkpoint : str, optional
        Saved model folder (``cgmolct.save``): an EnergyForceModel or representation (its
        representation is used: frozen for "pretrained", the starting point otherwise) or
        an EmbeddingModel (used as it is with "pretrained").  Required for "pretrained".
    template : CGGraph, optional
        Topology for inputs given as position arrays (frames, beads, 3) in Å.
    dim : int
        Embedding size (trained objectives).
    n_states : int
        Soft states of the VAMP head.
    lag : int
        VAMP lag time in frames.
    output : {"embedding", "states"}
        What ``transform`` returns ("states": the VAMP soft assignments).
    model_dim, n_heads, n_interactions : int
        Size of a new MolCT representation.
    r_cut : float
        Neighbour cutoff of a new representation (Å).
    pooling : {"mean", "sum", "attention"}
        GraphReadout pooling.
    use_dihedrals : bool
        Sign-sensitive dihedral messages (trained objectives; mirror images differ).
    distance : {"rmsd", "drmsd"}
        Target of the metric objective (Å).
    n_pairs : int
        Random frame pairs of the metric objective.
    mirror_augment : bool
        Metric objective: train on the frames and their mirror images (z → −z) together,
        so that the embedding learns the RMSD between mirror images (chirality) even when
        one hand is rare in the data.
    epochs, batch_size : int
    learning_rate : float
    max_seconds : float, optional
        Training wall-clock budget.
    seed : int
    verbose : bool

    Attributes
    ----------
    model_ : EmbeddingModel
    history_ : dict
        Training loss per epoch, steps, seconds.
    n_features_out_ : int
    """

    def __init__(self, objective: str = "vamp", checkpoint: Optional[str] = None, template=None,
                 dim: int = 16, n_states: int = 4, lag: int = 1, output: str = "embedding",
                 model_dim: int = 32, n_heads: int = 4, n_interactions: int = 2,
                 r_cut: float = 10.0, pooling: str = "mean", use_dihedrals: bool = True,
                 distance: str = "rmsd", n_pairs: int = 20000, mirror_augment: bool = True,
                 epochs: int = 10,
                 batch_size: int = 256, learning_rate: float = 1e-3,
                 max_seconds: Optional[float] = None, seed: int = 0, verbose: bool = False):
        self.objective = objective
        self.checkpoint = checkpoint
        self.template = template
        self.dim = dim
        self.n_states = n_states
        self.lag = lag
        self.output = output
        self.model_dim = model_dim
        self.n_heads = n_heads
        self.n_interactions = n_interactions
        self.r_cut = r_cut
        self.pooling = pooling
        self.use_dihedrals = use_dihedrals
        self.distance = distance
        self.n_pairs = n_pairs
        self.mirror_augment = mirror_augment
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.max_seconds = max_seconds
        self.seed = seed
        self.verbose = verbose

    # ------------------------------------------------------------------ inputs
    def _graphs(self, x):
        from topologies.graph import CGGraph

        if isinstance(x, np.ndarray) or (isinstance(x, (list, tuple)) and x
                                         and isinstance(x[0], np.ndarray)):
            if self.template is None:
                raise InputError("position arrays need template=CGGraph (the topology)")
            arrays = [x] if isinstance(x, np.ndarray) else list(x)
            out = []
            for a in arrays:
                a = np.asarray(a, np.float32)
                if a.ndim == 2:
                    a = a[None]
                if a.ndim != 3 or a.shape[1:] != (self.template.n_beads, 3):
                    raise InputError(f"positions have shape {a.shape}; expected (frames, "
                                     f"{self.template.n_beads}, 3) like the template")
                g = self.template.select_frames(np.zeros(len(a), np.int64))
                g.positions, g.forces, g.energies, g.box, g.labels = a, None, None, None, {}
                out.append(g)
            return out
        if isinstance(x, CGGraph):
            return [x]
        if isinstance(x, (list, tuple)) and x and all(isinstance(g, CGGraph) for g in x):
            return list(x)
        raise InputError(f"MolCTEmbedder takes a CGGraph, a list of CGGraph or position arrays "
                         f"(frames, beads, 3) with template=; got {type(x).__name__}")

    def _check_params(self) -> None:
        if self.objective not in OBJECTIVES:
            raise InputError(f"objective must be one of {', '.join(OBJECTIVES)}; got {self.objective!r}")
        if self.objective == "pretrained" and not self.checkpoint:
            raise InputError("objective='pretrained' needs checkpoint= (a saved model folder)")
        if self.output not in ("embedding", "states"):
            raise InputError(f"output must be 'embedding' or 'states', got {self.output!r}")
        if self.output == "states" and self.objective != "vamp":
            raise InputError("output='states' needs objective='vamp'")
        for name in ("dim", "lag", "model_dim", "n_heads", "n_interactions", "n_pairs",
                     "epochs", "batch_size"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
                raise InputError(f"{name} must be a positive integer, got {v!r}")
        if not isinstance(self.n_states, (int, np.integer)) or self.n_states < 2:
            raise InputError(f"n_states must be an integer >= 2, got {self.n_states!r}")

    # ------------------------------------------------------------------ model
    def _build(self):
        import mindspore as ms

        from ..io.checkpoint import load_model
        from ..models.base import RepresentationModel
        from ..models.molct import MolCT
        from ..readouts.energy import EnergyForceModel
        from ..readouts.graph import GraphReadout
        from .model import EmbeddingModel

        ms.set_seed(int(self.seed))
        rep = None
        if self.checkpoint:
            loaded = load_model(self.checkpoint)
            if isinstance(loaded, EmbeddingModel):
                if self.objective == "pretrained":
                    return loaded
                rep = loaded.representation
            elif isinstance(loaded, EnergyForceModel):
                rep = loaded.representation
            elif isinstance(loaded, RepresentationModel):
                rep = loaded
            else:
                raise InputError(f"{self.checkpoint}: a {type(loaded).__name__} has no "
                                 "representation to embed with")
        if self.objective == "pretrained":
            return EmbeddingModel(rep, GraphReadout(rep.dim, self.pooling), use_dihedrals=False)
        if rep is None:
            if self.model_dim % self.n_heads:
                raise InputError(f"model_dim {self.model_dim} is not divisible by n_heads {self.n_heads}")
            rep = MolCT(dim=int(self.model_dim), n_heads=int(self.n_heads),
                        n_interactions=int(self.n_interactions), r_cut=float(self.r_cut))
        readout = GraphReadout(rep.dim, self.pooling, dim_out=int(self.dim), hidden=(rep.dim,))
        n_states = int(self.n_states) if self.objective == "vamp" else 0
        return EmbeddingModel(rep, readout, n_states=n_states, use_dihedrals=self.use_dihedrals)

    def fit(self, X, y=None) -> "MolCTEmbedder":
        """Build the model and train it on the frames of ``X`` (``y`` is ignored)."""
        from .data import FrameData, PairData
        from .fit import train_objective
        from .model import standardise_output
        from .objectives import MetricLoss, VAMPLoss

        self._check_params()
        graphs = self._graphs(X)
        model = self._build()
        self.history_ = {"loss": [], "steps": 0, "seconds": 0.0}
        if self.objective != "pretrained":
            mirrors = self.objective == "metric" and self.mirror_augment
            frames = FrameData([_with_mirrors(g) for g in graphs] if mirrors else graphs,
                               cutoff=model.r_cut)
            if self.objective == "vamp":
                data = PairData.lagged(frames, int(self.lag))
                objective = VAMPLoss(model)
            else:
                data = PairData.random(frames, int(self.n_pairs), self.distance, int(self.seed))
                objective = MetricLoss(model)
            bs = frames.default_batch_size(int(self.batch_size))
            if self.objective == "metric":
                # distances need a usable scale from the first step; not for VAMP: amplified
                # outputs saturate the softmax head after the first Adam steps
                rng = np.random.default_rng(int(self.seed))
                sample = rng.permutation(len(frames))[:1024]
                standardise_output(model, (frames.batch(sample[k:k + min(bs, 128)])
                                           for k in range(0, len(sample), min(bs, 128))),
                                   float(np.mean(data.targets)))
            self.history_ = train_objective(
                objective, data, epochs=int(self.epochs), batch_size=bs,
                learning_rate=float(self.learning_rate), seed=int(self.seed),
                max_seconds=self.max_seconds, log=print if self.verbose else None)
        self.model_ = model
        self.n_features_out_ = (model.n_states if self.output == "states" else model.dim)
        return self

    def transform(self, X) -> np.ndarray:
        """(frames, d) embeddings (or state assignments) of every frame of ``X``, in order."""
        from sklearn.utils.validation import check_is_fitted

        from .infer import compiled_forward, embed_frames

        check_is_fitted(self, "model_")
        if getattr(self, "_forward", (None, None))[0] is not self.model_:
            self._forward = (self.model_, compiled_forward(self.model_))
        res = embed_frames(self.model_, self._graphs(X), batch_size=max(int(self.batch_size), 512),
                           forward=self._forward[1])
        return res["states"] if self.output == "states" else res["embedding"]

    def save(self, path) -> str:
        """Save the fitted EmbeddingModel (``cgmolct.load`` / ``checkpoint=`` read it back)."""
        from sklearn.utils.validation import check_is_fitted

        from ..io.checkpoint import save_model

        check_is_fitted(self, "model_")
        params = {k: v for k, v in self.get_params().items() if k != "template"}
        return save_model(self.model_, path, metadata={"embedder": params,
                                                       "history": self.history_})


def _with_mirrors(graph):
    """The frames of ``graph`` followed by their mirror images (z → −z), one graph."""
    n = graph.n_frames
    g = graph.select_frames(np.r_[np.arange(n), np.arange(n)])
    pos = np.array(g.positions, np.float32)
    pos[n:, :, 2] *= -1.0
    g.positions, g.forces, g.energies, g.box, g.labels = pos, None, None, None, {}
    return g
