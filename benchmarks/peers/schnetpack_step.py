"""SchNetPack side of ``benchmarks/bench_training.py --peers``: frames/s of one force-matching
training step of SchNetPack's SchNet (3 interactions, 128 features, 64 Gaussians, cosine
cutoff — the sizes of cgmolct's SchNet3) on the same batches as cgmolct.

A harness around the installed library only (run with ``.venv-peers/bin/python``, made by
``make bench-peers``); it prints one ``RESULT {json}`` line.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np


def _pairs(positions: np.ndarray, cutoff: float):
    diff = positions[None, :, :] - positions[:, None, :]
    d = np.sqrt((diff ** 2).sum(-1))
    i, j = np.nonzero((d < cutoff) & ~np.eye(len(positions), dtype=bool))
    return i, j


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--system", choices=("md17", "adk_ca"), required=True)
    p.add_argument("--md17", required=True)
    p.add_argument("--adk", required=True)
    p.add_argument("--repeats", type=int, default=24)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--cutoff", type=float, default=10.0)
    args = p.parse_args()

    import torch
    import schnetpack as spk
    from schnetpack import properties as P

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.system == "md17":
        d = np.load(args.md17)
        z, r, f, bs = d["z"].reshape(-1).astype(np.int64), d["R"].astype(np.float32), d["F"].astype(np.float32), 32
    else:
        d = np.load(args.adk)
        z, r, f, bs = d["z"].astype(np.int64), d["R"].astype(np.float32), d["F"].astype(np.float32), 4
    cutoff = args.cutoff
    # bead types of CG graphs go beyond the 100 elements of the default embedding
    embedding = torch.nn.Embedding(int(z.max()) + 1, 128, padding_idx=0)
    rep = spk.representation.SchNet(n_atom_basis=128, n_interactions=3,
                                    radial_basis=spk.nn.GaussianRBF(n_rbf=64, cutoff=cutoff),
                                    cutoff_fn=spk.nn.CosineCutoff(cutoff),
                                    nuclear_embedding=embedding)
    model = spk.model.NeuralNetworkPotential(
        representation=rep, input_modules=[spk.atomistic.PairwiseDistances()],
        output_modules=[spk.atomistic.Atomwise(n_in=128, output_key="energy"),
                        spk.atomistic.Forces(energy_key="energy", force_key="forces")])
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    n = len(z)
    batches = []
    for k in range(4):
        idx = np.arange(k * bs, (k + 1) * bs) % len(r)
        ii, jj, off = [], [], 0
        for m in idx:
            i, j = _pairs(r[m], cutoff)
            ii.append(i + off)
            jj.append(j + off)
            off += n
        batch = {P.Z: torch.tensor(np.tile(z, bs)), P.R: torch.tensor(r[idx].reshape(-1, 3)),
                 P.idx_m: torch.tensor(np.repeat(np.arange(bs), n)),
                 P.idx_i: torch.tensor(np.concatenate(ii)), P.idx_j: torch.tensor(np.concatenate(jj)),
                 P.offsets: torch.zeros((sum(len(x) for x in ii), 3)),
                 P.n_atoms: torch.full((bs,), n), "target": torch.tensor(f[idx].reshape(-1, 3))}
        batches.append(batch)

    def step(batch):
        inputs = {k: (v.clone() if k == P.R else v) for k, v in batch.items() if k != "target"}
        out = model(inputs)
        loss = ((out["forces"] - batch["target"]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss.detach())

    t0 = time.perf_counter()
    step(batches[0])
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for k in range(args.repeats):
        step(batches[k % 4])
    fps = args.repeats * bs / (time.perf_counter() - t0)
    print("RESULT " + json.dumps({
        "side": "schnetpack", "model": "SchNetPack SchNet3", "system": args.system,
        "batch_size": bs, "frames_per_s": round(fps, 1), "first_step_s": round(first_s, 2),
        "n_params": int(sum(p.numel() for p in model.parameters())),
        "threads": args.threads, "torch": torch.__version__, "schnetpack": spk.__version__,
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()]}), flush=True)


if __name__ == "__main__":
    main()
