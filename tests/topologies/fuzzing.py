"""Seeded mutations of real structure files (the fuzz test and its campaign script).

:func:`mutants` yields ``(name, description, bytes)`` for mutated copies of small PDB/GRO
files of MDAnalysisTests (and the Martini fixture): line deletions, column garbage, CR
endings, ENDMDL/END/MODEL records out of place, huge or non-finite numbers, truncation,
duplicated, repeated and swapped lines, stray bytes, shifted columns, changed record names,
lines cut at a column.  Deterministic for a given seed.
"""
from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Iterator, List, Tuple

from MDAnalysisTests import datafiles as D

_DATA = Path(D.PDB).parent
BASES = ["A6PA6_alpha.pdb", "adk_open_10res.pdb", "5a7u.pdb", "nucl_res.pdb",
         "water_methane_acetic-acid_ammonia.pdb", "unordered_res.pdb", "CONECT2TER.pdb",
         "residwrap.gro", "grovels.gro", "sameresid_diffresname.gro"]
_HUGE = ["1e+38", "99999999", "-1.0e8", "nan", "inf", "-inf", "123456.7", "1e39", "9e99", "-0.0"]
_GARBAGE = "abcXYZ0123456789 -+.eE*#!?/\\\t,;:'\"~"


def base_files() -> List[Tuple[str, bytes]]:
    """(name, content) of the files mutated: small real files plus a 3-model cut of an NMR ensemble."""
    out = [(name, (_DATA / name).read_bytes()) for name in BASES]
    lines = Path(D.PDB_multiframe).read_text().splitlines(keepends=True)
    ends = [k for k, line in enumerate(lines) if line.startswith("ENDMDL")]
    out.append(("nmr3.pdb", "".join(lines[:ends[2] + 1] + ["END\n"]).encode()))
    martini = Path(__file__).parent / "data" / "martini_peptides.gro"
    out.append(("martini.gro", martini.read_bytes()))
    return out


def _mutate(rng: random.Random, name: str, data: bytes) -> Tuple[str, bytes]:
    gro = name.endswith(".gro")
    lines = data.split(b"\n")
    kind = rng.choice(["delete", "garbage", "cr", "endmdl", "huge", "truncate", "duplicate", "swap",
                       "blank", "byte", "count", "model", "shift", "record", "columns", "block"])
    k = rng.randrange(len(lines))
    if kind == "shift":  # a character inserted: every later column of the line moves
        a = rng.randrange(max(len(lines[k]), 1))
        lines[k] = lines[k][:a] + rng.choice([b" ", b"\t", b"0", b"-"]) + lines[k][a:]
        return f"character inserted in line {k + 1} column {a + 1}", b"\n".join(lines)
    if kind == "record":  # a record name changed
        new = rng.choice([b"ATOM  ", b"HETATM", b"ATOX  ", b"TER   ", b"REMARK", b"MODEL ", b"ENDMDL"])
        lines[k] = new + lines[k][6:]
        return f"record of line {k + 1} set to {new.strip().decode()}", b"\n".join(lines)
    if kind == "columns":  # every line cut at one column
        col = rng.choice([20, 27, 38, 46, 54, 66])
        return f"every line cut at column {col}", b"\n".join(l[:col] for l in lines)
    if kind == "block":  # a run of lines repeated
        n = rng.randint(2, 40)
        lines[k:k] = lines[k:k + n]
        return f"lines {k + 1}-{k + n} repeated", b"\n".join(lines)
    if kind == "delete":
        n = rng.randint(1, 3)
        del lines[k:k + n]
        return f"delete lines {k + 1}-{k + n}", b"\n".join(lines)
    if kind == "garbage":
        line = lines[k]
        a = rng.randrange(max(len(line), 1))
        b = a + rng.randint(1, 8)
        junk = "".join(rng.choice(_GARBAGE) for _ in range(b - a)).encode()
        lines[k] = line[:a] + junk + line[b:]
        return f"garbage in line {k + 1} columns {a + 1}-{b}", b"\n".join(lines)
    if kind == "cr":
        sep = rng.choice([b"\r", b"\r\n", b"\n\r"])
        return f"line endings {sep!r}", sep.join(lines)
    if kind == "endmdl":
        record = rng.choice([b"ENDMDL", b"END", b"ENDMDL", b"TER"])
        lines.insert(k, record)
        return f"{record.decode()} inserted at line {k + 1}", b"\n".join(lines)
    if kind == "model":
        lines.insert(k, b"MODEL        %d" % rng.randint(1, 9))
        return f"MODEL inserted at line {k + 1}", b"\n".join(lines)
    if kind == "huge":
        atoms = [j for j, l in enumerate(lines) if l.startswith((b"ATOM", b"HETATM"))] if not gro else \
            list(range(2, max(len(lines) - 2, 2)))
        j = rng.choice(atoms) if atoms else k
        start = (20 if gro else 30) + 8 * rng.randrange(3)
        value = rng.choice(_HUGE).encode().rjust(8)[:8]
        line = lines[j].ljust(start + 8)
        lines[j] = line[:start] + value + line[start + 8:]
        return f"number {value.strip().decode()} at line {j + 1} column {start + 1}", b"\n".join(lines)
    if kind == "truncate":
        cut = rng.randrange(1, max(len(data), 2))
        return f"truncated at byte {cut}", data[:cut]
    if kind == "duplicate":
        lines.insert(k, lines[k])
        return f"line {k + 1} duplicated", b"\n".join(lines)
    if kind == "swap":
        j = rng.randrange(len(lines))
        lines[k], lines[j] = lines[j], lines[k]
        return f"lines {k + 1} and {j + 1} swapped", b"\n".join(lines)
    if kind == "blank":
        lines.insert(k, b"")
        return f"blank line at {k + 1}", b"\n".join(lines)
    if kind == "byte":
        pos = rng.randrange(max(len(data), 1))
        byte = bytes([rng.choice([0, 7, 27, 0xff, 0xc3, 0x80])])
        return f"byte {byte!r} at {pos}", data[:pos] + byte + data[pos + 1:]
    # count: the GRO atom count (or a PDB line) rewritten
    j = 1 if gro and len(lines) > 1 else k
    lines[j] = str(rng.choice([0, -1, 1, 10 ** 9, rng.randint(0, 200)])).rjust(5).encode()
    return f"line {j + 1} replaced by a count", b"\n".join(lines)


def mutants(seed: int, n: int) -> Iterator[Tuple[str, str, bytes]]:
    """``n`` mutated files: (file name, description, content); 1-3 mutations each."""
    rng = random.Random(seed)
    bases = base_files()
    for i in range(n):
        name, data = bases[i % len(bases)]
        steps = []
        for _ in range(rng.choices([1, 2, 3], [6, 3, 1])[0]):
            what, data = _mutate(rng, name, data)
            steps.append(what)
        stem, ext = os.path.splitext(name)
        yield f"m{i:04d}_{stem}{ext}", f"{name}: " + "; ".join(steps), data
