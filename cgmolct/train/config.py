"""Read and validate a training configuration (JSON or YAML) against :mod:`.schema`.

Every problem is a :class:`~cgmolct.errors.ConfigError` naming the file and the key:
unknown keys (with the closest known key suggested), missing required keys, wrong types,
values outside their range or choices, and data files that do not exist.
"""
from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any, Dict, Union

from ..errors import ConfigError
from .schema import _NON_NEGATIVE, _POSITIVE, SCHEMA, Key

__all__ = ["load_config", "validate_config", "read_config_file"]


def read_config_file(path: Union[str, Path]) -> Dict[str, Any]:
    """Parse a JSON (``.json``) or YAML (anything else) configuration file into a dict."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: configuration file does not exist")
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder; expected a .yaml or .json configuration file")
    text = path.read_text()
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}, line {exc.lineno}: not valid JSON ({exc.msg})") from None
    except Exception as exc:  # yaml.YAMLError and friends
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if data is None:
        raise ConfigError(f"{path}: configuration is empty")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: configuration must be a mapping of sections, got {type(data).__name__}")
    return data


def _suggest(name: str, known) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(sorted(known))}"


def _type_name(key: Key) -> str:
    types = [t for t in key.types if not (t is int and float in key.types)]  # int counts as a number
    names = [{"int": "integer", "float": "number", "str": "string", "bool": "true/false",
              "list": "list", "dict": "mapping"}[t.__name__] for t in types]
    return " or ".join(dict.fromkeys(names)) + (" or null" if key.nullable else "")


def _check_value(source: str, dotted: str, key: Key, value: Any, section: str, name: str) -> Any:
    if value is None:
        if key.nullable:
            return None
        raise ConfigError(f"{source}: key {dotted!r} must be {_type_name(key)}, got null")
    ok = isinstance(value, key.types) and not (isinstance(value, bool) and bool not in key.types)
    if not ok:
        raise ConfigError(f"{source}: key {dotted!r} must be {_type_name(key)}, "
                          f"got {type(value).__name__} {value!r:.60}")
    if float in key.types and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if key.choices is not None and value not in key.choices:
        raise ConfigError(f"{source}: key {dotted!r} is {value!r}; expected one of "
                          f"{', '.join(map(str, key.choices))}{_suggest(str(value), key.choices)}")
    if (section, name) in _POSITIVE and isinstance(value, (int, float)) and not value > 0:
        raise ConfigError(f"{source}: key {dotted!r} must be > 0, got {value!r}")
    if (section, name) in _NON_NEGATIVE and isinstance(value, (int, float)) and value < 0:
        raise ConfigError(f"{source}: key {dotted!r} must be >= 0, got {value!r}")
    return value


def validate_config(raw: Dict[str, Any], source: str = "config", base: Union[str, Path, None] = None,
                    check_files: bool = True) -> Dict[str, Any]:
    """Validate ``raw`` and return the full configuration with defaults and absolute paths.

    Parameters
    ----------
    raw : dict
        The parsed configuration.
    source : str
        Name used in error messages (the file name).
    base : path, optional
        Folder that relative paths refer to (default: the current folder).
    check_files : bool
        Check that data files exist.

    Raises
    ------
    ConfigError
        Naming the key (``section.key``) and the expected vs the actual value.
    """
    base = Path(base) if base is not None else Path.cwd()
    sections = [s for s in SCHEMA if s]
    out: Dict[str, Any] = {s: {} for s in sections}
    for name, value in raw.items():
        if name in SCHEMA[""]:
            continue
        if name not in sections:
            raise ConfigError(f"{source}: unknown key {name!r}"
                              f"{_suggest(name, sections + list(SCHEMA['']))}")
        if not isinstance(value, dict):
            raise ConfigError(f"{source}: section {name!r} must be a mapping of keys, "
                              f"got {type(value).__name__}")
        for key in value:
            if key not in SCHEMA[name]:
                raise ConfigError(f"{source}: unknown key '{name}.{key}'"
                                  f"{_suggest(key, SCHEMA[name])}")
    for section, keys in SCHEMA.items():
        given = raw if section == "" else (raw.get(section) or {})
        target = out if section == "" else out[section]
        for name, key in keys.items():
            dotted = name if section == "" else f"{section}.{name}"
            if name not in given:
                if key.required:
                    raise ConfigError(f"{source}: missing required key {dotted!r} ({key.doc})")
                target[name] = key.default
                continue
            value = _check_value(source, dotted, key, given[name], section, name)
            if key.path and value is not None:
                path = Path(os.path.expanduser(value))
                path = path if path.is_absolute() else base / path
                if check_files and not path.exists():
                    raise ConfigError(f"{source}: key {dotted!r}: data file {value!r} does not exist "
                                      f"(looked for {path})")
                value = os.path.normpath(str(path))
            target[name] = value
    out_path = Path(os.path.expanduser(out["output"]))
    out["output"] = os.path.normpath(str(out_path if out_path.is_absolute() else base / out_path))
    if out["task"] == "labels" and out["data"]["format"] == "md17":
        raise ConfigError(f"{source}: task 'labels' needs graph labels; data.format 'md17' has "
                          "energies and forces (use task energy_forces)")
    if out["task"] in ("energy_forces", "energy") and out["data"]["format"] == "qm9":
        raise ConfigError(f"{source}: task {out['task']!r} needs per-frame energies; data.format "
                          "'qm9' has graph labels (use task labels)")
    return out


def load_config(path: Union[str, Path], check_files: bool = True) -> Dict[str, Any]:
    """Read and validate a configuration file (paths relative to its folder)."""
    path = Path(path)
    raw = read_config_file(path)
    return validate_config(raw, source=str(path), base=path.resolve().parent, check_files=check_files)
