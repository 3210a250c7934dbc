"""The exception hierarchy of ``topologies`` (no MindSpore, no ``cgmolct`` import).

:class:`TopologyError` is the base: every problem with a structure/trajectory file, a
selection or a CG mapping raises one of its subclasses, with a message that names the file
and, where known, the line, residue or atom that is wrong.
"""
from __future__ import annotations

__all__ = [
    "TopologyError",
    "StructureFileError",
    "SelectionError",
    "MappingError",
    "GraphFormatError",
    "VocabularyError",
    "TopologyWarning",
]


class TopologyError(ValueError):
    """Base class of all errors raised on purpose by ``topologies``."""


class StructureFileError(TopologyError):
    """A structure or trajectory file is missing, empty, truncated, garbled or inconsistent."""


class SelectionError(TopologyError):
    """An atom selection is invalid or selects nothing."""


class MappingError(TopologyError):
    """A CG mapping cannot be applied (unknown name, residue without its key atoms, ...)."""


class GraphFormatError(TopologyError):
    """A saved CGGraph file is corrupt, truncated or of an unknown format version."""


class VocabularyError(TopologyError):
    """A bead type or relation code is outside the known global vocabulary."""


class TopologyWarning(UserWarning):
    """A recoverable problem met while building a graph; also kept in the provenance."""
