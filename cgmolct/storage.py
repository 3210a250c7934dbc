"""The one way ``cgmolct`` writes files: atomically, with the user's umask.

Every file (checkpoints, logs, splits, priors, JSON headers) is written to a temporary file in
the destination folder, flushed and fsync'ed, given the permissions the umask allows (a
temporary file starts as 0600) and only then ``os.replace``-d over the destination; the folder
is fsync'ed too.  Folders (saved models, data set folders, ``best_model/``) are built under a
temporary name beside the destination and swapped in by :func:`swap_in_folder`.  A crash or
SIGKILL at any moment leaves either the old file/folder or the new one, never half of one.

Every file also starts with one header convention (:func:`make_header`)::

    {"format": "cgmolct-<kind>", "format_version": 1, "cgmolct_version": "0.1.0", "units": {...}}

JSON files are written by :func:`write_json_record` and read by :func:`read_json_record`;
``.npz`` files (arrays + the header as a 0-d string entry ``meta``) by
:func:`write_npz_record` / :func:`read_npz_record`; folders (saved models, data sets) write
their header JSON inside the temporary folder and check it with :func:`check_header`.
Readers accept the legacy key ``version`` when ``format_version`` is absent, so files
written by cgmolct 0.1.0 keep loading.  Loading never unpickles (``allow_pickle=False``).

(``topologies`` has the same discipline and the same two header keys in
:mod:`topologies.storage`; it does not import ``cgmolct``.)
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Tuple, Type, Union

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text", "swap_in_folder",
           "temporary_folder", "umask_mode", "make_header", "check_header", "header_version",
           "strip_identity", "write_json_record", "read_json_record", "write_npz_record",
           "read_npz_record", "FORMAT_KEY", "VERSION_KEY", "LEGACY_VERSION_KEY", "IDENTITY_KEYS"]

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


# ---------------------------------------------------------------------------- headers
#: The key naming a file's format (``"cgmolct-model"``, ``"cgmolct-priors"``, ...).
FORMAT_KEY = "format"
#: The key holding the integer version of that format.
VERSION_KEY = "format_version"
#: Files written before the headers were unified (cgmolct 0.1.0) may hold ``version``
#: instead of ``format_version``; :func:`check_header` reads it when ``format_version`` is absent.
LEGACY_VERSION_KEY = "version"
#: Keys that identify a file's format; :func:`strip_identity` removes them.
IDENTITY_KEYS = (FORMAT_KEY, VERSION_KEY, LEGACY_VERSION_KEY)


def make_header(kind: str, version: int, /, *, units: Optional[Mapping[str, str]] = None,
                **meta: Any) -> Dict[str, Any]:
    """The JSON header every ``cgmolct`` file starts with.

    Parameters
    ----------
    kind : str
        Format name, e.g. ``"cgmolct-training-checkpoint"``.
    version : int
        Format version (bumped when the layout changes).
    units : mapping, optional
        Units of the stored quantities (e.g. :data:`cgmolct.units.UNITS`); only written when
        given.
    **meta
        Further entries of the header (they must not repeat the identity keys).

    Returns
    -------
    dict
        ``{"format": kind, "format_version": version, "cgmolct_version": ..., ["units": ...,]
        **meta}``.
    """
    from ._version import __version__

    clash = [k for k in meta if k in IDENTITY_KEYS]
    if clash:
        raise ValueError(f"make_header: {clash} are set by make_header itself")
    if isinstance(version, bool) or int(version) != version:
        raise ValueError(f"make_header: version must be an integer, got {version!r}")
    header: Dict[str, Any] = {FORMAT_KEY: str(kind), VERSION_KEY: int(version),
                              "cgmolct_version": __version__}
    if units is not None:
        header["units"] = dict(units)
    header.update(meta)
    return header


def strip_identity(meta: Mapping[str, Any]) -> Dict[str, Any]:
    """``meta`` without ``format``, ``format_version`` and the legacy ``version`` key.

    Use it before writing a record read from an older file back under a new header.
    """
    return {k: v for k, v in meta.items() if k not in IDENTITY_KEYS}


def header_version(meta: Mapping[str, Any]) -> Any:
    """The format version stored in ``meta``: ``format_version``, else the legacy ``version``."""
    if VERSION_KEY in meta:
        return meta[VERSION_KEY]
    return meta.get(LEGACY_VERSION_KEY)


def check_header(meta: Any, path: PathLike, kind: str, supported: Iterable[int],
                 error_cls: Type[Exception], *, what: Optional[str] = None) -> int:
    """Check that ``meta`` (the parsed JSON header of ``path``) is ``kind`` in a version we read.

    Parameters
    ----------
    meta : object
        The parsed header (anything JSON gives; a dict is expected).
    path : path-like
        The file, named in the error messages.
    kind : str
        Expected format name.
    supported : iterable of int
        Format versions this cgmolct reads.
    error_cls : type
        The library exception to raise (:class:`~cgmolct.errors.CheckpointError`,
        :class:`~cgmolct.errors.DataError`, :class:`~cgmolct.errors.InputError`).
    what : str, optional
        How to call such a file in messages (default ``"<kind> file"``).

    Returns
    -------
    int
        The version of the file.  ``format_version`` is read, or the legacy key ``version``
        when ``format_version`` is absent (files written by cgmolct 0.1.0); a string of
        digits counts as that integer.

    Raises
    ------
    error_cls
        ``meta`` is not a JSON object, names another format, or a version outside
        ``supported``; the message names the file, the format found and the versions read.
    """
    from ._version import __version__

    supported = tuple(int(v) for v in supported)
    what = what or f"{kind} file"
    if not isinstance(meta, dict):
        raise error_cls(f"{path}: not a {what} (its header is a JSON {type(meta).__name__}, "
                        f"not an object with {FORMAT_KEY!r} and {VERSION_KEY!r})")
    found = meta.get(FORMAT_KEY)
    if found != kind:
        raise error_cls(f"{path}: not a {what} (format {found!r}; expected {kind!r})")
    raw = header_version(meta)
    version: Any = raw
    if isinstance(raw, str) and raw.strip().isdigit():
        version = int(raw)
    if isinstance(version, bool) or not isinstance(version, int) or version not in supported:
        reads = ", ".join(str(v) for v in supported)
        newer = isinstance(version, int) and not isinstance(version, bool) and version > max(supported)
        raise error_cls(f"{path}: {kind} format version {raw!r} is not supported; cgmolct "
                        f"{__version__} reads version{'s' if len(supported) > 1 else ''} {reads}"
                        + ("; upgrade cgmolct to read it" if newer else ""))
    return version


def write_json_record(path: PathLike, record: Mapping[str, Any], **dumps: Any) -> None:
    """Write ``record`` (a header from :func:`make_header` plus content) as JSON, atomically.

    ``dumps`` are passed to :func:`json.dumps` (default ``indent=1``).
    """
    _require_identity(record, path)
    dumps.setdefault("indent", 1)
    atomic_write_text(path, json.dumps(record, **dumps) + "\n")


def read_json_record(path: PathLike, kind: str, supported: Iterable[int],
                     error_cls: Type[Exception], *, what: Optional[str] = None,
                     file_in_folder: Optional[str] = None) -> Dict[str, Any]:
    """Read a JSON file written by :func:`write_json_record` and check its header.

    ``file_in_folder``: when ``path`` is a folder, read this file inside it (an output
    folder's ``summary.json``, ``clusters.json`` ...).

    Raises
    ------
    error_cls
        Missing, unreadable, corrupt or truncated file, or a header rejected by
        :func:`check_header`.
    """
    path = Path(path)
    if file_in_folder is not None and path.is_dir():
        path = path / file_in_folder
    if not path.is_file():
        raise error_cls(f"{path}: file does not exist" if not path.exists()
                        else f"{path}: is a folder, not a {what or kind + ' file'}")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise error_cls(f"{path}: corrupt or truncated JSON ({exc})") from None
    check_header(record, path, kind, supported, error_cls, what=what)
    return record


def write_npz_record(path: PathLike, header: Mapping[str, Any], arrays: Mapping[str, Any], *,
                     meta_key: str = "meta", compressed: bool = False) -> None:
    """Write ``arrays`` and the JSON ``header`` into one ``.npz`` file, atomically.

    Parameters
    ----------
    path : path-like
        Destination; the previous file stays readable until the new one is complete.
    header : mapping
        JSON-serialisable header (from :func:`make_header`), stored as the 0-d unicode array
        ``meta_key``.
    arrays : mapping of str -> array_like
        The arrays (no object arrays: they could only be read back by unpickling).
    meta_key : str
        Name of the header entry (``"meta"``; contact files use ``"__json__"``).
    compressed : bool
        ``np.savez_compressed`` instead of ``np.savez``.
    """
    import numpy as np

    _require_identity(header, path)
    if meta_key in arrays:
        raise ValueError(f"{path}: array name {meta_key!r} is reserved for the header")
    entries = {meta_key: np.array(json.dumps(dict(header)))}
    for name, value in arrays.items():
        arr = np.asarray(value)
        if arr.dtype.kind == "O":
            raise ValueError(f"{path}: array {name!r} holds Python objects; it cannot be saved "
                             "without pickle")
        entries[name] = arr
    save = np.savez_compressed if compressed else np.savez
    atomic_write(path, lambda handle: save(handle, **entries))


def read_npz_record(path: PathLike, kind: str, supported: Iterable[int],
                    error_cls: Type[Exception], *, meta_key: str = "meta",
                    what: Optional[str] = None, noun: str = "file", hint: str = ""
                    ) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """Read an ``.npz`` file written by :func:`write_npz_record` (never unpickling).

    Parameters
    ----------
    path : path-like
    kind, supported, error_cls, what
        As in :func:`check_header`.
    meta_key : str
        Name of the header entry.
    noun, hint : str
        The message about a corrupt or truncated file reads ``"<path>: <noun> is corrupt or
        truncated (...); <hint>"`` (the hint: the way out, e.g. ``"resume from another
        checkpoint"``).

    Returns
    -------
    meta, arrays
        The header dict and every other entry by name (loaded into memory).

    Raises
    ------
    error_cls
        Missing file, a folder, a corrupt or truncated archive, no header entry, or a
        header rejected by :func:`check_header`.
    """
    import zipfile

    import numpy as np

    path = Path(path)
    what = what or f"{kind} file"
    if not path.exists():
        raise error_cls(f"{path}: file does not exist")
    if path.is_dir():
        raise error_cls(f"{path}: is a folder, not a {what} (.npz)")
    tail = f"; {hint}" if hint else ""
    try:
        with np.load(path, allow_pickle=False) as data:
            if meta_key not in data.files:
                raise error_cls(f"{path}: not a {what} (no {meta_key!r} header entry)")
            text = str(data[meta_key])
            arrays = {k: data[k] for k in data.files if k != meta_key}
    except error_cls:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        raise error_cls(f"{path}: {noun} is corrupt or truncated ({type(exc).__name__}: {exc})"
                        f"{tail}") from None
    try:
        meta = json.loads(text)
    except ValueError as exc:
        raise error_cls(f"{path}: {noun} is corrupt or truncated (its {meta_key!r} header is "
                        f"not JSON: {exc}){tail}") from None
    check_header(meta, path, kind, supported, error_cls, what=what)
    return meta, arrays


def _require_identity(header: Mapping[str, Any], path: PathLike) -> None:
    if not isinstance(header, Mapping) or FORMAT_KEY not in header or VERSION_KEY not in header:
        raise ValueError(f"{path}: a cgmolct file header needs {FORMAT_KEY!r} and "
                         f"{VERSION_KEY!r} (use cgmolct.storage.make_header)")
