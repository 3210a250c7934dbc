"""Conformation-embedding benchmark: state recovery (ARI), held-out VAMP-2 vs TICA, AdK
closed/open, mirror images, embedding speed.

Usage (from the repository root; run niced on a shared machine)::

    nice -n 10 .venv/bin/python -m benchmarks.embedding.bench_embedding \\
        --ala2-index /tmp/ala2_ref/INDEX.json --max-frames 4000 --train-seconds 240

Data
  * Alanine dipeptide: OpenMM reference runs (AMBER ff03 + OBC, 300 K, one frame per ps;
    ``cgmolct data reference``) listed in an INDEX.json, mapped to the 5-bead ``backbone``
    CG map; φ/ψ basin labels β/C7eq, αR, αL (cgmolct.embed.states).  The last seed is held
    out: embedders are trained on the others and scored on it (KMeans fitted on the
    training embeddings and applied to the held-out ones).
  * AdK (MDAnalysisTests PSF/DCD, CA map, 98 frames of a closed → open path): label
    "closed" when the CA RMSD to frame 0 < RMSD to the last frame.

Writes results.json, results.md and PNGs into --output (default benchmarks/embedding).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _ala2_trajectories(index: Path, max_frames: int):
    """Backbone CG graphs, one per seed with frames, at most ``max_frames`` each."""
    from cgmolct.reference import assemble_graph
    from cgmolct.reference.mapping import map_reference

    info = json.loads(index.read_text())
    graphs = []
    for seed in info["seeds"]:
        if not seed.get("n_frames"):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            aa = assemble_graph(seed["folder"], save=False)
            cg = map_reference(aa, "backbone")
        graphs.append(cg.select_frames(slice(0, max_frames)))
    if len(graphs) < 2:
        raise SystemExit(f"{index}: need at least two seeds with frames (train + held out)")
    return graphs, info


def _adk():
    from MDAnalysisTests import datafiles as mdt

    import topologies

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return topologies.build_graph(mdt.PSF, mdt.DCD, mapping="ca")


def _kmeans_ari(train_x, test_x, test_labels, k, seed=0):
    from sklearn.cluster import KMeans

    from cgmolct.analysis.clustering import adjusted_rand

    km = KMeans(n_clusters=k, n_init=10, random_state=seed).fit(train_x)
    pred = km.predict(test_x)
    return adjusted_rand(test_labels, pred), pred


def _agglo_ari(x, labels):
    from cgmolct.analysis.clustering import adjusted_rand, cluster

    return adjusted_rand(labels, cluster(x, "agglomerative", 2)["labels"])


def _rmsd_mds(positions, dim=2):
    """Classical MDS of the exact CG RMSD matrix: the best an RMSD-preserving embedding does."""
    from cgmolct.embed.geometry import kabsch_rmsd

    d = np.array([kabsch_rmsd(positions, positions[i]) for i in range(len(positions))])
    n = len(d)
    j = np.eye(n) - 1.0 / n
    w, v = np.linalg.eigh(-0.5 * j @ (d ** 2) @ j)
    top = np.argsort(w)[::-1][:dim]
    return v[:, top] * np.sqrt(np.maximum(w[top], 0))


def _scaled(train, test):
    mu, sd = train.mean(0), train.std(0) + 1e-12
    return (train - mu) / sd, (test - mu) / sd


def _speed(embedder, graph, n_frames=4096):
    """Frames/s of transform() on ``n_frames`` frames (after one warm-up call)."""
    reps = int(np.ceil(n_frames / graph.n_frames))
    g = graph.select_frames(np.tile(np.arange(graph.n_frames), reps)[:n_frames])
    embedder.transform(g.select_frames(slice(0, 8)))  # compile
    t0 = time.perf_counter()
    embedder.transform(g)
    return n_frames / (time.perf_counter() - t0)


def _size(args) -> dict:
    return dict(model_dim=args.model_dim, n_heads=args.n_heads, n_interactions=args.n_interactions)


def run(args) -> dict:
    import mindspore as ms

    from cgmolct.analysis.clustering import adjusted_rand, choose_n_clusters, plot_embedding
    from cgmolct.analysis.kinetics import (TICA, implied_timescales, lagged_pairs,
                                           vamp2_score)
    from cgmolct.embed import MolCTEmbedder
    from cgmolct.embed.geometry import dihedrals, pairwise_distances
    from cgmolct.embed.states import BASIN_NAMES, ala2_basins, closed_open

    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    res = {"command": " ".join(sys.argv), "load_average_start": os.getloadavg(),
           "cpu_count": os.cpu_count(), "platform": platform.platform(),
           "threads": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")},
           "mindspore": ms.__version__, "settings": vars(args)}

    # ---------------------------------------------------------------- alanine dipeptide
    graphs, info = _ala2_trajectories(Path(args.ala2_index), args.max_frames)
    train_g, test_g = graphs[:-1], graphs[-1:]
    lab_train = np.concatenate([ala2_basins(g) for g in train_g])
    lab_test = ala2_basins(test_g[0])
    res["ala2"] = {"source": str(args.ala2_index), "forcefield": info["seeds"][0]["settings"]["forcefield"],
                   "frames_train": int(len(lab_train)), "frames_test": int(len(lab_test)),
                   "n_train_trajectories": len(train_g), "frame_interval_ps": 1.0,
                   "basin_populations_test": {BASIN_NAMES[k]: float((lab_test == k).mean()) for k in range(3)},
                   "basin_populations_train": {BASIN_NAMES[k]: float((lab_train == k).mean()) for k in range(3)}}
    A = res["ala2"]
    # baselines: pairwise distances (mirror-blind) and the true torsions
    d_tr = np.concatenate([pairwise_distances(g.positions) for g in train_g])
    d_te = pairwise_distances(test_g[0].positions)
    quads = np.array([[0, 1, 2, 3], [1, 2, 3, 4]])
    def torsion_feats(g):
        t = dihedrals(g.positions, quads)
        return np.column_stack([np.sin(t), np.cos(t)])
    t_tr = np.concatenate([torsion_feats(g) for g in train_g])
    t_te = torsion_feats(test_g[0])
    base = {}
    for name, (tr, te) in {"pairwise_distances": _scaled(d_tr, d_te),
                           "true_torsions": (t_tr, t_te)}.items():
        base[name] = {f"ari_k{k}": _kmeans_ari(tr, te, lab_test, k)[0] for k in (2, 3)}
    A["baselines_kmeans"] = base

    lag = args.lag
    embedders = {}
    for objective in ("vamp", "metric"):
        t0 = time.perf_counter()
        emb = MolCTEmbedder(objective=objective, lag=lag, n_states=args.n_states, dim=args.dim,
                            epochs=args.epochs, batch_size=args.batch_size,
                            learning_rate=args.learning_rate, n_pairs=args.n_pairs,
                            max_seconds=args.train_seconds, seed=args.seed, verbose=True,
                            **_size(args))
        emb.fit(train_g)
        fit_s = time.perf_counter() - t0
        x_tr, x_te = emb.transform(train_g), emb.transform(test_g)
        xs_tr, xs_te = _scaled(x_tr, x_te)
        r = {"fit_seconds": fit_s, "steps": emb.history_["steps"],
             "loss_first_last": [emb.history_["loss"][0], emb.history_["loss"][-1]]}
        for k in (2, 3):
            r[f"ari_k{k}"], pred = _kmeans_ari(xs_tr, xs_te, lab_test, k)
            if k == 3:
                pred3 = pred
        chosen = choose_n_clusters(xs_te, "kmeans", range(2, 7), args.seed)
        r["k_by_silhouette"] = chosen["k"]
        r["silhouette_by_k"] = chosen["scores"]
        r["ari_k_by_silhouette"] = _kmeans_ari(xs_tr, xs_te, lab_test, chosen["k"])[0]
        if objective == "vamp":
            emb.set_params(output="states")
            s_tr, s_te = emb.transform(train_g), emb.transform(test_g)
            r["ari_argmax_states"] = adjusted_rand(lab_test, s_te.argmax(1))
            r["vamp2_test"] = vamp2_score(*lagged_pairs(s_te, lag))
            r["vamp2_train"] = vamp2_score(*lagged_pairs([s_tr[:len(lab_train)]], lag))
            lags = [1, 2, 5, 10, 20, 50]
            r["implied_timescales_ps"] = {str(l): v.tolist() for l, v in
                                          zip(lags, implied_timescales(s_te, lags, dt=1.0))}
            emb.set_params(output="embedding")
        plot_embedding(x_te, pred3, out / f"ala2_{objective}.png",
                       title=f"alanine dipeptide, {objective} embedding (held-out seed)",
                       reference=lab_test)
        A[objective] = r
        embedders[objective] = emb
    # TICA baselines with the VAMP model's output dimension (n_states - 1 + constant)
    dim = args.n_states - 1
    tica = {}
    for name, (tr, te) in {"pairwise_distances": (
            [pairwise_distances(g.positions) for g in train_g], d_te),
            "true_torsions": ([torsion_feats(g) for g in train_g], t_te)}.items():
        model = TICA(lag=lag, dim=dim).fit(tr)
        tica[name] = {"vamp2_test": vamp2_score(*lagged_pairs(model.transform(te), lag)),
                      "dim": dim, "timescales_ps": model.timescales().tolist()}
    A["tica"] = tica
    A["lag_ps"] = lag

    # mirror images: αR frames and their reflections (αL-like); distances cannot split them
    alpha = test_g[0].select_frames(np.flatnonzero(lab_test == 1)[:500])
    mirror = alpha.select_frames(np.arange(alpha.n_frames))
    mirror.positions = (alpha.positions * np.array([1, 1, -1], np.float32)).astype(np.float32)
    truth = np.r_[np.zeros(alpha.n_frames, int), np.ones(alpha.n_frames, int)]
    chir = {}
    for name, emb in embedders.items():
        x = np.concatenate([emb.transform(alpha), emb.transform(mirror)])
        chir[f"{name}_ari"] = _kmeans_ari(x, x, truth, 2)[0]
    dd = np.concatenate([pairwise_distances(alpha.positions), pairwise_distances(mirror.positions)])
    chir["pairwise_distances_ari"] = _kmeans_ari(dd, dd, truth, 2)[0]
    chir["n_frames_each"] = int(alpha.n_frames)
    A["mirror_images"] = chir

    # speed
    res["speed_frames_per_s"] = {"ala2_backbone_5_beads": _speed(embedders["vamp"], test_g[0])}

    # ---------------------------------------------------------------- AdK
    adk = _adk()
    lab = closed_open(adk.positions)
    t0 = time.perf_counter()
    emb = MolCTEmbedder(objective="metric", dim=args.dim, epochs=args.adk_epochs, batch_size=16,
                        mirror_augment=False,
                        n_pairs=args.adk_pairs, max_seconds=args.adk_train_seconds,
                        seed=args.seed, verbose=True, learning_rate=args.learning_rate,
                        **_size(args)).fit(adk)
    x = emb.transform(adk)
    ari, pred = _kmeans_ari(x, x, lab, 2)
    dist = pairwise_distances(adk.positions)
    res["adk"] = {"frames": adk.n_frames, "beads": adk.n_beads, "closed_fraction": float((lab == 0).mean()),
                  "metric_ari_k2": ari, "fit_seconds": time.perf_counter() - t0,
                  "steps": emb.history_["steps"], "loss_last_epoch": emb.history_["loss"][-1],
                  "metric_ari_agglomerative_k2": _agglo_ari(x, lab),
                  "pairwise_distances_ari_k2": _kmeans_ari(dist, dist, lab, 2)[0],
                  "pairwise_distances_ari_agglomerative_k2": _agglo_ari(dist, lab),
                  "exact_rmsd_mds2_ari_k2": _kmeans_ari(_rmsd_mds(adk.positions), _rmsd_mds(adk.positions), lab, 2)[0],
                  "exact_rmsd_mds2_ari_agglomerative_k2": _agglo_ari(_rmsd_mds(adk.positions), lab)}
    plot_embedding(x, pred, out / "adk_metric.png", title="AdK closed → open, metric embedding",
                   reference=lab)
    res["speed_frames_per_s"]["adk_ca_214_beads"] = _speed(emb, adk, 512)
    res["load_average_end"] = os.getloadavg()
    res["total_seconds"] = time.perf_counter() - t_start
    return res


def _md(res: dict) -> str:
    A = res["ala2"]
    v, m = A["vamp"], A["metric"]
    b = A["baselines_kmeans"]
    lines = [
        "# Conformation embeddings: benchmark results", "",
        f"Command: `{res['command']}`  ",
        f"Load average at start / end: {', '.join(f'{x:.1f}' for x in res['load_average_start'])} / "
        f"{', '.join(f'{x:.1f}' for x in res['load_average_end'])} on {res['cpu_count']} CPUs; "
        f"total {res['total_seconds']:.0f} s.", "",
        f"## Alanine dipeptide (backbone CG, 5 beads; {A['frames_train']} training frames from "
        f"{A['n_train_trajectories']} runs, {A['frames_test']} held-out frames from another run)", "",
        "Basin populations (held out): " + ", ".join(f"{k} {p:.3f}" for k, p in A["basin_populations_test"].items()), "",
        "ARI against φ/ψ basin labels on the held-out run (KMeans fitted on training embeddings):", "",
        "| features | k = 2 | k = 3 | k by silhouette | argmax of VAMP states |",
        "|---|---|---|---|---|",
        f"| pairwise bead distances (baseline) | {b['pairwise_distances']['ari_k2']:.3f} | {b['pairwise_distances']['ari_k3']:.3f} | | |",
        f"| true φ/ψ torsions (sin, cos) | {b['true_torsions']['ari_k2']:.3f} | {b['true_torsions']['ari_k3']:.3f} | | |",
        f"| MolCT VAMP embedding | {v['ari_k2']:.3f} | {v['ari_k3']:.3f} | {v['ari_k_by_silhouette']:.3f} (k = {v['k_by_silhouette']}) | {v['ari_argmax_states']:.3f} |",
        f"| MolCT metric (RMSD) embedding | {m['ari_k2']:.3f} | {m['ari_k3']:.3f} | {m['ari_k_by_silhouette']:.3f} (k = {m['k_by_silhouette']}) | |",
        "",
        f"VAMP-2 on the held-out run (lag {A['lag_ps']} ps, {A['tica']['pairwise_distances']['dim']} "
        "dimensions + constant; maximum "
        f"{A['tica']['pairwise_distances']['dim'] + 1}):", "",
        "| model | VAMP-2 held out |", "|---|---|",
        f"| MolCT VAMPnet ({res['settings']['n_states']} soft states) | {v['vamp2_test']:.3f} |",
        f"| TICA on pairwise distances | {A['tica']['pairwise_distances']['vamp2_test']:.3f} |",
        f"| TICA on true torsions (sin, cos) | {A['tica']['true_torsions']['vamp2_test']:.3f} |", "",
        "Implied timescales of the VAMP model (ps) by lag (ps): " + "; ".join(
            f"{k}: {', '.join(f'{t:.0f}' for t in ts if t == t)}" for k, ts in v["implied_timescales_ps"].items()), "",
        f"Mirror images ({A['mirror_images']['n_frames_each']} αR frames and their reflections, "
        "KMeans k = 2, ARI): pairwise distances "
        f"{A['mirror_images']['pairwise_distances_ari']:.3f}, VAMP embedding "
        f"{A['mirror_images']['vamp_ari']:.3f}, metric embedding {A['mirror_images']['metric_ari']:.3f}.", "",
        f"Training: VAMP {v['steps']} steps in {v['fit_seconds']:.0f} s, metric {m['steps']} steps in {m['fit_seconds']:.0f} s.", "",
        f"## AdK closed → open ({res['adk']['frames']} frames, {res['adk']['beads']} CA beads)", "",
        "ARI against closed/open labels (k = 2):", "",
        "| features | KMeans | agglomerative (Ward) |", "|---|---|---|",
        f"| MolCT metric (RMSD) embedding | {res['adk']['metric_ari_k2']:.3f} | {res['adk']['metric_ari_agglomerative_k2']:.3f} |",
        f"| pairwise CA distances (baseline) | {res['adk']['pairwise_distances_ari_k2']:.3f} | {res['adk']['pairwise_distances_ari_agglomerative_k2']:.3f} |",
        f"| exact CG RMSD matrix, 2D classical MDS (bound for an RMSD embedding) | {res['adk']['exact_rmsd_mds2_ari_k2']:.3f} | {res['adk']['exact_rmsd_mds2_ari_agglomerative_k2']:.3f} |", "",
        f"Training {res['adk']['steps']} steps, {res['adk']['fit_seconds']:.0f} s, last epoch loss "
        f"{res['adk']['loss_last_epoch']:.3f} Å².", "",
        "## Speed (transform, frames/s, contended machine)", "",
    ] + [f"- {k}: {x:,.0f}" for k, x in res["speed_frames_per_s"].items()] + [
        "", "Plots: ala2_vamp.png, ala2_metric.png, adk_metric.png (PC 1–2 of the embedding, "
        "coloured by KMeans cluster and by reference state).", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ala2-index", default="/tmp/ala2_ref/INDEX.json")
    p.add_argument("--max-frames", type=int, default=4000, help="frames per alanine dipeptide run")
    p.add_argument("--lag", type=int, default=10, help="VAMP lag in frames (ps)")
    p.add_argument("--n-states", type=int, default=4)
    p.add_argument("--dim", type=int, default=16)
    p.add_argument("--model-dim", type=int, default=16, help="MolCT feature size")
    p.add_argument("--n-heads", type=int, default=2)
    p.add_argument("--n-interactions", type=int, default=1)
    p.add_argument("--epochs", type=int, default=50)
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--learning-rate", type=float, default=3e-3)
    p.add_argument("--n-pairs", type=int, default=20000)
    p.add_argument("--train-seconds", type=float, default=300.0, help="budget per Ala2 objective")
    p.add_argument("--adk-epochs", type=int, default=50)
    p.add_argument("--adk-pairs", type=int, default=2000)
    p.add_argument("--adk-train-seconds", type=float, default=300.0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--output", default=str(HERE))
    args = p.parse_args(argv)
    res = run(args)
    out = Path(args.output)
    (out / "results.json").write_text(json.dumps(res, indent=2, default=float))
    (out / "results.md").write_text(_md(res))
    print(_md(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
