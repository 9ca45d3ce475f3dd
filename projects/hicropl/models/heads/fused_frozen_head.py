"""HiCroPL's scoring: prompted features fused with the frozen ones."""
import dataclasses

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmpretrain.registry import MODELS
from ..utils.features import Features, cosine_logits


@MODELS.register_module()
class FusedFrozenHead(BaseModule):
    """Cosine logits of prompted features added to the frozen ones.

    ``img = norm(norm(f_img) + f_img_frozen)``,
    ``txt = norm(norm(f_txt) + f_txt_frozen)`` (both frozen features unit
    norm), ``logits = exp(logit_scale) * img @ txt.T`` (HiCroPL, Eq. 1 and
    reference README 4e).

    Attributes:
        needs (frozenset[str]): ``frozen_image`` and ``frozen_text``.
    """
    needs = frozenset({'frozen_image', 'frozen_text'})

    def image_features(self, image_raw: torch.Tensor,
                       frozen_image: torch.Tensor) -> torch.Tensor:
        """Final image features ``[B, D]`` from the prompted ``[B, D]`` and
        the frozen (unit-norm) ones."""
        return F.normalize(
            F.normalize(image_raw, dim=-1) + frozen_image, dim=-1)

    def forward(self, features: Features) -> Features:
        """Fill ``image`` ``[B, D]``, ``text`` ``[C, D]`` / ``[B, C, D]``
        and ``logits`` ``[B, C]`` of ``features`` (a new object)."""
        image = self.image_features(features.image_raw,
                                    features.frozen_image)
        text = F.normalize(
            F.normalize(features.text_raw, dim=-1) + features.frozen_text,
            dim=-1)
        return dataclasses.replace(
            features, image=image, text=text,
            logits=cosine_logits(image, text, features.logit_scale))
