"""topologies: coarse-grained graphs from structure and trajectory files.

Pure numpy / MDAnalysis / Biopython / networkx: this package never imports MindSpore or
``cgmolct``.  The public objects are re-exported here.
"""
from __future__ import annotations

from . import relations, vocabulary
from .arrays import from_arrays
from .build import build_graph
from .graph import FORMAT_VERSION, CGGraph
from .operator import MappingOperator
from .errors import (GraphFormatError, MappingError, SelectionError, StructureFileError,
                     TopologyError, TopologyWarning, VocabularyError)
from .relations import N_RELATION_CODES, RELATION_VERSION, relation_codes
from .vocabulary import VOCABULARY_SIZE, VOCABULARY_VERSION

__all__ = [
    "relations", "vocabulary",
    "CGGraph", "FORMAT_VERSION", "MappingOperator", "from_arrays", "build_graph",
    "TopologyError", "StructureFileError", "SelectionError", "MappingError",
    "GraphFormatError", "VocabularyError", "TopologyWarning",
    "N_RELATION_CODES", "RELATION_VERSION", "relation_codes",
    "VOCABULARY_SIZE", "VOCABULARY_VERSION",
]
