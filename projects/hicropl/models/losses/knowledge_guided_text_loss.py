"""KgCoOp's knowledge-guided regulariser toward hand-crafted text features."""
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpretrain.registry import MODELS
from ...errors import ConfigError
from ..utils.features import Features

CRITERIA = ('squared_l2', 'cosine')


@MODELS.register_module()
class KnowledgeGuidedTextLoss(nn.Module):
    """``loss_weight * mean_c ||w_c - w_c^clip||^2`` (KgCoOp, Eq. 4-5).

    ``w_c`` are the head's unit-norm class features ``features.text``
    ``[C, D]`` (learned prompts) and ``w_c^clip`` the frozen ones from the
    hand-crafted prompt, ``features.frozen_text`` ``[C, D]``; the loss of
    KgCoOp is ``L_ce + lambda * L_kg`` (Eq. 6, ``lambda = 8`` for ViT-B/16).

    ``criterion='cosine'`` computes ``1 - mean_c cos(w_c, w_c^clip)`` (eps
    1e-7), the form of the authors' code (``trainers/kgcoop.py``); on unit
    vectors it is half the squared distance, so the same ``lambda`` weighs
    the regulariser half as much as in the paper's Eq. 4.

    Args:
        loss_weight (float): ``lambda``. Defaults to 8.0.
        criterion (str): ``'squared_l2'`` (paper) or ``'cosine'`` (authors'
            code).
        name (str): Key of the term. Defaults to ``'loss_kg'``.

    Attributes:
        needs (frozenset[str]): ``{'frozen_text'}``.
    """
    needs = frozenset({'frozen_text'})

    def __init__(self,
                 loss_weight: float = 8.0,
                 criterion: str = 'squared_l2',
                 name: str = 'loss_kg'):
        super().__init__()
        if criterion not in CRITERIA:
            raise ConfigError(f'criterion must be one of {CRITERIA}, got '
                             f'{criterion!r}')
        self.loss_weight = loss_weight
        self.criterion = criterion
        self.name = name

    def forward(self, features: Features,
                labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The weighted term; ``labels`` are unused."""
        text, frozen = features.text, features.frozen_text
        if self.criterion == 'squared_l2':
            distance = (text - frozen).pow(2).sum(-1).mean()
        else:
            distance = 1 - F.cosine_similarity(
                text, frozen, dim=-1, eps=1e-7).mean()
        return {self.name: self.loss_weight * distance}
