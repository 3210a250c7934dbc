"""``import cgmolct`` stays free of MindSpore; save/load/predict resolve lazily."""
from __future__ import annotations

import subprocess
import sys


def test_import_does_not_load_mindspore_and_exports_resolve():
    code = ("import sys, cgmolct; assert 'mindspore' not in sys.modules; "
            "import cgmolct.predict as m; "
            "assert callable(cgmolct.predict) and callable(cgmolct.save) and callable(cgmolct.load); "
            "print(cgmolct.save.__name__, cgmolct.load.__name__, m.predict.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["save_model", "load_model", "predict"]
