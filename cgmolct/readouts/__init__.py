"""Readouts: node (energy and other per-bead sums), energy + forces, edge (pairs), graph."""
from .chunked import ChunkedEnergyForces
from .edge import EdgeReadout, mirror_codes
from .energy import EnergyForceModel, ForceMatchingLoss, ForceMatchingStep
from .graph import GraphReadout
from .node import NodeReadout

__all__ = ["NodeReadout", "EnergyForceModel", "ForceMatchingLoss", "ForceMatchingStep",
           "EdgeReadout", "GraphReadout", "mirror_codes", "ChunkedEnergyForces"]
