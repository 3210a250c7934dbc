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
from typing import Any, Dict, Optional, Union

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


def _resolve_paths(source: str, dotted: str, value, base: Path, check_files: bool):
    """Absolute, normalised path(s) of a path key; every file must exist."""
    many = isinstance(value, list)
    items = value if many else [value]
    if many and not items:
        raise ConfigError(f"{source}: key {dotted!r} is an empty list; give at least one path")
    out = []
    for item in items:
        if not isinstance(item, str):
            raise ConfigError(f"{source}: key {dotted!r} must list paths (strings), got "
                              f"{type(item).__name__} {item!r:.60}")
        path = Path(os.path.expanduser(item))
        path = path if path.is_absolute() else base / path
        if check_files and not path.exists():
            raise ConfigError(f"{source}: key {dotted!r}: data file {item!r} does not exist "
                              f"(looked for {path})")
        out.append(os.path.normpath(str(path)))
    return out if many else out[0]


def _check_split(source: str, data: Dict[str, Any], base: Path, check_files: bool) -> None:
    """``data.split`` (fractions/counts + seed, or a split file) versus ``data.valid``."""
    split = data["split"]
    if split is None:
        if data["valid"] is None:
            raise ConfigError(f"{source}: give data.valid, or data.split to take the validation "
                              "frames from data.train")
        if isinstance(data["train"], list) and data["format"] != "graph":
            raise ConfigError(f"{source}: key 'data.train' is a list; only format 'graph' "
                              "takes several files")
        return
    if data["valid"] is not None:
        raise ConfigError(f"{source}: data.split and data.valid both given; use one of them")
    if isinstance(split, str):
        data["split"] = _resolve_paths(source, "data.split", split, base, check_files)
        return
    unknown = sorted(set(split) - {"valid", "test", "seed"})
    if unknown:
        raise ConfigError(f"{source}: unknown key 'data.split.{unknown[0]}'; data.split takes "
                          "valid, test (fractions < 1 or frame counts) and seed")
    for name in ("valid", "test"):
        v = split.get(name, 0)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise ConfigError(f"{source}: key 'data.split.{name}' must be a fraction or a count "
                              f">= 0, got {v!r}")
    if not split.get("valid"):
        raise ConfigError(f"{source}: key 'data.split.valid' must be > 0 (validation frames)")
    seed = split.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"{source}: key 'data.split.seed' must be an integer, got {seed!r}")


def _check_model(source: str, out: Dict[str, Any]) -> None:
    """Cross-key checks that the per-key schema cannot express."""
    hidden = out["model"]["hidden"]
    if hidden is not None:
        bad = [h for h in hidden if isinstance(h, bool) or not isinstance(h, int) or h <= 0]
        if bad or not hidden:
            raise ConfigError(f"{source}: key 'model.hidden' must list positive layer sizes, "
                              f"got {hidden!r}")
    if out["data"]["labels"] is not None and out["task"] != "labels":
        raise ConfigError(f"{source}: key 'data.labels' is only read by task 'labels'; "
                          f"task {out['task']!r} would ignore it (remove it)")
    output = Path(os.path.expanduser(out["output"]))
    if output.exists() and not output.is_dir():
        raise ConfigError(f"{source}: key 'output': {out['output']!r} is an existing file; "
                          "the output must be a folder")


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
                value = _resolve_paths(source, dotted, value, base, check_files)
            target[name] = value
    _check_split(source, out["data"], base, check_files)
    out_path = Path(os.path.expanduser(out["output"]))
    out["output"] = os.path.normpath(str(out_path if out_path.is_absolute() else base / out_path))
    _check_model(source, out)
    if out["task"] == "labels" and out["data"]["format"] == "md17":
        raise ConfigError(f"{source}: task 'labels' needs graph labels; data.format 'md17' has "
                          "energies and forces (use task energy_forces)")
    if out["task"] in ("energy_forces", "forces", "energy") and out["data"]["format"] == "qm9":
        raise ConfigError(f"{source}: task {out['task']!r} needs per-frame energies; data.format "
                          "'qm9' has graph labels (use task labels)")
    return out


def load_config(path: Union[str, Path], check_files: bool = True,
                overrides: Optional[Dict[str, Dict[str, Any]]] = None) -> Dict[str, Any]:
    """Read and validate a configuration file (paths relative to its folder).

    ``overrides`` (section → key → value, e.g. from command-line options) replace the file's
    values before validation, so they are checked like the file's own keys.
    """
    path = Path(path)
    raw = read_config_file(path)
    for section, values in (overrides or {}).items():
        if values:
            if not isinstance(raw.get(section, {}), dict):
                raise ConfigError(f"{path}: section {section!r} must be a mapping of keys")
            raw[section] = {**(raw.get(section) or {}), **values}
    return validate_config(raw, source=str(path), base=path.resolve().parent, check_files=check_files)
