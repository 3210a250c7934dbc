"""Conformation embeddings: a MolCT representation pooled by a GraphReadout, per frame.

* :class:`MolCTEmbedder` — scikit-learn transformer (objectives "vamp", "metric",
  "pretrained").
* :class:`EmbeddingModel` — the model cell; :func:`embed_frames` runs it over graphs.
* :class:`VAMPLoss`, :class:`MetricLoss` — objective cells (``INPUTS`` = :data:`PAIR_INPUTS`)
  over :class:`PairData` batches; :func:`train_objective` — a compiled training loop.
* :mod:`.geometry` (dihedrals, RMSD) and :mod:`.states` (reference state labels) in numpy.
"""
from .data import PAIR_INPUTS, FrameData, PairData
from .embedder import OBJECTIVES, MolCTEmbedder
from .fit import train_objective
from .infer import embed_frames
from .model import EMBED_INPUTS, EmbeddingModel
from .objectives import MetricLoss, VAMPLoss, vamp2

__all__ = ["MolCTEmbedder", "OBJECTIVES", "EmbeddingModel", "EMBED_INPUTS", "embed_frames",
           "FrameData", "PairData", "PAIR_INPUTS", "VAMPLoss", "MetricLoss", "vamp2",
           "train_objective"]
