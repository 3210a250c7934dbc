"""Saving and loading priors: ``priors.json`` in a folder (beside a saved model).

One JSON file (format ``cgmolct-priors``, ``format_version`` :data:`FORMAT_VERSION`: the
header of :func:`cgmolct.storage.make_header`; the legacy key ``version`` is read too) holds
the cgmolct version, the units, the number of beads, the fit temperature, the bead labels,
the fit metadata and every term (kind, name, bead indices, parameters).  Parameters are float32
values written as exact decimal doubles, so a save/load round trip is bit-exact; no pickle,
no ``.npy`` needed.  The write is atomic (temporary file, fsync, ``os.replace``).

A saved model folder (``cgmolct.save(model, folder)``) can hold its priors: call
:func:`save_priors` *after* ``cgmolct.save`` (which replaces the whole folder).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Union

from ..errors import CheckpointError, InputError
from ..storage import atomic_write_text, make_header, read_json_record
from ..units import UNITS

__all__ = ["save_priors", "load_priors", "PRIORS_FILE", "FORMAT_NAME", "FORMAT_VERSION",
           "SUPPORTED_VERSIONS"]

PRIORS_FILE = "priors.json"
FORMAT_NAME = "cgmolct-priors"
FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)


def _kinds():
    from .angles import HarmonicAngles
    from .bonds import HarmonicBonds
    from .dihedrals import FourierDihedrals
    from .repulsion import Repulsion

    return {c.KIND: c for c in (HarmonicBonds, HarmonicAngles, FourierDihedrals, Repulsion)}


def save_priors(priors, folder: Union[str, Path]) -> str:
    """Write ``priors`` (a PriorSet) to ``folder/priors.json`` atomically; returns the file path.

    The folder is created if needed; other files in it (model.json, weights) are left alone.
    """
    from .prior_set import PriorSet

    if not isinstance(priors, PriorSet):
        raise InputError(f"save_priors needs a PriorSet, got {type(priors).__name__}")
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} is a file; priors are saved into a folder")
    record = make_header(FORMAT_NAME, FORMAT_VERSION, units=dict(UNITS, angle="rad"),
                         n_beads=priors.n_beads, temperature=priors.temperature,
                         bead_labels=priors.bead_labels, metadata=priors.metadata,
                         terms=[p.to_dict() for p in priors.terms])
    try:
        text = json.dumps(record, indent=1, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InputError(f"priors cannot be written as JSON: {exc}") from None
    path = folder / PRIORS_FILE
    try:
        atomic_write_text(path, text)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    return str(path)


def load_priors(folder: Union[str, Path]):
    """Read the PriorSet saved in ``folder`` (or the ``priors.json`` file itself).

    Returns
    -------
    PriorSet or None
        None when the folder exists but holds no ``priors.json`` (a model saved without
        priors).

    Raises
    ------
    CheckpointError
        The folder does not exist, or the file is corrupt, truncated, of another format or
        of an unsupported version.
    """
    from .prior_set import PriorSet

    path = Path(folder)
    if not path.exists():
        raise CheckpointError(f"{path}: no such folder (expected a saved model or priors folder)")
    if path.is_dir():
        path = path / PRIORS_FILE
        if not path.exists():
            return None
    record = read_json_record(path, FORMAT_NAME, SUPPORTED_VERSIONS, CheckpointError,
                              what="cgmolct priors file")
    kinds = _kinds()
    terms = []
    for t, term in enumerate(record.get("terms", [])):
        kind = term.get("kind") if isinstance(term, dict) else None
        if kind not in kinds:
            raise CheckpointError(f"{path}: term {t} has unknown kind {kind!r}; known {sorted(kinds)}")
        try:
            terms.append(kinds[kind].from_dict(term))
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{path}: term {t} ({kind}) is malformed: {exc}") from None
    try:
        return PriorSet(terms, n_beads=record.get("n_beads"), temperature=record.get("temperature"),
                        bead_labels=record.get("bead_labels"), metadata=record.get("metadata"))
    except InputError as exc:
        raise CheckpointError(f"{path}: {exc}") from None
