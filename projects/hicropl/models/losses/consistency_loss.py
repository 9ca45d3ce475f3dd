"""Consistency between prompted and frozen CLIP features (paper Eq. 5)."""
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpretrain.registry import MODELS

CRITERIA = ('cosine', 'l1', 'mse')


@MODELS.register_module()
class ConsistencyLoss(nn.Module):
    """``loss_weight * (d(W, W_frozen) + d(V, V_frozen))`` (Eq. 5-6).

    ``d`` is ``1 - mean cosine similarity`` (``'cosine'``, the paper's),
    the mean absolute error (``'l1'``) or the mean squared error (``'mse'``).

    Args:
        criterion (str): ``'cosine'``, ``'l1'`` or ``'mse'``.
        loss_weight (float): ``lambda`` of Eq. 6.
        eps (float): Cosine-similarity epsilon.
    """

    def __init__(self,
                 criterion: str = 'cosine',
                 loss_weight: float = 12.0,
                 eps: float = 1e-7):
        super().__init__()
        if criterion not in CRITERIA:
            raise ValueError(f'criterion must be one of {CRITERIA}, got '
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

    def forward(self, text_features: torch.Tensor, frozen_text: torch.Tensor,
                image_features: torch.Tensor,
                frozen_image: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Weighted text and image terms.

        Args:
            text_features (Tensor): Class features ``[C, D]``.
            frozen_text (Tensor): Frozen class features ``[C, D]``.
            image_features (Tensor): Image features ``[B, D]``.
            frozen_image (Tensor): Frozen image features ``[B, D]``.
        """
        return dict(
            loss_text_consistency=self.loss_weight *
            self.distance(text_features, frozen_text),
            loss_image_consistency=self.loss_weight *
            self.distance(image_features, frozen_image))
