"""Batches, neighbour lists and data sets (see :mod:`cgmolct.data.keys` for the contract)."""
from . import keys

__all__ = ["keys"]
