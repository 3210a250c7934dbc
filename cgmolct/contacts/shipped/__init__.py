"""The contact model shipped with cgmolct (see ``MODEL_CARD.md`` beside this file)."""
from __future__ import annotations

from pathlib import Path

__all__ = ["SHIPPED_MODEL", "load_shipped"]

#: Folder of the shipped model (``cgmolct.save`` format).
SHIPPED_MODEL = Path(__file__).parent / "model"


def load_shipped():
    """The shipped :class:`~cgmolct.contacts.model.ContactModel` in inference mode."""
    from ...io.checkpoint import load_model

    return load_model(SHIPPED_MODEL)
