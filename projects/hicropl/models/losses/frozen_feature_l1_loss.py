"""L1 distance of prompted to frozen CLIP features (PromptSRC Eq. 3-4)."""
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpretrain.registry import MODELS
from ...errors import ConfigError
from ..utils.features import Features

TARGETS = ('text', 'image')


@MODELS.register_module()
class FrozenFeatureL1Loss(nn.Module):
    """``loss_weight * mean |f - f_frozen|`` on one tower's features.

    PromptSRC's self-consistency terms: ``L_SCL-text`` (Eq. 3) compares the
    head's class features ``features.text`` ``[C, D]`` with the frozen class
    text features ``features.frozen_text`` ``[C, D]`` (PromptSRC: the
    template ensemble), ``L_SCL-image`` (Eq. 4) the image features
    ``features.image`` ``[B, D]`` with ``features.frozen_image`` ``[B, D]``;
    the mean runs over all elements (``F.l1_loss``, as the authors' code).

    Args:
        target (str): ``'text'`` or ``'image'``.
        loss_weight (float): ``lambda_1`` (text; 25 in the authors' configs)
            or ``lambda_2`` (image; 10).
        name (str, optional): Key of the term. Defaults to
            ``'loss_scl_<target>'``.

    Attributes:
        needs (frozenset[str]): ``{'frozen_text'}`` or ``{'frozen_image'}``.
    """

    def __init__(self,
                 target: str = 'text',
                 loss_weight: float = 1.0,
                 name: str = ''):
        super().__init__()
        if target not in TARGETS:
            raise ConfigError(f'target must be one of {TARGETS}, got '
                             f'{target!r}')
        self.target = target
        self.loss_weight = loss_weight
        self.name = name or f'loss_scl_{target}'
        self.needs = frozenset({f'frozen_{target}'})

    def forward(self, features: Features,
                labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The weighted term; ``labels`` are unused."""
        prompted = getattr(features, self.target)
        frozen = getattr(features, f'frozen_{self.target}')
        return {self.name: F.l1_loss(prompted, frozen) * self.loss_weight}
