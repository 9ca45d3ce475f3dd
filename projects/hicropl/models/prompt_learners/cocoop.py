"""CoCoOp: an image-conditioned context (Zhou et al., CVPR 2022)."""
from collections import OrderedDict
from typing import Optional

import torch
import torch.nn as nn

from mmpretrain.registry import MODELS
from ...errors import ConfigError
from .base import PromptSet
from .coop import CoOpPromptLearner


@MODELS.register_module()
class CoCoOpPromptLearner(CoOpPromptLearner):
    """Conditional Context Optimization: a light meta-net shifts CoOp's
    context per image (CoCoOp, Sec. 3.2).

    For image ``b`` with frozen, L2-normalised CLIP features ``x_b``
    ``[D]``, the meta-net ``h`` (Linear ``D -> D/16``, ReLU, Linear
    ``D/16 -> W``) gives ``pi_b = h(x_b)`` ``[W]`` and every context token is
    shifted by it: ``v_m(x_b) = v_m + pi_b`` (Eq. 4); the class prompt of
    class ``c`` for image ``b`` is ``[SOS, v(x_b), name_c, ., EOT]`` and
    ``p(y | x_b) = softmax_c(cos(g(t_c(x_b)), f(x_b)) / tau)`` (Eq. 5), so
    the text tower encodes the ``C`` class prompts once per image.

    As the authors' code (reference README, section 14): the meta-net reads
    the normalised image features of the frozen CLIP (the same features give
    the logits, both towers being unprompted otherwise), the context length
    and initialisation are CoOp's (``n`` = number of words of ``ctx_init``
    when given, else ``n_ctx`` random tokens, std ``prompt_std``), there is
    no class-specific context and the class name is always at the end.

    Args:
        clip (PromptedCLIP): The backbone (text width, embedding dimension,
            context length, tokenizer and token embedding are read).
        n_ctx (int): Context tokens without ``ctx_init``. Defaults to 16.
        ctx_init (str): Initialisation words (underscores are spaces).
        prompt_std (float): Std of the random context initialisation.
        reduction (int): Hidden width of the meta-net is ``D // reduction``.
            Defaults to 16 (the authors' value).
        init_cfg (dict, optional): Unused; parameters are set at
            construction (the meta-net keeps torch's default Linear init).
    """
    needs = frozenset({'frozen_image'})
    is_pure = False

    def __init__(self,
                 clip: nn.Module,
                 n_ctx: int = 16,
                 ctx_init: str = '',
                 prompt_std: float = 0.02,
                 reduction: int = 16,
                 init_cfg: Optional[dict] = None):
        super().__init__(
            clip, n_ctx=n_ctx, ctx_init=ctx_init, class_specific=False,
            class_token_position='end', prompt_std=prompt_std,
            init_cfg=init_cfg)
        vis_dim, ctx_dim = clip.embed_dim, clip.text_width
        hidden = vis_dim // reduction
        if hidden < 1:
            raise ConfigError(f'reduction={reduction} leaves no hidden unit '
                             f'for the {vis_dim}-d image features.')
        self.meta_net = nn.Sequential(
            OrderedDict([('linear1', nn.Linear(vis_dim, hidden)),
                         ('relu', nn.ReLU()),
                         ('linear2', nn.Linear(hidden, ctx_dim))]))

    def forward(self, frozen_image: torch.Tensor) -> PromptSet:
        """Per-image layer-0 text prompts.

        Args:
            frozen_image (torch.Tensor): Frozen CLIP image features, unit
                norm, ``[B, D]``.

        Returns:
            PromptSet: ``text = [ctx + pi]`` ``[B, n, W]`` (Eq. 4),
            ``text_per_image=True``; no visual prompts.
        """
        bias = self.meta_net(frozen_image)  # shape = [B, W]
        shifted = self.ctx.unsqueeze(0) + bias.unsqueeze(1)  # [B, n, W]
        return PromptSet(text=[shifted], visual=[], text_per_image=True)
