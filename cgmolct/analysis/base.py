"""The base of the analysis runners (MDAnalysis style): ``Runner(...).run()``, results on ``.results``.

Unlike MDAnalysis, the frames are numpy arrays already in memory (or memory-mapped), so a
runner processes them in vectorised chunks instead of one frame at a time.
"""
from __future__ import annotations

from typing import Any, Optional

__all__ = ["Results", "AnalysisBase"]


class Results(dict):
    """A dict whose keys are also attributes (``results.js`` == ``results["js"]``)."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"no result {key!r}; results: {sorted(self)}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value


class AnalysisBase:
    """Base of the runners: subclasses implement :meth:`_run` (fill ``self.results``)."""

    def __init__(self) -> None:
        self.results = Results()
        self._ran = False

    def run(self, start: Optional[int] = None, stop: Optional[int] = None,
            step: Optional[int] = None) -> "AnalysisBase":
        """Analyse frames ``start:stop:step`` (all by default); returns self."""
        self.results = Results()
        self._run(slice(start, stop, step))
        self._ran = True
        return self

    def _run(self, frames: slice) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
