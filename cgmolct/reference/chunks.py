"""The on-disk layout of a reference run: settings, chunks of frames, OpenMM checkpoints.

A run folder holds

- ``run.json``: format ``cgmolct-reference-run``, ``format_version`` 1 (the header of
  :func:`cgmolct.storage.make_header`; files with the older key ``version`` still load):
  the settings and provenance
  (force-field files, temperature, friction, time step, seed, save interval, platform,
  OpenMM version, units);
- ``system.pdb``: the structure after minimisation (the topology of every frame);
- ``chunks/chunk_NNNNNN.npz``: ``positions`` (frames, atoms, 3) float32 Å, ``forces``
  float32 kcal/mol/Å, ``energies`` (frames,) float64 kcal/mol (potential), ``steps``
  (frames,) int64 (integrator step of each frame, equilibration excluded);
- ``state/checkpoint_NNNNNN.chk`` (OpenMM binary checkpoint: exact continuation on the same
  platform) and ``state/state_NNNNNN.xml`` (portable ``State`` XML) taken right after chunk
  NNNNNN - 1;
- ``reference.npz``: the assembled all-atom graph (when the run is complete);
- ``progress.json``: the number of complete chunks and the step reached; written last, so
  chunk files beyond it (a crash between the two writes) are ignored and rewritten.

Every file is written atomically (temporary file + ``os.replace``).
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Dict, List

import numpy as np

from ..errors import DataError
from ..storage import (atomic_write_bytes, atomic_write_text, make_header, read_json_record,
                       strip_identity, write_json_record)

__all__ = ["RUN_FORMAT", "RUN_VERSION", "RUN_SUPPORTED_VERSIONS", "GRAPH_NAME", "RunFolder"]

RUN_FORMAT = "cgmolct-reference-run"
RUN_VERSION = 1
#: Versions of ``run.json`` / ``progress.json`` this cgmolct reads.
RUN_SUPPORTED_VERSIONS = (1,)
#: File name of the assembled all-atom graph inside a run folder.
GRAPH_NAME = "reference.npz"
_CHUNK_KEYS = ("positions", "forces", "energies", "steps")


class RunFolder:
    """Reading and writing the files of one reference run folder (see the module docstring)."""

    def __init__(self, folder):
        self.folder = Path(folder)

    # ------------------------------------------------------------------ paths
    @property
    def settings_file(self) -> Path:
        return self.folder / "run.json"

    @property
    def progress_file(self) -> Path:
        return self.folder / "progress.json"

    @property
    def graph_file(self) -> Path:
        return self.folder / GRAPH_NAME

    @property
    def pdb_file(self) -> Path:
        return self.folder / "system.pdb"

    def chunk_file(self, index: int) -> Path:
        return self.folder / "chunks" / f"chunk_{index:06d}.npz"

    def checkpoint_file(self, n_chunks: int) -> Path:
        return self.folder / "state" / f"checkpoint_{n_chunks:06d}.chk"

    def state_file(self, n_chunks: int) -> Path:
        return self.folder / "state" / f"state_{n_chunks:06d}.xml"

    # ------------------------------------------------------------------ JSON
    @staticmethod
    def _read_json(path: Path) -> Dict[str, Any]:
        return read_json_record(path, RUN_FORMAT, RUN_SUPPORTED_VERSIONS, DataError,
                                what="cgmolct reference-run file")

    def _write_json(self, path: Path, data: Dict[str, Any]) -> None:
        """``data`` under the header (its own ``cgmolct_version``/``units`` are kept)."""
        record = make_header(RUN_FORMAT, RUN_VERSION)
        record.update(strip_identity(data))
        write_json_record(path, record, sort_keys=True, allow_nan=False)

    def read_settings(self) -> Dict[str, Any]:
        return self._read_json(self.settings_file)

    def write_settings(self, settings: Dict[str, Any]) -> None:
        self._write_json(self.settings_file, settings)

    def read_progress(self) -> Dict[str, Any]:
        if not self.progress_file.exists():
            return {"n_chunks": 0, "step": 0, "n_frames": 0}
        return self._read_json(self.progress_file)

    def write_progress(self, n_chunks: int, step: int, n_frames: int, **extra: Any) -> None:
        """Record ``n_chunks`` complete chunks (``extra``: speed, load average ...)."""
        self._write_json(self.progress_file, {**extra, "n_chunks": int(n_chunks), "step": int(step),
                                              "n_frames": int(n_frames)})

    # ------------------------------------------------------------------ chunks
    def write_chunk(self, index: int, positions: np.ndarray, forces: np.ndarray,
                    energies: np.ndarray, steps: np.ndarray) -> None:
        """Write chunk ``index`` atomically (Å, kcal/mol/Å, kcal/mol, steps)."""
        buf = io.BytesIO()
        np.savez(buf, positions=np.asarray(positions, np.float32), forces=np.asarray(forces, np.float32),
                 energies=np.asarray(energies, np.float64), steps=np.asarray(steps, np.int64))
        atomic_write_bytes(self.chunk_file(index), buf.getvalue())

    def read_chunk(self, index: int) -> Dict[str, np.ndarray]:
        path = self.chunk_file(index)
        try:
            with np.load(path, allow_pickle=False) as data:
                out = {k: data[k] for k in _CHUNK_KEYS}
        except (OSError, KeyError, ValueError) as exc:
            raise DataError(f"{path}: unreadable reference chunk ({exc})") from None
        return out

    def read_chunks(self, n_chunks: int) -> Dict[str, np.ndarray]:
        """The first ``n_chunks`` chunks concatenated along frames."""
        if n_chunks == 0:
            raise DataError(f"{self.folder}: the reference run has no complete chunk yet")
        parts: List[Dict[str, np.ndarray]] = [self.read_chunk(i) for i in range(n_chunks)]
        return {k: np.concatenate([p[k] for p in parts]) for k in _CHUNK_KEYS}

    def remove_stale(self, n_chunks: int) -> None:
        """Delete chunks and states beyond ``n_chunks`` (left by a crash mid-write)."""
        for folder, prefix in (("chunks", "chunk_"), ("state", "checkpoint_"), ("state", "state_")):
            for path in sorted((self.folder / folder).glob(f"{prefix}*")):
                try:
                    number = int(path.name[len(prefix):].split(".")[0])
                except ValueError:
                    continue
                stale = number >= n_chunks if folder == "chunks" else number != n_chunks
                if stale:
                    path.unlink()

    def write_state(self, n_chunks: int, checkpoint: bytes, state_xml: str) -> None:
        atomic_write_bytes(self.checkpoint_file(n_chunks), checkpoint)
        atomic_write_text(self.state_file(n_chunks), state_xml)
