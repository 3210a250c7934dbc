"""The contact files: labels (``cgmolct contacts labels``, ensembles) and predicted maps.

Both are one ``.npz`` with the arrays and a JSON header under :data:`HEADER_KEY`
(:func:`cgmolct.storage.make_header`): format :data:`LABELS_FORMAT` (``contacts`` (frames,
n, n) uint8, ``frequency`` (n, n), ``separation``, the residue table, optionally ``q`` and,
for ensembles, ``static``) or :data:`MAP_FORMAT` (``probability`` (n, n), ``separation``,
the residue table, optionally ``truth``), ``format_version`` 1.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Mapping, Tuple

from ..errors import InputError

__all__ = ["LABELS_FORMAT", "MAP_FORMAT", "FORMAT_VERSION", "SUPPORTED_VERSIONS", "HEADER_KEY",
           "read_contacts", "write_contacts"]

LABELS_FORMAT = "cgmolct-contact-labels"
MAP_FORMAT = "cgmolct-contact-map"
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)
#: Name of the header entry of the contact ``.npz`` files.
HEADER_KEY = "__json__"


def read_contacts(path, kind: str = LABELS_FORMAT) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Read a contact labels file (``kind`` = :data:`LABELS_FORMAT`) or a predicted map
    (:data:`MAP_FORMAT`).

    Returns
    -------
    header, arrays
        The JSON header and the arrays by name.

    Raises
    ------
    InputError
        Missing, corrupt or truncated file, another format or an unknown version.
    """
    from ..storage import read_npz_record

    return read_npz_record(path, kind, SUPPORTED_VERSIONS, InputError, meta_key=HEADER_KEY,
                           what=f"{kind} file")


def write_contacts(path, arrays: Mapping[str, Any], header: Mapping[str, Any]) -> None:
    """Write a contact file atomically (compressed ``.npz``; the header from ``make_header``)."""
    from ..storage import write_npz_record

    out = Path(path)
    if out.suffix != ".npz":
        raise InputError(f"{out}: the output must be a .npz file")
    write_npz_record(out, header, arrays, meta_key=HEADER_KEY, compressed=True)
