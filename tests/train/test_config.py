"""Configuration validation: every error names the key/file and says what was expected."""
from __future__ import annotations

import json

import pytest

from cgmolct.errors import ConfigError
from cgmolct.train.config import load_config, validate_config
from cgmolct.train.schema import SCHEMA, describe


@pytest.fixture
def files(tmp_path):
    for name in ("train.npz", "valid.npz"):
        (tmp_path / name).write_bytes(b"placeholder")
    return tmp_path


def base(**over):
    cfg = {"task": "energy_forces", "output": "run",
           "data": {"format": "md17", "train": "train.npz", "valid": "valid.npz"},
           "model": {"representation": "EA1"}}
    for key, value in over.items():
        section, _, name = key.partition("__")
        if name:
            cfg.setdefault(section, {})[name] = value
        else:
            cfg[section] = value
    return cfg


def test_valid_config_gets_defaults_and_absolute_paths(files):
    cfg = validate_config(base(), "c.yaml", files)
    assert cfg["training"]["batch_size"] == SCHEMA["training"]["batch_size"].default
    assert cfg["optimizer"]["lr"] == 1e-3 and cfg["loss"]["force_weight"] == 0.99
    assert cfg["data"]["train"] == str(files / "train.npz")
    assert cfg["output"] == str(files / "run")
    assert isinstance(validate_config(base(optimizer__lr=1), "c", files)["optimizer"]["lr"], float)


@pytest.mark.parametrize("cfg, message", [
    (base(training__bach_size=4), "unknown key 'training.bach_size'; did you mean 'batch_size'?"),
    (base(trainig={"batch_size": 4}), "unknown key 'trainig'; did you mean 'training'?"),
    (base(model__representaton="EA1"), "did you mean 'representation'?"),
    (base(training__batch_size="32"), "key 'training.batch_size' must be integer, got str"),
    (base(training__batch_size=0), "key 'training.batch_size' must be > 0"),
    (base(training__progress=1), "key 'training.progress' must be true/false, got int"),
    (base(optimizer__lr=True), "key 'optimizer.lr' must be number, got bool"),
    (base(optimizer__lr=-1.0), "key 'optimizer.lr' must be > 0"),
    (base(optimizer__schedule="cosin"), "expected one of constant, warmup_inverse_sqrt, cosine, plateau; did you mean 'cosine'?"),
    (base(optimizer__name="sgd"), "key 'optimizer.name' is 'sgd'; expected one of adam, adamw"),
    (base(loss__energy_weight=-0.1), "key 'loss.energy_weight' must be >= 0"),
    (base(task="force"), "key 'task' is 'force'"),
    (base(training=[1, 2]), "section 'training' must be a mapping"),
    (base(data__train="missing.npz"), "key 'data.train': data file 'missing.npz' does not exist"),
    (base(data__format="qm9"), "task 'energy_forces' needs per-frame energies"),
    (base(task="labels"), "task 'labels' needs graph labels"),
    (base(training__max_time_s=None, optimizer__lr=None), "key 'optimizer.lr' must be number, got null"),
])
def test_config_errors(files, cfg, message):
    with pytest.raises(ConfigError) as info:
        validate_config(cfg, "c.yaml", files)
    assert message in str(info.value)
    assert str(info.value).startswith("c.yaml: ")


@pytest.mark.parametrize("missing", ["task", "output", "data", "model"])
def test_missing_required(files, missing):
    cfg = base()
    del cfg[missing]
    with pytest.raises(ConfigError, match="missing required key"):
        validate_config(cfg, "c.yaml", files)


def test_missing_required_nested(files):
    cfg = base()
    del cfg["data"]["valid"]
    with pytest.raises(ConfigError, match="give data.valid, or data.split"):
        validate_config(cfg, "c.yaml", files)


def test_files_yaml_json_and_parse_errors(files):
    (files / "c.json").write_text(json.dumps(base()))
    assert load_config(files / "c.json")["task"] == "energy_forces"
    (files / "c.yaml").write_text("task: energy_forces\noutput: run\ndata: {format: md17, "
                                  "train: train.npz, valid: valid.npz}\nmodel: {representation: EA1}\n")
    assert load_config(files / "c.yaml")["data"]["valid"] == str(files / "valid.npz")
    (files / "bad.yaml").write_text("task: [unclosed\n")
    with pytest.raises(ConfigError, match=r"bad.yaml, line \d+: not valid YAML"):
        load_config(files / "bad.yaml")
    (files / "bad.json").write_text("{\"task\": ,}")
    with pytest.raises(ConfigError, match=r"bad.json, line 1: not valid JSON"):
        load_config(files / "bad.json")
    (files / "empty.yaml").write_text("")
    with pytest.raises(ConfigError, match="configuration is empty"):
        load_config(files / "empty.yaml")
    (files / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(files / "list.yaml")
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(files / "nope.yaml")


def test_describe_lists_every_key():
    text = describe()
    for section, keys in SCHEMA.items():
        for name in keys:
            assert f"  {name} " in text


def test_model_and_output_mistakes_are_named(tmp_path):
    """Issue 12: dim 0, hidden sizes of 0, labels a task ignores, an output that is a file."""
    from cgmolct.errors import ConfigError
    from cgmolct.train.config import validate_config

    data = tmp_path / "d.npz"
    data.write_bytes(b"")
    base = {"task": "energy_forces", "output": str(tmp_path / "run"),
            "data": {"format": "md17", "train": str(data), "valid": str(data)},
            "model": {"representation": "EA1"}}

    def check(pattern, **sections):
        raw = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
        for section, values in sections.items():
            if isinstance(values, dict):
                raw[section] = {**raw.get(section, {}), **values}
            else:
                raw[section] = values
        with pytest.raises(ConfigError, match=pattern):
            validate_config(raw, "cfg.yaml")

    check(r"cfg.yaml: key 'model.dim' must be > 0, got 0", model={"dim": 0})
    check(r"cfg.yaml: key 'model.dim' must be > 0, got -8", model={"dim": -8})
    check(r"key 'model.hidden' must list positive layer sizes", model={"hidden": [64, 0]})
    check(r"key 'data.labels' is only read by task 'labels'", data={"labels": ["mu"]})
    (tmp_path / "afile").write_text("x")
    check(r"key 'output': .* is an existing file", output=str(tmp_path / "afile"))


def test_cli_names_config_file_for_model_errors(tmp_path, capsys):
    """A dim that the heads do not divide is a configuration error (exit 2) naming the file."""
    import json

    from cgmolct.cli import main

    pytest.importorskip("mindspore")
    md17 = pytest.importorskip("cgmolct.data.shared").shared_data_dir() / "md17_ethanol"
    if not (md17 / "ethanol_kcal_A_valid_128.npz").exists():
        pytest.skip("needs ../shared/data")
    cfg = {"task": "energy_forces", "output": str(tmp_path / "run"),
           "data": {"format": "md17", "train": str(md17 / "ethanol_kcal_A_valid_128.npz"),
                    "valid": str(md17 / "ethanol_kcal_A_valid_128.npz"), "limit": 8},
           "model": {"representation": "EA1", "dim": 30},
           "training": {"batch_size": 4, "max_epochs": 1, "progress": False}}
    path = tmp_path / "bad_dim.json"
    path.write_text(json.dumps(cfg))
    assert main(["train", str(path)]) == 2
    err = capsys.readouterr().err
    assert "bad_dim.json" in err and "dim" in err and len(err.strip().splitlines()) == 1
