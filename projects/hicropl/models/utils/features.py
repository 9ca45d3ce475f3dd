"""The features of one forward, as heads and losses read them."""
from dataclasses import dataclass, field
from typing import Dict, Optional

import torch

__all__ = ['FROZEN_FEATURES', 'Features', 'cosine_logits']

# Frozen (zero-shot CLIP) features a head, a loss or a prompt learner may
# declare in its ``needs``; the classifier computes only those asked for.
FROZEN_FEATURES = ('frozen_image', 'frozen_text', 'zero_shot_logits')


@dataclass
class Features:
    """Everything a head or a loss may read.

    ``C`` classes, ``B`` images, ``D`` the joint embedding width.

    Attributes:
        image_raw (Tensor): Prompted image-tower output ``[B, D]``.
        text_raw (Tensor): Prompted text-tower output of the class prompts,
            ``[C, D]`` or ``[B, C, D]`` (image-conditioned prompts).
        logit_scale (Tensor): CLIP's learned log temperature (scalar).
        frozen_image (Tensor, optional): Frozen CLIP image features,
            unit norm ``[B, D]``.
        frozen_text (Tensor, optional): Frozen class text features (class
            descriptions or templates), unit norm ``[C, D]``.
        zero_shot_logits (Tensor, optional): Frozen CLIP logits
            ``exp(logit_scale) * frozen_image @ frozen_text.T`` ``[B, C]``.
        image (Tensor, optional): Final image features (set by the head).
        text (Tensor, optional): Final class features (set by the head).
        logits (Tensor, optional): ``[B, C]`` (set by the head).
        learner_aux (dict[str, Tensor]): The prompt learner's further
            outputs for its loss parts (``PromptSet.aux``).
    """
    image_raw: torch.Tensor
    text_raw: torch.Tensor
    logit_scale: torch.Tensor
    frozen_image: Optional[torch.Tensor] = None
    frozen_text: Optional[torch.Tensor] = None
    zero_shot_logits: Optional[torch.Tensor] = None
    image: Optional[torch.Tensor] = None
    text: Optional[torch.Tensor] = None
    logits: Optional[torch.Tensor] = None
    learner_aux: Dict[str, torch.Tensor] = field(default_factory=dict)


def cosine_logits(image: torch.Tensor, text: torch.Tensor,
                  logit_scale: torch.Tensor) -> torch.Tensor:
    """CLIP logits ``exp(logit_scale) * image @ text.T`` (paper Eq. 1).

    Args:
        image (Tensor): Unit-norm image features ``[B, D]``.
        text (Tensor): Unit-norm class features ``[C, D]``, or ``[B, C, D]``
            (one set per image).
        logit_scale (Tensor): Log temperature (scalar).

    Returns:
        Tensor: ``[B, C]``.
    """
    if text.dim() == 3:
        scores = torch.einsum('bd,bcd->bc', image, text)
    else:
        scores = image @ text.t()
    return logit_scale.exp() * scores
