"""KL divergence of the prompted to the zero-shot logits (PromptSRC Eq. 5)."""
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpretrain.registry import MODELS
from ...errors import ConfigError
from ..utils.features import Features

REDUCTIONS = ('numel', 'batchmean')


@MODELS.register_module()
class ZeroShotKLLoss(nn.Module):
    """``loss_weight * KL(p_zs || p) / N`` with ``p = softmax(logits)``,
    ``p_zs = softmax(zero_shot_logits)`` over the classes (PromptSRC
    ``L_SCL-logits``, Eq. 5)::

        sum_{b, c} p_zs[b, c] * (log p_zs[b, c] - log p[b, c]) / N

    ``N`` is ``B * C``, the number of logits (``reduction='numel'``: the
    authors' code, ``kl_div(..., reduction='sum') * 1 / numel``, reference
    README 13c) or ``B`` (``'batchmean'``: the KL divergence per image, as
    the paper writes it).

    Args:
        loss_weight (float): Weight of the term (1 in the authors' code).
        reduction (str): ``'numel'`` (authors' code) or ``'batchmean'``.
        name (str): Key of the term. Defaults to ``'loss_scl_logits'``.

    Attributes:
        needs (frozenset[str]): ``{'zero_shot_logits'}``.
    """
    needs = frozenset({'zero_shot_logits'})

    def __init__(self,
                 loss_weight: float = 1.0,
                 reduction: str = 'numel',
                 name: str = 'loss_scl_logits'):
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ConfigError(f'reduction must be one of {REDUCTIONS}, got '
                             f'{reduction!r}')
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.name = name

    def forward(self, features: Features,
                labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Reads ``features.logits`` and ``features.zero_shot_logits``
        (``[B, C]`` each); ``labels`` are unused."""
        logits = features.logits
        kl = F.kl_div(
            F.log_softmax(logits, dim=1),
            F.log_softmax(features.zero_shot_logits, dim=1),
            reduction='sum',
            log_target=True)
        count = logits.numel() if self.reduction == 'numel' else len(logits)
        return {self.name: kl * (1 / count) * self.loss_weight}
