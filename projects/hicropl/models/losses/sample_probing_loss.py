"""ISP's sample probing: cross-entropy re-weighted by each sample's
difficulty under the frozen CLIP (interpretation of the ISP abstract)."""
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpretrain.registry import MODELS
from ...errors import ConfigError
from ..utils.features import Features


@MODELS.register_module()
class SampleProbingLoss(nn.Module):
    """Difficulty-weighted cross-entropy (ISP's sample probing module, as
    read from the abstract: "dynamically adjusts loss coefficients based on
    sample difficulty, preventing the model from overfitting to simple
    samples")::

        p_i = softmax(zero_shot_logits_i)[y_i]     frozen CLIP, no gradient
        d_i = (1 - p_i) ** gamma                   difficulty
        w_i = d_i / mean_j d_j                     weights average 1
        loss = loss_weight * 1/N sum_i w_i CE(logits_i, y_i)

    Difficulty is measured on the frozen CLIP (``zero_shot_logits``), so the
    weights do not chase the prompted model's own fit and need no gradient;
    normalising them to mean 1 keeps the loss on the scale of plain CE (the
    same learning rate applies). Samples the frozen model already gets
    right count less, hard ones more. ``enabled=False`` (or ``gamma=0``)
    gives plain cross-entropy.

    Args:
        gamma (float): Sharpness of the weighting (>= 0). Defaults to 1.0.
        enabled (bool): Re-weight (True) or plain CE (False).
        loss_weight (float): Weight of the term. Defaults to 1.0.
        eps (float): Floor of ``mean_j d_j`` (a batch the frozen model gets
            all right with certainty). Defaults to 1e-12.
        name (str): Key of the term. Defaults to ``'loss_ce'``.

    Attributes:
        needs (frozenset[str]): ``{'zero_shot_logits'}`` when enabled.
    """

    def __init__(self,
                 gamma: float = 1.0,
                 enabled: bool = True,
                 loss_weight: float = 1.0,
                 eps: float = 1e-12,
                 name: str = 'loss_ce'):
        super().__init__()
        if gamma < 0:
            raise ConfigError(f'gamma must be >= 0, got {gamma}.')
        self.gamma = gamma
        self.enabled = enabled
        self.loss_weight = loss_weight
        self.eps = eps
        self.name = name
        self.needs = frozenset({'zero_shot_logits'} if enabled else ())

    def sample_weights(self, zero_shot_logits: torch.Tensor,
                       labels: torch.Tensor) -> torch.Tensor:
        """``w`` ``[B]`` from frozen logits ``[B, C]`` and labels ``[B]``."""
        probs = zero_shot_logits.detach().softmax(dim=-1)
        true = probs.gather(1, labels[:, None])[:, 0]  # shape = [B]
        difficulty = (1 - true).pow(self.gamma)
        return difficulty / difficulty.mean().clamp_min(self.eps)

    def forward(self, features: Features,
                labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        per_sample = F.cross_entropy(features.logits, labels,
                                     reduction='none')  # shape = [B]
        if self.enabled:
            per_sample = per_sample * self.sample_weights(
                features.zero_shot_logits, labels)
        return {self.name: self.loss_weight * per_sample.mean()}
