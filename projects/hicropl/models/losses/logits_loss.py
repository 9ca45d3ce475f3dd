"""A classification loss on the logits, as one part of the loss list."""
from typing import Dict

import torch
import torch.nn as nn

from mmpretrain.registry import MODELS
from ..utils.features import Features


@MODELS.register_module()
class LogitsLoss(nn.Module):
    """Any MMPretrain classification loss on ``features.logits``.

    The cross-entropy of every prompt-learning method (HiCroPL Eq. 4).

    Args:
        loss (dict): The loss on ``(logits [B, C], labels [B])``.
            Defaults to ``CrossEntropyLoss``.
        name (str): Key of the term in the loss dict. Defaults to
            ``'loss_ce'``.

    Attributes:
        needs (frozenset[str]): No frozen features.
    """
    needs = frozenset()

    def __init__(self,
                 loss: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
                 name: str = 'loss_ce'):
        super().__init__()
        self.loss = MODELS.build(loss) if isinstance(loss, dict) else loss
        self.name = name

    def forward(self, features: Features,
                labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        return {self.name: self.loss(features.logits, labels)}
