"""Layers of the models (MindSpore cells): radial bases, cutoffs, attention, ACT, norms."""
from .act import PonderNet, act_step, ponder_cost, sinusoidal_table
from .activations import ShiftedSoftplus, Swish, make_activation
from .attention import MaskedMultiHeadAttention
from .cutoff import CosineCutoff, SmoothCutoff, make_cutoff
from .geometry import SAFE_DISTANCE, gather_neighbours, gather_pairs, neighbour_vectors
from .mlp import MLP, Residual
from .norm import LayerNorm
from .rbf import ExponentialRBF, GaussianRBF, LogGaussianRBF, make_rbf

__all__ = [
    "LayerNorm", "LogGaussianRBF", "GaussianRBF", "ExponentialRBF", "make_rbf",
    "SmoothCutoff", "CosineCutoff", "make_cutoff", "ShiftedSoftplus", "Swish",
    "make_activation", "MaskedMultiHeadAttention", "PonderNet", "act_step", "ponder_cost",
    "sinusoidal_table", "gather_neighbours", "gather_pairs", "neighbour_vectors",
    "SAFE_DISTANCE", "MLP", "Residual",
]
