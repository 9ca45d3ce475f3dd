"""MaPLe: multi-modal prompt learning (Khattak et al., CVPR 2023)."""
import copy
from typing import Optional

import torch
import torch.nn as nn

from mmpretrain.registry import MODELS
from ...errors import ConfigError
from .base import BasePromptLearner, PromptSet
from .word_init import authors_word_init


@MODELS.register_module()
class MaPLePromptLearner(BasePromptLearner):
    """Coupled deep prompts: text prompts of the first ``J`` layers, and
    visual prompts that are linear projections of them (MaPLe, Sec. 3.2.1
    deep language prompting, 3.2.3 vision-language prompt coupling: the
    visual prompt of layer ``k`` is ``F_k(P_k)``, ``F_k`` a linear layer).

    Text tower: ``ctx`` ``[n, W_t]`` sits at positions ``1..n`` of the
    class prompt ``[SOS, ctx, name, ., EOT]``; before every layer
    ``l = 1..J-1`` those positions are replaced by
    ``compound_prompts_text[l-1]`` ``[n, W_t]``. Image tower: the visual
    prompt of layer 0 is ``proj(ctx)`` ``[n, W_v]`` (appended after the
    positional embedding, before ``ln_pre``), that of layer ``l >= 1`` is
    ``compound_prompt_projections[l-1](compound_prompts_text[l-1])``
    (replacing the last ``n`` tokens before layer ``l``). The projections
    are plain linear maps of the CURRENT text prompts inside autograd, so
    the image-side gradient reaches the text prompts (reference README,
    11c-d). Parameter names are the authors' (11a).

    Initialisation as the authors' code (11b, 11f): ``ctx`` and the
    deeper text prompts ``N(0, prompt_std^2)``, ``ctx`` from the token
    embeddings of ``ctx_init`` when it is given and ``n <= 4`` (the whole
    ``ctx_init`` is then the prefix, :func:`~.word_init.authors_word_init`);
    ``proj`` and the projections with torch's default ``nn.Linear`` init,
    the ``J-1`` projections being copies of ONE initial layer
    (``identical_projection_init``; the paper does not say, independent
    layers with ``False``).

    Args:
        clip (PromptedCLIP): The backbone (widths, depths, tokenizer and
            token embedding are read; it is not stored).
        n_ctx (int): Prompt tokens ``n`` per layer (both towers).
        ctx_init (str): Words initialising ``ctx`` (``''``: random).
        depth (int): ``J >= 1``, layers with prompts in both towers.
        identical_projection_init (bool): The deep projections start equal
            (the authors' code deep-copies one layer). Defaults to True.
        prompt_std (float): Std of the random text-prompt initialisation.
        init_cfg (dict, optional): Unused; tensors are set at construction.
    """

    def __init__(self,
                 clip: nn.Module,
                 n_ctx: int = 2,
                 ctx_init: str = 'a photo of a',
                 depth: int = 9,
                 identical_projection_init: bool = True,
                 prompt_std: float = 0.02,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        max_ctx = clip.context_length - 4  # SOS, name, '.', EOT
        if not 1 <= n_ctx <= max_ctx:
            raise ConfigError(f'n_ctx={n_ctx} must be in 1..{max_ctx} (the '
                             f'text context is {clip.context_length}).')
        max_depth = min(clip.text_layers, clip.vision_layers)
        if not 1 <= depth <= max_depth:
            raise ConfigError(f'depth={depth} must be in 1..{max_depth} (the '
                             'layers of the shallower CLIP tower).')
        self.n_ctx = n_ctx
        self.depth = depth
        text_width, vision_width = clip.text_width, clip.vision_width
        self.ctx = nn.Parameter(torch.empty(n_ctx, text_width))
        self.proj = nn.Linear(text_width, vision_width)
        self.compound_prompts_text = nn.ParameterList(
            nn.Parameter(torch.empty(n_ctx, text_width))
            for _ in range(depth - 1))
        if identical_projection_init:
            first = nn.Linear(text_width, vision_width)
            projections = [copy.deepcopy(first) for _ in range(depth - 1)]
        else:
            projections = [
                nn.Linear(text_width, vision_width) for _ in range(depth - 1)
            ]
        self.compound_prompt_projections = nn.ModuleList(projections)
        self.prompt_prefix, ctx = authors_word_init(clip, ctx_init, n_ctx,
                                                    'MaPLe')
        with torch.no_grad():
            for prompt in (self.ctx, *self.compound_prompts_text):
                nn.init.normal_(prompt, std=prompt_std)
            if ctx is not None:
                self.ctx.copy_(ctx)

    def init_weights(self) -> None:
        """Initialisation happens at construction (kept deterministic)."""

    def class_prompt_template(self) -> str:
        """``'<prefix> {}.'``: the init words or ``n`` placeholders."""
        return f'{self.prompt_prefix} {{}}.'

    def forward(self) -> PromptSet:
        """``J`` text prompts ``[n, W_t]`` and their ``J`` projections
        ``[n, W_v]`` as visual prompts (Sec. 3.2.3, ``F_k(P_k)``)."""
        text = [self.ctx, *self.compound_prompts_text]
        projections = [self.proj, *self.compound_prompt_projections]
        visual = [f(prompt) for f, prompt in zip(projections, text)]
        return PromptSet(text=text, visual=visual)
