import subprocess
import sys

import cgmolct
from cgmolct import errors
from topologies import errors as terrors


def test_hierarchy():
    for cls in (errors.InputError, errors.ModelError, errors.TrainingError,
                errors.SimulationError, errors.CheckpointError, errors.ConfigError, errors.DataError):
        assert issubclass(cls, errors.CgmolctError)
    assert issubclass(errors.ConfigError, errors.InputError)
    assert errors.TopologyError is terrors.TopologyError
    for cls in (terrors.StructureFileError, terrors.MappingError, terrors.SelectionError,
                terrors.GraphFormatError, terrors.VocabularyError):
        assert issubclass(cls, terrors.TopologyError)
    assert issubclass(errors.InputError, ValueError)
    assert cgmolct.ModelError is errors.ModelError


def test_imports_stay_light():
    code = "import sys, cgmolct, topologies, cgmolct.cli; print('mindspore' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_cli_bad_input_exit_2(capsys):
    from cgmolct.cli import main
    assert main(["demo", "--only", "no-such-step"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cgmolct: error:") and "no-such-step" in err


def test_files_written_respect_the_umask(tmp_path):
    """Issue 12: temporary files start as 0600; what cgmolct writes follows the umask."""
    import os
    import stat

    from cgmolct.storage import atomic_write_text, swap_in_folder, temporary_folder

    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.json", "{}")
        tmp = temporary_folder(tmp_path / "folder")
        (tmp / "x").write_text("1")
        swap_in_folder(tmp, tmp_path / "folder")
        tmp = temporary_folder(tmp_path / "folder")
        swap_in_folder(tmp, tmp_path / "folder")  # replaces the old folder
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "folder").stat().st_mode) == 0o755
    assert not (tmp_path / "folder" / "x").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "folder"]
