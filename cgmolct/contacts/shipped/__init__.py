"""The contact models shipped with cgmolct (see ``MODEL_CARD.md`` beside this file).

- ``model/`` (:data:`SHIPPED_MODEL`): closest-heavy contacts of the input structure;
- ``ensemble/`` (:data:`SHIPPED_ENSEMBLE_MODEL`): contact frequencies over a 10 ps OpenMM
  trajectory started from the input structure (the ensemble mode).
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["SHIPPED_MODEL", "SHIPPED_ENSEMBLE_MODEL", "SHIPPED_MODELS", "load_shipped"]

#: Folder of the shipped static contact model (``cgmolct.save`` format).
SHIPPED_MODEL = Path(__file__).parent / "model"
#: Folder of the shipped ensemble-mode contact model.
SHIPPED_ENSEMBLE_MODEL = Path(__file__).parent / "ensemble"
#: Names the command line and :func:`load_shipped` accept.
SHIPPED_MODELS = {"shipped": SHIPPED_MODEL, "shipped-ensemble": SHIPPED_ENSEMBLE_MODEL}


def load_shipped(kind: str = "static"):
    """A shipped :class:`~cgmolct.contacts.model.ContactModel` in inference mode.

    Parameters
    ----------
    kind : {"static", "ensemble"}
        ``static``: contacts of the input structure; ``ensemble``: contact frequencies over a
        short trajectory started from it.
    """
    from ...errors import InputError
    from ...io.checkpoint import load_model

    folders = {"static": SHIPPED_MODEL, "ensemble": SHIPPED_ENSEMBLE_MODEL}
    if kind not in folders:
        raise InputError(f"unknown shipped contact model {kind!r}; choose 'static' or 'ensemble'")
    return load_model(folders[kind])
