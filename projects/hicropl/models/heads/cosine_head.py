"""Plain CLIP scoring: cosine similarity of normalised features."""
import dataclasses
from typing import Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmpretrain.registry import MODELS
from ..utils.features import Features, cosine_logits


@MODELS.register_module()
class CosineHead(BaseModule):
    """``logits = exp(logit_scale) * norm(f_img) @ norm(f_txt).T``.

    The scoring of CLIP and of CoOp, CoCoOp, IVLP, MaPLe and PromptSRC
    (reference README, section 9): the prompted tower outputs are
    L2-normalised and compared.

    Attributes:
        needs (frozenset[str]): No frozen features.
    """
    needs = frozenset()

    def image_features(self, image_raw: torch.Tensor,
                       frozen_image: Optional[torch.Tensor] = None
                       ) -> torch.Tensor:
        """Final image features: the prompted ones ``[B, D]``, unit norm."""
        return F.normalize(image_raw, dim=-1)

    def forward(self, features: Features) -> Features:
        """Fill ``image`` ``[B, D]``, ``text`` ``[C, D]`` / ``[B, C, D]``
        and ``logits`` ``[B, C]`` of ``features`` (a new object)."""
        image = self.image_features(features.image_raw)
        text = F.normalize(features.text_raw, dim=-1)
        return dataclasses.replace(
            features, image=image, text=text,
            logits=cosine_logits(image, text, features.logit_scale))
