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
