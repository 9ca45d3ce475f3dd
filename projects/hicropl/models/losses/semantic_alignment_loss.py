"""HISF's semantic-alignment loss (Eq. 10)."""
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpretrain.registry import MODELS
from ..utils.features import Features


@MODELS.register_module()
class SemanticAlignmentLoss(nn.Module):
    """``lambda_2 * L_sa``, ``L_sa = 1/N sum_i (1 - cos(z_v, z_t))``
    (HISF, Eq. 10, weighted as in Eq. 12).

    ``z_v`` is sample ``i``'s final image feature ``features.image[i]``
    ``[D]`` and ``z_t`` the final text feature of its ground-truth class,
    ``features.text[y_i]`` (``features.text[i, y_i]`` for per-image class
    features ``[B, C, D]``): both after the hierarchical fusion.

    Args:
        loss_weight (float): ``lambda_2``. Defaults to 1.0 (the preprint
            gives no value).
        name (str): Key of the term. Defaults to ``'loss_sa'``.

    Attributes:
        needs (frozenset[str]): No frozen features.
    """
    needs = frozenset()

    def __init__(self, loss_weight: float = 1.0, name: str = 'loss_sa'):
        super().__init__()
        self.loss_weight = loss_weight
        self.name = name

    def forward(self, features: Features,
                labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        text = features.text
        if text.dim() == 3:  # shape = [B, C, D]
            text = text[torch.arange(labels.shape[0], device=labels.device),
                        labels]
        else:
            text = text[labels]  # shape = [B, D]
        cosine = F.cosine_similarity(features.image, text, dim=-1)
        return {self.name: self.loss_weight * (1 - cosine).mean()}
