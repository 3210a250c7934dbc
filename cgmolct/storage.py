"""The one way ``cgmolct`` writes files: atomically, with the user's umask.

Every file (checkpoints, logs, splits, priors, JSON headers) is written to a temporary file in
the destination folder, flushed and fsync'ed, given the permissions the umask allows (a
temporary file starts as 0600) and only then ``os.replace``-d over the destination; the folder
is fsync'ed too.  Folders (saved models, data set folders, ``best_model/``) are built under a
temporary name beside the destination and swapped in by :func:`swap_in_folder`.  A crash or
SIGKILL at any moment leaves either the old file/folder or the new one, never half of one.

(``topologies`` has the same discipline in :mod:`topologies.storage`; it does not import
``cgmolct``.)
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Union

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text", "swap_in_folder",
           "temporary_folder", "umask_mode"]

PathLike = Union[str, os.PathLike]


def umask_mode(mode: int) -> int:
    """``mode`` restricted by the process umask (0o666 → 0o644 with umask 022)."""
    umask = os.umask(0)
    os.umask(umask)
    return mode & ~umask


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(str(folder), os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write(path: PathLike, writer: Callable) -> None:
    """Write ``path`` atomically: ``writer(binary_handle)`` fills a temporary file first."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent))
    try:
        with os.fdopen(fd, "wb") as handle:
            writer(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, umask_mode(0o666))
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    atomic_write(path, lambda h: h.write(data))


def atomic_write_text(path: PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def temporary_folder(path: PathLike) -> Path:
    """An empty folder beside ``path`` to build its new content in (then :func:`swap_in_folder`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(path.parent)))


def swap_in_folder(tmp: PathLike, path: PathLike) -> None:
    """Replace folder ``path`` by the finished folder ``tmp`` (same parent), atomically per
    rename: the old folder is moved aside first and removed only after ``tmp`` took its place.
    ``tmp`` gets the permissions the umask allows (``mkdtemp`` makes it 0700)."""
    tmp, path = Path(tmp), Path(path)
    os.chmod(tmp, umask_mode(0o777))
    old = None
    if path.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=str(path.parent)))
        os.rmdir(old)
        os.replace(path, old)
    os.replace(tmp, path)
    _fsync_dir(path.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
