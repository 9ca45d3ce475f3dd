"""IVLP: independent deep vision and language prompts (the baseline of
MaPLe, Khattak et al. CVPR 2023, and PromptSRC, Khattak et al. ICCV 2023)."""
from typing import Optional

import torch
import torch.nn as nn

from mmpretrain.registry import MODELS
from ...errors import ConfigError
from .base import BasePromptLearner, PromptSet
from .word_init import authors_word_init


@MODELS.register_module()
class IVLPPromptLearner(BasePromptLearner):
    """Independent Vision-Language Prompting: deep text prompts and deep
    visual prompts learned separately, with no coupling (the "independent
    V-L prompting" baseline of MaPLe's ablations; the prompts PromptSRC
    regularises, its Sec. 3.1). The towers compute the deep-prompting
    equations of MaPLe Sec. 3.2.1 (language) and 3.2.2 (vision), without
    the coupling of 3.2.3.

    Text tower: the layer-0 prompt ``ctx`` ``[n_t, W_t]`` sits at positions
    ``1..n_t`` of the class prompt ``[SOS, ctx, name, ., EOT]``; before
    every layer ``l = 1..D_t-1`` those positions are replaced by
    ``text_prompts[l-1]`` ``[n_t, W_t]``. Image tower: ``visual_prompts[0]``
    ``[n_v, W_v]`` is appended after the positional embedding (before
    ``ln_pre``), and before every layer ``l = 1..D_v-1`` the last ``n_v``
    tokens are replaced by ``visual_prompts[l]``. Deeper layers run
    unchanged; logits are plain cosine logits (reference README, 12c).

    Initialisation as the authors' code (reference README, 12b): every
    prompt ``N(0, prompt_std^2)``; ``ctx`` from the token embeddings of
    ``ctx_init`` when it is given and ``n_t <= 4`` (the whole ``ctx_init``
    is then the class-prompt prefix,
    :func:`~.word_init.authors_word_init`). Their names for these tensors
    (``image_encoder.VPT``, ``*.resblocks.{l}.VPT_shallow``) map to ours
    with :func:`~.ivlp_names.ivlp_official_to_ours`.

    Args:
        clip (PromptedCLIP): The backbone (widths, depths, tokenizer and
            token embedding are read; it is not stored).
        n_ctx_text (int): Text prompt tokens ``n_t`` per layer.
        n_ctx_vision (int): Visual prompt tokens ``n_v`` per layer.
        ctx_init (str): Words initialising ``ctx`` (``''``: random).
        text_depth (int): ``D_t >= 1``, text layers with a prompt.
        vision_depth (int): ``D_v >= 0``, image layers with a prompt (0:
            the plain image tower).
        prompt_std (float): Std of the random initialisation.
        init_cfg (dict, optional): Unused; prompts are set at construction.
    """

    def __init__(self,
                 clip: nn.Module,
                 n_ctx_text: int = 4,
                 n_ctx_vision: int = 4,
                 ctx_init: str = 'a photo of a',
                 text_depth: int = 9,
                 vision_depth: int = 9,
                 prompt_std: float = 0.02,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        max_ctx = clip.context_length - 4  # SOS, name, '.', EOT
        if not 1 <= n_ctx_text <= max_ctx:
            raise ConfigError(f'n_ctx_text={n_ctx_text} must be in 1..{max_ctx} '
                             f'(the text context is {clip.context_length}).')
        if n_ctx_vision < 1:
            raise ConfigError(f'n_ctx_vision={n_ctx_vision} must be >= 1.')
        if not 1 <= text_depth <= clip.text_layers:
            raise ConfigError(f'text_depth={text_depth} must be in '
                             f'1..{clip.text_layers} (the text layers).')
        if not 0 <= vision_depth <= clip.vision_layers:
            raise ConfigError(f'vision_depth={vision_depth} must be in '
                             f'0..{clip.vision_layers} (the image layers).')
        self.n_ctx = n_ctx_text
        self.n_ctx_vision = n_ctx_vision
        self.text_depth = text_depth
        self.vision_depth = vision_depth
        text_width, vision_width = clip.text_width, clip.vision_width
        self.ctx = nn.Parameter(torch.empty(n_ctx_text, text_width))
        self.text_prompts = nn.ParameterList(
            nn.Parameter(torch.empty(n_ctx_text, text_width))
            for _ in range(text_depth - 1))
        self.visual_prompts = nn.ParameterList(
            nn.Parameter(torch.empty(n_ctx_vision, vision_width))
            for _ in range(vision_depth))
        self.prompt_prefix, ctx = authors_word_init(clip, ctx_init,
                                                    n_ctx_text, 'IVLP')
        with torch.no_grad():
            for prompt in (self.ctx, *self.text_prompts,
                           *self.visual_prompts):
                nn.init.normal_(prompt, std=prompt_std)
            if ctx is not None:
                self.ctx.copy_(ctx)

    def init_weights(self) -> None:
        """Initialisation happens at construction (kept deterministic)."""

    def class_prompt_template(self) -> str:
        """``'<prefix> {}.'``: the init words or ``n_t`` placeholders."""
        return f'{self.prompt_prefix} {{}}.'

    def forward(self) -> PromptSet:
        """``D_t`` text prompts ``[n_t, W_t]`` and ``D_v`` visual prompts
        ``[n_v, W_v]``, the parameters themselves (no mapping)."""
        return PromptSet(
            text=[self.ctx, *self.text_prompts],
            visual=list(self.visual_prompts))
