"""The main job on shipped data: ``cgmolct demo`` (``make demo``).

Each step is one of the library's jobs run on data that ships with the installed packages
(MDAnalysisTests structures, OpenMM force fields) or with ``../shared/data`` when present.
Every step writes its files into the output folder and returns a short summary line; the
whole run writes ``demo_summary.json``.
"""
from __future__ import annotations

import json
import time

import numpy as np
from pathlib import Path
from typing import Callable, Dict, List, Tuple

__all__ = ["run_demo", "STEPS"]


def _step_doctor(out: Path) -> Dict[str, object]:
    from .doctor import format_report, run_doctor

    report = run_doctor(smoke=True)
    (out / "doctor.json").write_text(json.dumps(report, indent=2))
    print(format_report(report))
    return {"ok": report["ok"], "summary": "environment checks " + ("passed" if report["ok"] else "FAILED")}


def _step_graph(out: Path) -> Dict[str, object]:
    """CG graphs of real MDAnalysisTests structures, saved under ``graphs/``."""
    import warnings

    from MDAnalysisTests import datafiles as mdt

    import topologies

    folder = out / "graphs"
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [("adk_ca", mdt.PSF, mdt.DCD, "ca"), ("adk_gro_xtc_ca", mdt.GRO, mdt.XTC, "ca"),
            ("rna_nucleic3", mdt.RNA_PSF, mdt.RNA_PDB, "nucleic-3"),
            ("mol2_atoms", mdt.mol2_molecule, None, "auto"),
            ("cobrotoxin_cacb_forces", mdt.TPR_xvf, mdt.TRR_xvf, "cacb"),
            ("alanine_dipeptide_backbone", mdt.PRMpbc, mdt.TRJpbc_bz2, "backbone")]
    parts, infos = [], {}
    for name, top, traj, mapping in jobs:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            graph = topologies.build_graph(top, traj, mapping=mapping)
        graph.save(folder / f"{name}.npz")
        infos[name] = graph.summary()
        parts.append(f"{name} {graph.n_beads} beads x {graph.n_frames} frames"
                     + (" +forces" if graph.forces is not None else ""))
        print(f"  {name:28s} {graph!r}")
    (out / "graphs.json").write_text(json.dumps(infos, indent=2))
    from .plots import distance_map

    adk = topologies.CGGraph.load(folder / "adk_ca.npz")
    fig = distance_map(adk, out / "figures" / "adk_ca_distance_map.png",
                       title="AdK CA graph: distances (white: < 8 Å; red: bonds)")
    return {"ok": True, "summary": f"{len(jobs)} CG graphs in {folder}: " + "; ".join(parts),
            "figures": [fig]}


def _step_model(out: Path) -> Dict[str, object]:
    from .models._demo import run_model_demo

    return run_model_demo(out)


def _step_train(out: Path) -> Dict[str, object]:
    from .train._demo import run_train_demo

    return run_train_demo(out)


def _step_contacts(out: Path) -> Dict[str, object]:
    """Predicted vs true residue contacts of AdK (a protein the shipped model never saw)."""
    from MDAnalysisTests import datafiles as mdt

    from .contacts import (ca_distance_scores, contact_maps, contact_metrics, read_structure,
                           separation_matrix)
    from .contacts.plot import plot_contact_map
    from .contacts.shipped import load_shipped
    import cgmolct

    s = read_structure(mdt.PSF, mdt.DCD, frames=slice(0, 1))
    truth = contact_maps(s, "closest-heavy")[0]
    graph = s.graph.select_frames(0)
    prob = cgmolct.predict(load_shipped(), graph, outputs=("contacts",))["contacts"]
    sep = separation_matrix(graph)
    ours = contact_metrics(prob, truth, sep)["all"]
    base = contact_metrics(ca_distance_scores(graph), truth, sep)["all"]
    fig = plot_contact_map(out / "figures" / "adk_contacts.png", prob, truth, sep,
                           title="AdK: predicted (below) vs true closest-heavy contacts (above)")
    ok = bool(np.isfinite(ours["ap"]))
    return {"ok": ok, "figures": [fig],
            "summary": (f"AdK ({graph.n_beads} residues, CA only in, all atoms for the truth): "
                        f"average precision {ours['ap']:.2f} (CA-distance baseline "
                        f"{base['ap']:.2f}), precision@L "
                        f"{ours['p@L']:.2f} (baseline {base['p@L']:.2f})")}


def _step_cg_forcefield(out: Path) -> Dict[str, object]:
    """The CG force-field pipeline, minutes-long, on the shipped alanine-dipeptide reference."""
    from .pipeline._demo import run_demo_step

    return run_demo_step(out)


def _step_embed(out: Path) -> Dict[str, object]:
    from .embed._demo import run_embed_demo

    result = run_embed_demo(out)
    png = out / "embed" / "adk_embedding.png"
    if png.exists():
        result.setdefault("figures", [str(png)])
    return result


#: (name, function) in the order they run.
STEPS: List[Tuple[str, Callable[[Path], Dict[str, object]]]] = [
    ("doctor", _step_doctor),
    ("graph", _step_graph),
    ("model", _step_model),
    ("train", _step_train),
    ("cg_forcefield", _step_cg_forcefield),
    ("contacts", _step_contacts),
    ("embed", _step_embed),
]


def _report(out: Path, results: Dict[str, Dict[str, object]]) -> Path:
    """``report.md``: each step's one-line result and its figures."""
    lines = ["# cgmolct demo report", ""]
    for name, r in results.items():
        lines += [f"## {name} — {'ok' if r['ok'] else 'FAILED'} ({r['seconds']} s)", "",
                  str(r["summary"]), ""]
        for fig in r.get("figures", []):
            rel = Path(fig).resolve().relative_to(out.resolve())
            lines += [f"![{rel.stem}]({rel.as_posix()})", ""]
    path = out / "report.md"
    from .storage import atomic_write_text

    atomic_write_text(path, "\n".join(lines))
    return path


def run_demo(output: str = "demo_output", only: List[str] | None = None) -> Dict[str, object]:
    """Run the demo steps (all, or those named in ``only``); write ``demo_summary.json`` and
    ``report.md`` (each step's result and its PNG figures under ``figures/``)."""
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    results = {}
    for name, func in STEPS:
        if only and name not in only:
            continue
        print(f"\n=== cgmolct demo: {name} ===", flush=True)
        t0 = time.perf_counter()
        result = func(out)
        result["seconds"] = round(time.perf_counter() - t0, 2)
        print(f"--> {name}: {result['summary']} ({result['seconds']} s)", flush=True)
        results[name] = result
    summary = {"ok": all(r["ok"] for r in results.values()), "steps": results}
    from .storage import atomic_write_text

    atomic_write_text(out / "demo_summary.json", json.dumps(summary, indent=2, default=str))
    summary["report"] = str(_report(out, results))
    print(f"\ncgmolct demo: report with figures in {summary['report']}", flush=True)
    return summary
