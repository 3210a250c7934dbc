"""topologies: coarse-grained graphs from structure and trajectory files.

Pure numpy / MDAnalysis / Biopython / networkx: this package never imports MindSpore or
``cgmolct``.  The public objects are re-exported here.

Where things live: ``graph`` (the CGGraph contract) and ``storage`` (save/load);
``build`` (``build_graph``) over ``io`` (reading, error translation), ``atoms`` (atom
tables, altlocs, duplicates), ``residues`` (name tables), ``pbc`` (making molecules whole),
``chains`` (segments and breaks), ``mappings/`` (protein, nucleic, atom-level maps),
``chemistry`` and ``bonds`` (chemical bonds), ``martini`` (coarse-grained input files),
``operator`` (the atoms → beads map);
``arrays`` (``from_arrays``); ``vocabulary`` and ``relations`` (the versioned type and
relation tables).
"""
from __future__ import annotations

from . import relations, vocabulary
from .arrays import from_arrays
from .build import build_graph
from .graph import FORMAT_VERSION, CGGraph
from .mappings import MAPPINGS
from .operator import MappingOperator
from .errors import (GraphFormatError, MappingError, SelectionError, StructureFileError,
                     TopologyError, TopologyWarning, VocabularyError)
from .relations import N_RELATION_CODES, RELATION_VERSION, relation_codes
from .vocabulary import VOCABULARY_SIZE, VOCABULARY_VERSION

__all__ = [
    "relations", "vocabulary",
    "CGGraph", "FORMAT_VERSION", "MappingOperator", "MAPPINGS", "from_arrays", "build_graph",
    "TopologyError", "StructureFileError", "SelectionError", "MappingError",
    "GraphFormatError", "VocabularyError", "TopologyWarning",
    "N_RELATION_CODES", "RELATION_VERSION", "relation_codes",
    "VOCABULARY_SIZE", "VOCABULARY_VERSION",
]
