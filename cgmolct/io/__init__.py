"""Saving and loading models (``cgmolct.save`` / ``cgmolct.load``)."""
from .checkpoint import FORMAT_VERSION, load_model, read_model_info, save_model

__all__ = ["FORMAT_VERSION", "save_model", "load_model", "read_model_info"]
