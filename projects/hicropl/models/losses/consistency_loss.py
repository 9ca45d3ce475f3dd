"""Consistency between prompted and frozen CLIP features (paper Eq. 5)."""
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpretrain.registry import MODELS
from ...errors import ConfigError
from ..utils.features import Features

CRITERIA = ('cosine', 'l1', 'mse')


@MODELS.register_module()
class ConsistencyLoss(nn.Module):
    """``loss_weight * (d(W, W_frozen) + d(V, V_frozen))`` (Eq. 5-6).

    ``d`` is ``1 - mean cosine similarity`` (``'cosine'``, the paper's),
    the mean absolute error (``'l1'``) or the mean squared error (``'mse'``).

    ``W`` / ``V`` are the head's final class / image features and
    ``W_frozen`` / ``V_frozen`` the frozen ones (reference README 4f).

    Args:
        criterion (str): ``'cosine'``, ``'l1'`` or ``'mse'``.
        loss_weight (float): ``lambda`` of Eq. 6.
        eps (float): Cosine-similarity epsilon.

    Attributes:
        needs (frozenset[str]): ``frozen_image`` and ``frozen_text``.
    """
    needs = frozenset({'frozen_image', 'frozen_text'})

    def __init__(self,
                 criterion: str = 'cosine',
                 loss_weight: float = 12.0,
                 eps: float = 1e-7):
        super().__init__()
        if criterion not in CRITERIA:
            raise ConfigError(f'criterion must be one of {CRITERIA}, got '
                             f'{criterion!r}')
        self.criterion = criterion
        self.loss_weight = loss_weight
        self.eps = eps

    def distance(self, features: torch.Tensor,
                 frozen: torch.Tensor) -> torch.Tensor:
        """Unweighted distance between ``[N, D]`` feature sets (a scalar)."""
        if self.criterion == 'cosine':
            return 1 - F.cosine_similarity(
                features, frozen, dim=-1, eps=self.eps).mean()
        if self.criterion == 'l1':
            return F.l1_loss(features, frozen)
        return F.mse_loss(features, frozen)

    def forward(self, features: Features,
                labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Weighted text and image terms.

        Reads ``features.text`` ``[C, D]`` vs ``features.frozen_text``
        ``[C, D]`` and ``features.image`` ``[B, D]`` vs
        ``features.frozen_image`` ``[B, D]``; ``labels`` are unused.
        """
        return dict(
            loss_text_consistency=self.loss_weight *
            self.distance(features.text, features.frozen_text),
            loss_image_consistency=self.loss_weight *
            self.distance(features.image, features.frozen_image))
