"""Batches, neighbour lists and data sets (see :mod:`cgmolct.data.keys` for the contract).

numpy only (no MindSpore): models turn the batch arrays into tensors.
"""
from . import keys
from .batch import collate, graph_batches
from .buckets import DEFAULT_BUCKETS, bucket_capacity
from .dataset import MolecularDataset
from .folder import load_folder, save_folder, write_folder
from .iterator import BatchIterator, IndexIterator
from .loaders import (QM9_LABELS, QM9_UNITS, detect_format, load_graph_files, load_md17,
                      load_qm9, md17_graph, open_dataset, qm9_graphs)
from .neighbours import NeighbourList, Neighbours, neighbour_list
from .normalisation import Normalisation, fit_normalisation, fit_type_references
from .splits import load_split, save_split, split_by_fraction

__all__ = [
    "keys", "collate", "graph_batches", "DEFAULT_BUCKETS", "bucket_capacity",
    "MolecularDataset", "load_folder", "save_folder", "write_folder", "BatchIterator", "IndexIterator",
    "QM9_LABELS", "QM9_UNITS", "detect_format", "load_graph_files", "load_md17", "load_qm9",
    "md17_graph", "open_dataset", "qm9_graphs",
    "NeighbourList", "Neighbours", "neighbour_list", "Normalisation", "fit_normalisation",
    "fit_type_references", "load_split", "save_split", "split_by_fraction",
]
