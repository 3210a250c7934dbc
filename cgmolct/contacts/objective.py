"""The training objective of a contact model: binary cross-entropy of pair logits.

For the trainer's contract: a cell whose class attribute ``INPUTS`` lists the batch keys it
takes positionally and whose ``construct`` returns a scalar loss.  Labels may be 0/1
contacts or ensemble frequencies in [0, 1] (BCE against a soft target).
"""
from __future__ import annotations

from mindspore import nn, ops

from ..data import keys as K
from ..train.losses import EdgeBCELoss

__all__ = ["ContactObjective"]


class ContactObjective(nn.Cell):
    """Mean BCE over real pairs of ``model`` (a :class:`~cgmolct.contacts.model.ContactModel`).

    .. math:: L = -\\frac{1}{\\sum m}\\sum_{bp} m_{bp}\\, w_{bp}\\,[y\\log\\sigma(z) +
              (1-y)\\log(1-\\sigma(z))],\\quad w = 1 + (w_+ - 1)\\,y

    Parameters
    ----------
    model : ContactModel
    pos_weight : float
        Weight w₊ of contacts (default 1).
    """

    INPUTS = K.MODEL_INPUTS + (K.PAIRS, K.PAIR_CODES, K.PAIR_MASK, K.CONTACTS)

    def __init__(self, model: nn.Cell, pos_weight: float = 1.0):
        super().__init__()
        self.model = model
        self.loss = EdgeBCELoss(pos_weight)

    def construct(self, types, positions, atom_mask, neighbours, neighbour_mask,
                  rel_neighbours, rel_codes, rel_mask, pairs, pair_codes, pair_mask, contacts):
        logits = self.model(types, positions, atom_mask, neighbours, neighbour_mask,
                            rel_neighbours, rel_codes, rel_mask, pairs, pair_codes, pair_mask)
        return self.loss(logits, contacts, ops.cast(pair_mask, logits.dtype))
