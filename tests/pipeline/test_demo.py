"""The demo step's report, with the pipeline replaced by a recorded summary (the real run is minutes)."""
from __future__ import annotations

import math


def _summary(png, model):
    pops = {"populations_percent": {"beta_C7eq": 30.0, "alphaR": 65.0, "alphaL": 5.0}}
    return {"reference": {"frames": 2000}, "priors": {"terms": ["bonds", "angles"]},
            "training": {"epochs": 2, "valid_force_rmse": 7.5},
            "timings_s": {"training_s": 60.0}, "force_noise_floor": {"rmse": 7.9},
            "simulation": {"replicas": 16, "steps": 1000, "replica_steps_per_s": 900.0},
            "fes": {"js": 0.3, "js_noise_floor": 0.2, "cg": pops, "reference": pops},
            "files": {"png": str(png), "model": str(model)}}


def test_demo_step_reports(tmp_path, monkeypatch):
    import cgmolct.pipeline.cg_forcefield as cf
    from cgmolct.pipeline._demo import run_demo_step

    png, model = tmp_path / "fes.png", tmp_path / "model"
    png.write_bytes(b"png")
    model.mkdir()
    (model / "priors.json").write_text("{}")
    seen = {}

    def fake(reference, output, **options):
        seen.update(options, output=output, frames=reference.n_frames)
        return _summary(png, model)

    monkeypatch.setattr(cf, "run_cg_forcefield", fake)
    result = run_demo_step(tmp_path)
    assert result["ok"] and result["figures"] == [str(png)]
    assert "JS 0.300" in result["summary"] and "7.50" in result["summary"]
    assert seen["frames"] == 2000 and seen["replicas"] <= 16 and seen["max_time_s"] <= 60
    (model / "priors.json").unlink()
    assert not run_demo_step(tmp_path)["ok"]
    assert math.isfinite(seen["dim"])
