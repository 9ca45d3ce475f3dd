"""HISF's label-embedding constraint (Eq. 9)."""
from typing import Dict

import torch
import torch.nn as nn

from mmpretrain.registry import MODELS
from ..utils.features import Features


@MODELS.register_module()
class LabelEmbeddingLoss(nn.Module):
    """``lambda_1 * L_le``, ``L_le = 1/N sum_i ||P_final - E_i||_2``
    (HISF, Eq. 9, weighted as in Eq. 12).

    ``P_final`` are the learner's final text prompts in the label space,
    ``features.learner_aux['label_space_prompts']`` ``[J, D]`` (one per
    prompted layer, unit norm; :class:`HISFPromptLearner`), ``E_i`` the
    label embedding of sample ``i``'s ground-truth class,
    ``features.frozen_text[y_i]`` ``[D]`` (unit norm). The distance is
    averaged over the ``J`` layers and the ``N`` samples of the batch::

        L_le = 1 / (N J) sum_i sum_l ||P_final^l - E_{y_i}||_2

    Args:
        loss_weight (float): ``lambda_1``. Defaults to 1.0 (the preprint
            gives no value).
        name (str): Key of the term. Defaults to ``'loss_le'``.
        key (str): Key of ``P_final`` in ``features.learner_aux``.

    Attributes:
        needs (frozenset[str]): ``{'frozen_text'}``.
    """
    needs = frozenset({'frozen_text'})

    def __init__(self,
                 loss_weight: float = 1.0,
                 name: str = 'loss_le',
                 key: str = 'label_space_prompts'):
        super().__init__()
        self.loss_weight = loss_weight
        self.name = name
        self.key = key

    def forward(self, features: Features,
                labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        prompts = features.learner_aux[self.key]  # [J, D]
        targets = features.frozen_text[labels]  # shape = [N, D]
        distance = (prompts[None] - targets[:, None]).norm(dim=-1)  # [N, J]
        return {self.name: self.loss_weight * distance.mean()}
