"""One header convention for every on-disk format (issue 8).

Every file cgmolct writes starts with ``{"format": ..., "format_version": N, ...}``
(:func:`cgmolct.storage.make_header`); every reader goes through
:func:`cgmolct.storage.check_header`, which also reads the legacy key ``version`` of files
written by cgmolct 0.1.0.  The last tests load every committed file with a header through
today's readers (continuity).  No MindSpore graph is compiled here.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from cgmolct.errors import CheckpointError, DataError, InputError
from cgmolct.storage import (check_header, make_header, read_json_record, read_npz_record,
                             strip_identity, write_json_record, write_npz_record)

ROOT = Path(__file__).resolve().parents[2]


def _identity_ok(meta: dict, kind: str, version: int = 1) -> None:
    assert meta["format"] == kind and meta["format_version"] == version
    assert "version" not in meta and "cgmolct_version" in meta


def _legacy(meta: dict) -> dict:
    """``meta`` as cgmolct 0.1.0 wrote it: ``version`` instead of ``format_version``."""
    out = {k: v for k, v in meta.items() if k != "format_version"}
    out["version"] = meta["format_version"]
    return out


def _rewrite_json(path: Path, change) -> None:
    path.write_text(json.dumps(change(json.loads(path.read_text()))))


def _rewrite_npz_header(path: Path, change, meta_key: str = "meta") -> None:
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays[meta_key] = np.array(json.dumps(change(json.loads(str(arrays[meta_key])))))
    np.savez(path, **arrays)


# ------------------------------------------------------------------ the helpers themselves
def test_make_header_keys_and_units():
    h = make_header("cgmolct-thing", 2, units={"length": "angstrom"}, n=3)
    assert h["format"] == "cgmolct-thing" and h["format_version"] == 2
    assert h["units"] == {"length": "angstrom"} and h["n"] == 3 and "cgmolct_version" in h
    assert "units" not in make_header("cgmolct-thing", 1)
    with pytest.raises(ValueError, match="version"):
        make_header("cgmolct-thing", 1, version=3)
    with pytest.raises(ValueError, match="integer"):
        make_header("cgmolct-thing", 1.5)
    assert strip_identity({"format": "x", "format_version": 1, "version": 1, "a": 1}) == {"a": 1}


def test_check_header_versions_and_messages():
    kind, ok = "cgmolct-thing", (1, 2)
    assert check_header({"format": kind, "format_version": 2}, "f.json", kind, ok, DataError) == 2
    assert check_header({"format": kind, "version": 1}, "f.json", kind, ok, DataError) == 1
    assert check_header({"format": kind, "format_version": "1"}, "f.json", kind, ok, DataError) == 1
    # format_version wins over a stray legacy key
    assert check_header({"format": kind, "format_version": 2, "version": 9}, "f", kind, ok,
                        DataError) == 2
    with pytest.raises(DataError, match=r"f\.json: not a cgmolct-thing file \(format 'other'"):
        check_header({"format": "other", "format_version": 1}, "f.json", kind, ok, DataError)
    with pytest.raises(CheckpointError,
                       match=r"f\.json: cgmolct-thing format version 7 is not supported; "
                             r"cgmolct .* reads versions 1, 2; upgrade cgmolct"):
        check_header({"format": kind, "format_version": 7}, "f.json", kind, ok, CheckpointError)
    for bad in (None, True, 1.0, "x"):
        with pytest.raises(InputError, match="f.json"):
            check_header({"format": kind, "format_version": bad}, "f.json", kind, ok, InputError)
    with pytest.raises(InputError, match="f.json: not a thing file"):
        check_header([1, 2], "f.json", kind, ok, InputError, what="thing file")


def test_json_record_round_trip_and_errors(tmp_path):
    path = tmp_path / "a.json"
    write_json_record(path, make_header("cgmolct-thing", 1, x=[1, 2]))
    assert read_json_record(path, "cgmolct-thing", (1,), DataError)["x"] == [1, 2]
    with pytest.raises(ValueError, match="format_version"):
        write_json_record(path, {"format": "cgmolct-thing", "version": 1})
    path.write_text(path.read_text()[:10])
    with pytest.raises(DataError, match="a.json: corrupt or truncated"):
        read_json_record(path, "cgmolct-thing", (1,), DataError)
    with pytest.raises(DataError, match="does not exist"):
        read_json_record(tmp_path / "none.json", "cgmolct-thing", (1,), DataError)


def test_npz_record_round_trip_and_errors(tmp_path):
    path = tmp_path / "a.npz"
    arrays = {"x": np.arange(6.0).reshape(2, 3), "names": np.array(["a", "b"])}
    write_npz_record(path, make_header("cgmolct-thing", 1, n=2), arrays)
    meta, back = read_npz_record(path, "cgmolct-thing", (1,), InputError)
    assert meta["n"] == 2 and set(back) == {"x", "names"}
    np.testing.assert_array_equal(back["x"], arrays["x"])
    write_npz_record(path, make_header("cgmolct-thing", 1), arrays, meta_key="__json__",
                     compressed=True)
    assert read_npz_record(path, "cgmolct-thing", (1,), InputError, meta_key="__json__")[0]
    with pytest.raises(InputError, match="no 'meta' header entry"):
        read_npz_record(path, "cgmolct-thing", (1,), InputError)
    with pytest.raises(ValueError, match="Python objects"):
        write_npz_record(path, make_header("cgmolct-thing", 1), {"o": np.array([{}], dtype=object)})
    with pytest.raises(ValueError, match="reserved"):
        write_npz_record(path, make_header("cgmolct-thing", 1), {"meta": np.zeros(1)})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="a.npz: file is corrupt or truncated"):
        read_npz_record(path, "cgmolct-thing", (1,), InputError, meta_key="__json__")
    path.write_bytes(b"")
    with pytest.raises(InputError, match="a.npz"):
        read_npz_record(path, "cgmolct-thing", (1,), InputError)
    with pytest.raises(InputError, match="is a folder"):
        read_npz_record(tmp_path, "cgmolct-thing", (1,), InputError)


# ------------------------------------------------------------------ each format
def test_training_checkpoint(tmp_path):
    from cgmolct.train.checkpoint import FORMAT, read_checkpoint, write_checkpoint

    path = tmp_path / "last.npz"
    write_checkpoint(path, {"epoch": 3}, {"w": np.ones(3, np.float32)}, {"m": np.zeros(3)})
    meta, params, opt = read_checkpoint(path)
    _identity_ok(meta, FORMAT)
    assert meta["epoch"] == 3 and meta["units"]["energy"] == "kcal/mol"
    _rewrite_npz_header(path, _legacy)
    assert read_checkpoint(path)[0]["epoch"] == 3
    _rewrite_npz_header(path, lambda m: dict(m, version=2))
    with pytest.raises(CheckpointError, match=r"last\.npz: .*version 2 is not supported"):
        read_checkpoint(path)
    _rewrite_npz_header(path, lambda m: dict(m, format="cgmolct-simulation-state"))
    with pytest.raises(CheckpointError, match=r"last\.npz: not a cgmolct training checkpoint"):
        read_checkpoint(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(CheckpointError, match=r"last\.npz: checkpoint is corrupt or truncated "
                                              r".*resume from another checkpoint"):
        read_checkpoint(path)


def test_simulation_state(tmp_path):
    from cgmolct.simulate.state import STATE_FORMAT, SimulationState, load_state, save_state

    x = np.zeros((2, 3, 3), np.float32)
    state = SimulationState(x, x + 1, x + 2, np.zeros(2, np.float32), step=7,
                            rng_state={"a": 1}, meta={"dt_ps": 0.002})
    path = tmp_path / "state.npz"
    save_state(state, path)
    with np.load(path, allow_pickle=False) as z:
        _identity_ok(json.loads(str(z["meta"])), STATE_FORMAT)
    back = load_state(path)
    assert back.step == 7 and back.meta == {"dt_ps": 0.002}
    save_state(back, path)          # the header is not copied into the settings
    assert load_state(path).meta == {"dt_ps": 0.002}
    _rewrite_npz_header(path, _legacy)
    assert load_state(path).meta == {"dt_ps": 0.002}
    _rewrite_npz_header(path, lambda m: dict(m, version=5))
    with pytest.raises(InputError, match=r"state\.npz: .*version 5 is not supported"):
        load_state(path)


def test_simulation_settings(tmp_path):
    from cgmolct.simulate.runner import Simulation
    from cgmolct.simulate.writers import SETTINGS_FILE, SETTINGS_FORMAT, read_settings

    fake = SimpleNamespace(settings={"dt_ps": 0.002}, n_beads=5, part=0, step=0,
                           graph=SimpleNamespace(provenance={"mapping": "backbone"}))
    Simulation._write_settings(fake, tmp_path, 10, 5)
    record = read_settings(tmp_path)
    _identity_ok(record, SETTINGS_FORMAT)
    assert record["units"]["velocity"] == "angstrom/ps" and len(record["pieces"]) == 1
    _rewrite_json(tmp_path / SETTINGS_FILE, _legacy)        # a folder of cgmolct 0.1.0
    fake.part, fake.step = 1, 10
    Simulation._write_settings(fake, tmp_path, 10, 5)
    record = read_settings(tmp_path / SETTINGS_FILE)
    _identity_ok(record, SETTINGS_FORMAT)
    assert [p["part"] for p in record["pieces"]] == [0, 1]
    _rewrite_json(tmp_path / SETTINGS_FILE, lambda r: dict(r, format="x"))
    with pytest.raises(InputError, match="simulation.json: not a cgmolct simulation settings"):
        read_settings(tmp_path)


def test_reference_run_folder(tmp_path):
    from cgmolct.reference.chunks import RUN_FORMAT, RunFolder

    run = RunFolder(tmp_path)
    run.write_settings({"seed": 1, "units": {"time": "ps"}, "cgmolct_version": "0.0.9"})
    run.write_progress(2, 100, 20)
    settings = run.read_settings()
    _identity_ok(settings, RUN_FORMAT)
    assert settings["cgmolct_version"] == "0.0.9" and settings["units"] == {"time": "ps"}
    _identity_ok(run.read_progress(), RUN_FORMAT)
    for path in (run.settings_file, run.progress_file):
        _rewrite_json(path, _legacy)
    assert run.read_settings()["seed"] == 1 and run.read_progress()["n_chunks"] == 2
    run.write_settings(strip_identity(run.read_settings()))   # what a resumed run does
    _identity_ok(run.read_settings(), RUN_FORMAT)
    _rewrite_json(run.progress_file, lambda r: dict(r, version=3))
    with pytest.raises(DataError, match=r"progress\.json: .*version 3 is not supported"):
        run.read_progress()


def test_contacts_and_clusters_and_summary_readers(tmp_path):
    from cgmolct.commands.cluster import FORMAT as CLUSTERS, read_clusters
    from cgmolct.commands.contacts import LABELS_FORMAT, MAP_FORMAT, _write, read_contacts
    from cgmolct.pipeline.cg_forcefield import SUMMARY_FORMAT, read_summary

    path = tmp_path / "labels.npz"
    _write(str(path), {"frequency": np.eye(3)}, make_header(LABELS_FORMAT, 1, n_residues=3))
    meta, arrays = read_contacts(path)
    _identity_ok(meta, LABELS_FORMAT)
    np.testing.assert_array_equal(arrays["frequency"], np.eye(3))
    _rewrite_npz_header(path, _legacy, meta_key="__json__")
    assert read_contacts(path)[0]["n_residues"] == 3
    with pytest.raises(InputError, match=r"labels\.npz: not a cgmolct-contact-map file"):
        read_contacts(path, MAP_FORMAT)
    for kind, name, reader in ((CLUSTERS, "clusters.json", read_clusters),
                               (SUMMARY_FORMAT, "summary.json", read_summary)):
        (tmp_path / name).write_text(json.dumps({"format": kind, "version": 1, "n": 1}))
        assert reader(tmp_path)["n"] == 1
        (tmp_path / name).write_text(json.dumps({"format": kind, "format_version": 4}))
        with pytest.raises(InputError, match=f"{name}: {kind} format version 4"):
            reader(tmp_path / name)


def test_graph_header_and_legacy_key(tmp_path):
    import topologies
    from topologies import GraphFormatError
    from topologies.graph import CGGraph

    graph = CGGraph.load(ROOT / "cgmolct/reference/shipped/ala2_ref_2ns.npz")
    small = graph._replace(positions=graph.positions[:2], forces=graph.forces[:2],
                           energies=graph.energies[:2], labels={})
    folder = tmp_path / "g"
    small.save(folder)
    meta = json.loads((folder / "graph.json").read_text())
    assert meta["format"] == "cgmolct-cggraph" and meta["format_version"] == topologies.FORMAT_VERSION
    _rewrite_json(folder / "graph.json", _legacy)
    assert CGGraph.load(folder).n_frames == 2
    _rewrite_json(folder / "graph.json", lambda m: dict(m, version="9"))
    with pytest.raises(GraphFormatError, match="version 9 is not supported"):
        CGGraph.load(folder)


def test_dataset_folder(tmp_path):
    from cgmolct.data.folder import DATASET_FORMAT, METADATA_FILE, load_folder, write_folder

    graph = ROOT / "cgmolct/reference/shipped/ala2_ref_2ns.npz"
    folder = write_folder([graph], tmp_path / "set", frames=slice(0, 3))
    meta = json.loads((Path(folder) / METADATA_FILE).read_text())
    _identity_ok(meta, DATASET_FORMAT)
    assert meta["units"]["length"] == "angstrom"
    _rewrite_json(Path(folder) / METADATA_FILE, _legacy)
    assert len(load_folder(folder)) == 3
    _rewrite_json(Path(folder) / METADATA_FILE, lambda m: dict(m, version=2))
    with pytest.raises(DataError, match=r"dataset\.json: cgmolct-dataset format version 2"):
        load_folder(folder)


def test_priors_and_model_json(tmp_path):
    pytest.importorskip("mindspore")
    from cgmolct.io.checkpoint import FORMAT_NAME, load_model, read_model_info, save_model
    from cgmolct.priors import load_priors, save_priors
    from cgmolct.priors.storage import FORMAT_NAME as PRIORS

    shipped = ROOT / "cgmolct/pipeline/shipped/ala2_backbone_niu1"
    priors = load_priors(shipped)
    save_priors(priors, tmp_path / "p")
    _identity_ok(json.loads((tmp_path / "p" / "priors.json").read_text()), PRIORS)
    _rewrite_json(tmp_path / "p" / "priors.json", _legacy)
    assert load_priors(tmp_path / "p").term_names == priors.term_names

    model = load_model(ROOT / "cgmolct/contacts/shipped/model")   # builds cells, compiles nothing
    save_model(model, tmp_path / "m")
    info = read_model_info(tmp_path / "m")
    _identity_ok(info, FORMAT_NAME)
    assert info["units"]["energy"] == "kcal/mol"
    _rewrite_json(tmp_path / "m" / "model.json", _legacy)
    assert read_model_info(tmp_path / "m")["model"] == info["model"]
    _rewrite_json(tmp_path / "m" / "model.json", lambda m: dict(m, version=8))
    with pytest.raises(CheckpointError, match=r"model\.json: cgmolct-model format version 8"):
        read_model_info(tmp_path / "m")


# ------------------------------------------------------------------ committed files
def _committed() -> list:
    try:
        out = subprocess.run(["git", "ls-files", "*.json", "*.npz"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: the committed files cannot be listed")
    return [ROOT / p for p in out if not p.startswith("benchmarks/paper/")]


def _header(path: Path):
    if path.suffix == ".json":
        try:
            data = json.loads(path.read_text())
        except ValueError:
            return None
        return data if isinstance(data, dict) and "format" in data else None
    with np.load(path, allow_pickle=False) as z:
        for key in ("meta", "__json__", "__graph_json__"):
            if key in z.files:
                return json.loads(str(z[key]))
    return None


def _readers():
    import topologies
    from cgmolct.commands.cluster import read_clusters
    from cgmolct.commands.contacts import read_contacts
    from cgmolct.data.folder import load_folder
    from cgmolct.io.checkpoint import read_model_info
    from cgmolct.pipeline.cg_forcefield import read_summary
    from cgmolct.priors import load_priors
    from cgmolct.reference.chunks import RunFolder
    from cgmolct.simulate.state import load_state
    from cgmolct.simulate.writers import read_settings
    from cgmolct.train.checkpoint import read_checkpoint

    return {
        "cgmolct-model": read_model_info,
        "cgmolct-priors": load_priors,
        "cgmolct-cggraph": topologies.CGGraph.load,
        "cgmolct-dataset": lambda p: load_folder(p.parent),
        "cgmolct-training-checkpoint": read_checkpoint,
        "cgmolct-simulation-state": load_state,
        "cgmolct-simulation": read_settings,
        "cgmolct-reference-run": RunFolder._read_json,
        "cgmolct-clusters": read_clusters,
        "cgmolct-contact-labels": read_contacts,
        "cgmolct-contact-map": lambda p: read_contacts(p, "cgmolct-contact-map"),
        "cgmolct-cg-forcefield": read_summary,
    }


def test_every_committed_file_with_a_header_loads():
    readers = _readers()
    seen = []
    for path in _committed():
        head = _header(path)
        if head is None or not str(head.get("format", "")).startswith("cgmolct-"):
            continue
        kind = head["format"]
        assert kind in readers, f"{path}: format {kind!r} has no reader in this test"
        assert readers[kind](path) is not None, path
        seen.append(kind)
    # the shipped models, priors and reference set are among them
    assert {"cgmolct-model", "cgmolct-priors", "cgmolct-cggraph"} <= set(seen)


def test_committed_model_folders_load_with_their_weights():
    pytest.importorskip("mindspore")
    from cgmolct.io.checkpoint import load_model

    folders = [p.parent for p in _committed() if p.name == "model.json"]
    assert folders
    for folder in folders:
        assert load_model(folder).saved_info["format"] == "cgmolct-model"


def test_committed_files_rewritten_with_the_legacy_key_load(tmp_path):
    """The readers accept the key of 0.1.0 for the committed files too."""
    from cgmolct.io.checkpoint import read_model_info
    from cgmolct.priors import load_priors

    for path in _committed():
        head = _header(path)
        if path.suffix != ".json" or head is None or head.get("format") not in (
                "cgmolct-model", "cgmolct-priors"):
            continue
        target = tmp_path / path.parent.name
        shutil.copytree(path.parent, target, dirs_exist_ok=True)
        _rewrite_json(target / path.name, _legacy)
        reader = read_model_info if head["format"] == "cgmolct-model" else load_priors
        assert reader(target / path.name) is not None
