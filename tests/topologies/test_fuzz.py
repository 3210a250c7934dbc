"""Seeded fuzz test: mutated real PDB/GRO files give a graph that saves and reloads, or a
one-line TopologyError naming the file, never another exception; the CLI answers exit 0
with a loadable graph or exit 2 with one line and nothing written.

The mutations (line deletions, column garbage, CR endings, stray ENDMDL/END/MODEL records,
huge and non-finite numbers, truncation, duplicated/swapped lines, stray bytes, wrong atom
counts) are in :mod:`tests.topologies.fuzzing`.  To run a longer campaign with other seeds::

    .venv/bin/python -c "from tests.topologies.test_fuzz import check_many; check_many(7, 2000)"
"""
from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import List

import numpy as np

import topologies as T
from cgmolct.cli import main
from topologies.graph import MAX_COORDINATE

from .fuzzing import mutants

#: Words of Python internals that a user-facing message must not carry.
_INTERNAL_WORDS = ("Traceback", "IndexError", "KeyError", "ValueError", "TypeError", "AttributeError",
                   "UnicodeDecodeError", "OSError", "out of bounds", "reshape", "invalid literal", "<class")

SEED = 20261202
N_MUTANTS = 300


def check_one(folder: Path, name: str, data: bytes) -> str:
    """Outcome of one mutated file: ``"graph"``, ``"refused"``, or a problem description."""
    path = folder / name
    path.write_bytes(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            graph = T.build_graph(path)
    except T.TopologyError as exc:
        text = str(exc)
        if not text.strip() or "\n" in text or "\r" in text:
            return f"TopologyError message is not one line: {text!r}"
        if name not in text:
            return f"TopologyError message does not name the file: {text!r}"
        internal = [w for w in _INTERNAL_WORDS if w in text]
        if internal:
            return f"TopologyError message carries internal error text {internal}: {text!r}"
        return "refused"
    except Exception as exc:  # noqa: BLE001 - this is what the test looks for
        return f"{type(exc).__name__}: {exc}"
    if not np.all(np.isfinite(graph.positions)) or np.abs(graph.positions).max() > MAX_COORDINATE:
        return "graph accepted with absurd positions"
    saved = folder / (name + ".npz")
    graph.save(saved)
    again = T.CGGraph.load(saved)
    if again.n_beads != graph.n_beads or not np.array_equal(again.positions, graph.positions):
        return "graph does not reload equal"
    return "graph"


def check_many(seed: int, n: int) -> dict:
    """Run ``n`` mutants of ``seed``; returns outcome counts and raises listing every problem."""
    problems: List[str] = []
    counts = {"graph": 0, "refused": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for name, description, data in mutants(seed, n):
            outcome = check_one(Path(tmp), name, data)
            if outcome in counts:
                counts[outcome] += 1
            else:
                problems.append(f"{name} ({description}): {outcome}")
    assert not problems, f"{len(problems)} of {n} mutants answered badly:\n" + "\n".join(problems)
    return counts


def test_fuzzed_structures_give_a_graph_or_one_line_topology_error():
    counts = check_many(SEED, N_MUTANTS)
    # the mutations must exercise both answers
    assert counts["graph"] > 30 and counts["refused"] > 30, counts


def test_fuzzed_structures_through_the_cli(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    codes = []
    for k, (name, description, data) in enumerate(mutants(SEED + 1, 16)):
        path = tmp_path / name
        path.write_bytes(data)
        out_dir = tmp_path / f"out{k}"
        out_dir.mkdir()
        out = out_dir / "g.npz"
        code = main(["graph", "build", str(path), "-o", str(out)])
        captured = capsys.readouterr()
        codes.append(code)
        if code == 0:
            assert T.CGGraph.load(out).n_beads > 0, description
            assert os.listdir(out_dir) == ["g.npz"], description
            assert captured.out.startswith("cgmolct graph: wrote"), description
        else:
            assert code == 2, (description, captured.err)
            lines = captured.err.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("cgmolct: error: ") and name in lines[0], \
                (description, captured.err)
            assert os.listdir(out_dir) == [], (description, os.listdir(out_dir))
    assert 0 in codes and 2 in codes, codes
