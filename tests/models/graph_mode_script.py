"""Run in a subprocess by test_graph_mode.py: the models in GRAPH mode (prints JSON)."""
from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("GLOG_v", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

import numpy as np  # noqa: E402
import mindspore as ms  # noqa: E402


def main(mode: str) -> dict:
    ms.set_context(mode=ms.GRAPH_MODE if mode == "graph" else ms.PYNATIVE_MODE)
    from cgmolct.models import MolCT, as_model_inputs
    from cgmolct.readouts import EnergyForceModel, ForceMatchingStep, NodeReadout
    from tests.models.helpers import ethanol_like, make_batch

    ms.set_seed(0)
    rep = MolCT(dim=16, n_heads=2, n_interactions=1, max_cycles=2, fixed_cycles=True, r_cut=6.0)
    ms.set_seed(1)
    model = EnergyForceModel(rep, NodeReadout(16, scale=2.0))
    batch = make_batch([ethanol_like(0), ethanol_like(1, n=6)])
    x = as_model_inputs(batch)
    e, f = model(*x)
    out = {"energy": e.asnumpy().tolist(), "forces": f.asnumpy().tolist()}
    # chunked energy + forces (compiled chunk graphs and their VJPs) give the same values
    from cgmolct.readouts import ChunkedEnergyForces
    from tests.models.helpers import inputs
    ce, cf = ChunkedEnergyForces(model, chunk_size=4)(*inputs(batch))
    out["chunked_energy"], out["chunked_forces"] = ce.tolist(), cf.tolist()
    # ACT caps: training vs inference in a compiled graph
    ms.set_seed(2)
    act = MolCT(dim=16, n_heads=2, n_interactions=1, max_cycles=2, max_inference_cycles=4, r_cut=6.0)
    act.blocks[0].ponder.out.bias.set_data(ms.Tensor(np.full((1,), -12.0, np.float32)))
    act.set_output_details(True)
    act.set_train(True)
    steps_train = act(*x)[2].asnumpy()
    act.set_train(False)
    steps_eval = act(*x)[2].asnumpy()
    out["steps_train"] = float(steps_train.max())
    out["steps_eval"] = float(steps_eval.max())
    step = ForceMatchingStep(model, ms.nn.Adam(model.trainable_params(), learning_rate=3e-3))
    fref = ms.Tensor(np.asarray(f.asnumpy()) * 0.0 + 0.3)
    eref = ms.Tensor(np.zeros(2, np.float32))
    out["losses"] = [float(step(*x, eref, fref)[0].asnumpy()) for _ in range(6)]
    return out


if __name__ == "__main__":
    print("RESULT " + json.dumps(main(sys.argv[1])))
