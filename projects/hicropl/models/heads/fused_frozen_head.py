"""HiCroPL's scoring: prompted features fused with the frozen ones."""
import dataclasses

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmpretrain.registry import MODELS
from ...errors import ConfigError
from ..utils.features import Features, cosine_logits

# Which features HiCroPL's logits compare (Eq. 4 vs the authors' code).
LOGITS_FROM = ('fused', 'prompted')


@MODELS.register_module()
class FusedFrozenHead(BaseModule):
    """Cosine logits of prompted features added to the frozen ones.

    ``img = norm(norm(f_img) + f_img_frozen)``,
    ``txt = norm(norm(f_txt) + f_txt_frozen)`` (both frozen features unit
    norm), ``logits = exp(logit_scale) * img @ txt.T`` (HiCroPL, Eq. 1 and
    reference README 4e).

    ``logits_from='prompted'`` reads Eq. 4 literally: the logits compare the
    prompted features alone, ``norm(f_img) @ norm(f_txt).T``; ``image`` and
    ``text`` stay the fused features, so the consistency loss (Eq. 5) is
    the same in both modes.

    Args:
        logits_from (str): ``'fused'`` (the authors' code, default) or
            ``'prompted'`` (Eq. 4 as written).

    Attributes:
        needs (frozenset[str]): ``frozen_image`` and ``frozen_text``.
    """
    needs = frozenset({'frozen_image', 'frozen_text'})

    def __init__(self, logits_from: str = 'fused', init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if logits_from not in LOGITS_FROM:
            raise ConfigError(
                f'logits_from={logits_from!r} is not one of {LOGITS_FROM}; '
                f'set model.head.logits_from to one of them.')
        self.logits_from = logits_from

    def image_features(self, image_raw: torch.Tensor,
                       frozen_image: torch.Tensor) -> torch.Tensor:
        """Image features ``[B, D]`` the logits compare: from the prompted
        ``[B, D]`` and the frozen (unit-norm) ones, or the prompted ones
        alone with ``logits_from='prompted'``."""
        if self.logits_from == 'prompted':
            return F.normalize(image_raw, dim=-1)
        return self._fuse(image_raw, frozen_image)

    @staticmethod
    def _fuse(raw: torch.Tensor, frozen: torch.Tensor) -> torch.Tensor:
        """``norm(norm(raw) + frozen)`` (``[..., D]``)."""
        return F.normalize(
            F.normalize(raw, dim=-1) + frozen, dim=-1)

    def forward(self, features: Features) -> Features:
        """Fill ``image`` ``[B, D]``, ``text`` ``[C, D]`` / ``[B, C, D]``
        and ``logits`` ``[B, C]`` of ``features`` (a new object)."""
        image = self._fuse(features.image_raw, features.frozen_image)
        text = self._fuse(features.text_raw, features.frozen_text)
        if self.logits_from == 'prompted':
            logits = cosine_logits(
                F.normalize(features.image_raw, dim=-1),
                F.normalize(features.text_raw, dim=-1), features.logit_scale)
        else:
            logits = cosine_logits(image, text, features.logit_scale)
        return dataclasses.replace(
            features, image=image, text=text, logits=logits)
