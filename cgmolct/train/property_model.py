"""A multi-task model of graph labels: atomwise readout for extensive columns, graph readout
for intensive ones (QM9: U0, U, H, G atomwise with per-element references; the others pooled).

.. math::
    y_{m,k} = \\sum_{i\\in m} (s_k o_{ik} + b_k + y^{ref}_{t_i,k})  \\quad (k\\ \\text{atomwise})

    y_{m,k} = s_k\\, g_k(\\mathrm{pool}_i\\, n_i) + b_k  \\quad (k\\ \\text{graph})

Output (B, L) in the physical units of the label columns, in the column order given.
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence

import numpy as np
from mindspore import Parameter, Tensor, nn, ops

from ..errors import ModelError
from ..models.base import RepresentationModel
from ..models.registry import register
from ..readouts.graph import GraphReadout
from ..readouts.node import NodeReadout

__all__ = ["PropertyModel"]


@register
class PropertyModel(nn.Cell):
    """Representation + atomwise (:class:`NodeReadout`) and graph (:class:`GraphReadout`) heads.

    Parameters
    ----------
    representation : RepresentationModel
    node_readout : NodeReadout or None
        Outputs the atomwise columns (``atomwise_columns``) with its own scale/shift/refs.
    graph_readout : GraphReadout or None
        Outputs the graph columns (its ``dim_out`` = number of graph columns).
    atomwise_columns, graph_columns : sequence of int
        Positions of each head's outputs in the label vector.
    graph_scale, graph_shift : sequence of float
        Scale and shift of the graph columns (label units).

    Returns
    -------
    (B, L) labels in physical units.
    """

    def __init__(self, representation: RepresentationModel, node_readout: Optional[NodeReadout],
                 graph_readout: Optional[GraphReadout], atomwise_columns: Sequence[int] = (),
                 graph_columns: Sequence[int] = (), graph_scale: Sequence[float] = (),
                 graph_shift: Sequence[float] = ()):
        super().__init__()
        self.atomwise_columns = [int(c) for c in atomwise_columns]
        self.graph_columns = [int(c) for c in graph_columns]
        n_labels = len(self.atomwise_columns) + len(self.graph_columns)
        if sorted(self.atomwise_columns + self.graph_columns) != list(range(n_labels)):
            raise ModelError(f"PropertyModel: columns {self.atomwise_columns} + {self.graph_columns} "
                             f"must be a permutation of 0..{n_labels - 1}")
        if (node_readout is None) != (not self.atomwise_columns) or \
                (graph_readout is None) != (not self.graph_columns):
            raise ModelError("PropertyModel: a readout is needed exactly for non-empty column lists")
        if node_readout is not None and node_readout.n_outputs != len(self.atomwise_columns):
            raise ModelError(f"PropertyModel: node readout has {node_readout.n_outputs} outputs; "
                             f"{len(self.atomwise_columns)} atomwise columns")
        if graph_readout is not None and graph_readout.dim_out != len(self.graph_columns):
            raise ModelError(f"PropertyModel: graph readout has {graph_readout.dim_out} outputs; "
                             f"{len(self.graph_columns)} graph columns")
        ng = len(self.graph_columns)
        scale = np.asarray(graph_scale if len(graph_scale) else np.ones(ng), np.float32).reshape(-1)
        shift = np.asarray(graph_shift if len(graph_shift) else np.zeros(ng), np.float32).reshape(-1)
        if scale.shape != (ng,) or shift.shape != (ng,):
            raise ModelError(f"PropertyModel: graph_scale/graph_shift need {ng} values each")
        self.representation = representation
        self.node_readout = node_readout
        self.graph_readout = graph_readout
        self.has_node = node_readout is not None
        self.has_graph = graph_readout is not None
        self.graph_scale = Parameter(Tensor(scale if ng else np.ones(1, np.float32)),
                                     name="graph_scale", requires_grad=False)
        self.graph_shift = Parameter(Tensor(shift if ng else np.zeros(1, np.float32)),
                                     name="graph_shift", requires_grad=False)
        order = np.argsort(np.array(self.atomwise_columns + self.graph_columns))
        self.order = Tensor(order.astype(np.int32))

    def get_config(self) -> Dict:
        ng = len(self.graph_columns)
        return dict(representation=self.representation, node_readout=self.node_readout,
                    graph_readout=self.graph_readout, atomwise_columns=self.atomwise_columns,
                    graph_columns=self.graph_columns,
                    graph_scale=[float(v) for v in self.graph_scale.asnumpy()[:ng]],
                    graph_shift=[float(v) for v in self.graph_shift.asnumpy()[:ng]])

    def construct(self, types, positions, atom_mask, neighbours, neighbour_mask,
                  rel_neighbours, rel_codes, rel_mask):
        h = self.representation(types, positions, atom_mask, neighbours, neighbour_mask,
                                rel_neighbours, rel_codes, rel_mask)
        parts = []
        if self.has_node:
            parts.append(self.node_readout(h, types, atom_mask))
        if self.has_graph:
            parts.append(self.graph_readout(h, atom_mask) * self.graph_scale + self.graph_shift)
        y = parts[0] if len(parts) == 1 else ops.concat(parts, 1)
        return ops.gather(y, self.order, 1)
