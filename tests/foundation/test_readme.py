"""Every Python snippet of README.md runs as written (issue 12), each in a fresh namespace
and a fresh working folder, in the order they appear."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
SNIPPETS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def _needs_shared(code: str) -> bool:
    return "shared_data_dir" in code


@pytest.mark.parametrize("index", range(len(SNIPPETS)),
                         ids=[f"snippet{k}" for k in range(len(SNIPPETS))])
def test_readme_snippet_runs(index, tmp_path, monkeypatch):
    from tests.conftest import require_shared

    code = SNIPPETS[index]
    if _needs_shared(code):
        require_shared("md17_ethanol/ethanol_kcal_A_train_1024.npz")
    pytest.importorskip("mindspore")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GLOG_v", os.environ.get("GLOG_v", "3"))
    exec(compile(code, f"README.md snippet {index}", "exec"), {"__name__": "__readme__"})


def test_readme_has_snippets():
    assert len(SNIPPETS) >= 4
