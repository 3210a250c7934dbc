"""Representation models: MolCT, SchNet and PhysNet (inputs ``keys.MODEL_INPUTS`` → (B, N, F))."""
from .base import RepresentationModel, as_model_inputs, check_model_inputs
from .molct import PRESETS, MolCT
from .physnet import PhysNet
from .registry import build, register, to_spec
from .schnet import SchNet

__all__ = ["RepresentationModel", "MolCT", "SchNet", "PhysNet", "PRESETS",
           "check_model_inputs", "as_model_inputs", "build", "register", "to_spec"]
