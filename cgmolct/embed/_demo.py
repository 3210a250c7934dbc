"""Demo step "embed": a metric embedder on the AdK closed → open path, clustered and plotted.

Called by ``cgmolct demo`` (see :mod:`cgmolct.demo`); writes ``embed/`` into the output.
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Dict


def run_embed_demo(out: Path, max_seconds: float = 60.0) -> Dict[str, object]:
    """Train a small metric (CG RMSD) embedder on AdK (CA map, 98 frames), cluster it with
    KMeans (k by silhouette), score against closed/open labels and plot it."""
    from MDAnalysisTests import datafiles as mdt

    import topologies

    from ..analysis.clustering import adjusted_rand, cluster, plot_embedding
    from .embedder import MolCTEmbedder
    from .states import closed_open

    folder = Path(out) / "embed"
    folder.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = topologies.build_graph(mdt.PSF, mdt.DCD, mapping="ca")
    emb = MolCTEmbedder(objective="metric", model_dim=16, n_heads=2, n_interactions=1, dim=8,
                        mirror_augment=False,
                        n_pairs=256, epochs=2, batch_size=16, max_seconds=max_seconds)
    x = emb.fit_transform(graph)
    res = cluster(x, "kmeans")
    ari = adjusted_rand(closed_open(graph.positions), res["labels"])
    plot_embedding(x, res["labels"], folder / "adk_embedding.png",
                   title="AdK closed -> open: MolCT metric embedding",
                   reference=closed_open(graph.positions))
    summary = {"frames": graph.n_frames, "beads": graph.n_beads, "n_clusters": res["n_clusters"],
               "silhouette": res["silhouette"], "ari_closed_open": ari,
               "training_steps": emb.history_["steps"]}
    (folder / "embed.json").write_text(json.dumps(summary, indent=2))
    return {"ok": bool(res["n_clusters"] >= 2),
            "summary": f"AdK {graph.n_frames} frames embedded (metric objective, "
                       f"{emb.history_['steps']} steps), {res['n_clusters']} KMeans clusters by "
                       f"silhouette, ARI vs closed/open {ari:.2f}; plot {folder / 'adk_embedding.png'}"}
