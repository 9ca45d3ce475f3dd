"""PromptSRC's prompts: independent deep text and vision prompts (Khattak et
al., ICCV 2023; the IVLP prompts of their code)."""
import re
from typing import Optional

import torch
import torch.nn as nn
from mmengine.logging import MMLogger

from mmpretrain.registry import MODELS
from ...errors import ConfigError
from .base import BasePromptLearner, PromptSet

# The authors' word initialisation applies only to contexts this short
# (reference README 11b / 12b); longer contexts start at random.
MAX_WORD_INIT_CTX = 4

# Authors' parameter name -> ours (trainers/promptsrc.py, independentVL.py).
_OFFICIAL_NAMES = (
    (r'^prompt_learner\.ctx$', 'prompt_learner.text_prompts.0'),
    (r'^text_encoder\.transformer\.resblocks\.(\d+)\.VPT_shallow$',
     r'prompt_learner.text_prompts.\1'),
    (r'^image_encoder\.VPT$', 'prompt_learner.visual_prompts.0'),
    (r'^image_encoder\.transformer\.resblocks\.(\d+)\.VPT_shallow$',
     r'prompt_learner.visual_prompts.\1'),
)


def promptsrc_official_to_ours(name: str) -> Optional[str]:
    """Map an authors' PromptSRC / IVLP parameter name (model level, e.g.
    ``image_encoder.transformer.resblocks.2.VPT_shallow``) to the classifier
    parameter of :class:`PromptSRCPromptLearner` (``None`` if it is not a
    prompt)."""
    for pattern, replacement in _OFFICIAL_NAMES:
        if re.match(pattern, name):
            return re.sub(pattern, replacement, name)
    return None


@MODELS.register_module()
class PromptSRCPromptLearner(BasePromptLearner):
    """Deep, independent vision and language prompts (PromptSRC Sec. 3.1,
    Eq. 1-2: ``P_t`` and ``P_v`` learned at the first ``J`` layers).

    Text: ``T[0]`` ``[n_t, W_t]`` replaces the ``n_t`` context slots of the
    class prompt ``[SOS, T[0], name, ., EOT]``; ``T[l]`` replaces the
    hidden states at those slots before layer ``l = 1..text_depth-1``.
    Image: ``V[0]`` ``[n_v, W_v]`` is appended after the image tokens,
    ``V[l]`` replaces them before layer ``l = 1..vision_depth-1``
    (``vision_depth = 0``: the plain image tower). Every layer has its own
    parameter; nothing couples the towers. The regularisers (Eq. 3-6) are
    loss parts (:class:`FrozenFeatureL1Loss`, :class:`ZeroShotKLLoss`) and
    the prompt aggregation over epochs (Eq. 7) is
    :class:`GaussianEpochAverage`.

    Context init as the authors' code (reference README 12b): with
    ``ctx_init`` and ``n_ctx_text <= 4`` the layer-0 text prompt is the
    token embeddings of the first ``n_ctx_text`` tokens of ``ctx_init`` and
    the class prompt is ``'<ctx_init> <name>.'`` (words after those tokens
    stay as fixed tokens); otherwise ``N(0, prompt_std^2)`` and the prefix
    ``'X X ... X'``. All deeper and visual prompts are ``N(0,
    prompt_std^2)``.

    Args:
        clip (PromptedCLIP): The backbone (widths, depths, tokenizer and
            token embedding are read; it is not stored).
        n_ctx_text (int): ``n_t``, text prompt tokens per layer.
        n_ctx_vision (int): ``n_v``, visual prompt tokens per layer.
        text_depth (int): Prompted text layers, ``1..text_layers``.
        vision_depth (int): Prompted image layers, ``0..vision_layers``.
        ctx_init (str): Initialisation words of the layer-0 text prompt.
        prompt_std (float): Std of the random initialisation.
        init_cfg (dict, optional): Unused; prompts are set at construction.
    """

    def __init__(self,
                 clip: nn.Module,
                 n_ctx_text: int = 4,
                 n_ctx_vision: int = 4,
                 text_depth: int = 9,
                 vision_depth: int = 9,
                 ctx_init: str = 'a photo of a',
                 prompt_std: float = 0.02,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if not 1 <= text_depth <= clip.text_layers:
            raise ConfigError(f'text_depth={text_depth} must be in '
                             f'1..{clip.text_layers} (the text layers).')
        if not 0 <= vision_depth <= clip.vision_layers:
            raise ConfigError(f'vision_depth={vision_depth} must be in '
                             f'0..{clip.vision_layers} (the image layers).')
        max_ctx = clip.context_length - 4  # SOS, name, '.', EOT
        if not 1 <= n_ctx_text <= max_ctx:
            raise ConfigError(f'n_ctx_text={n_ctx_text} must be in '
                             f'1..{max_ctx}.')
        if vision_depth and n_ctx_vision < 1:
            raise ConfigError('n_ctx_vision must be >= 1 with visual prompts '
                             f'(vision_depth={vision_depth}).')
        ctx_init = ctx_init.replace('_', ' ').strip()
        if ctx_init and n_ctx_text > MAX_WORD_INIT_CTX:
            MMLogger.get_current_instance().warning(
                f'PromptSRC: ctx_init={ctx_init!r} is ignored for '
                f'n_ctx_text={n_ctx_text} > {MAX_WORD_INIT_CTX} (random init, '
                "as in the authors' code).")
            ctx_init = ''
        self.n_ctx = n_ctx_text
        self.prompt_prefix = ctx_init or ' '.join(['X'] * n_ctx_text)

        def prompts(depth, n, width):
            return nn.ParameterList(
                nn.Parameter(torch.empty(n, width).normal_(std=prompt_std))
                for _ in range(depth))

        # text_prompts[l]: [n_t, W_t]; visual_prompts[l]: [n_v, W_v]
        self.text_prompts = prompts(text_depth, n_ctx_text, clip.text_width)
        self.visual_prompts = prompts(vision_depth, n_ctx_vision,
                                      clip.vision_width)
        if ctx_init:
            with torch.no_grad():
                tokens = clip.tokenize([ctx_init])  # shape = [1, L]
                self.text_prompts[0].copy_(
                    clip.embed_tokens(tokens)[0, 1:1 + n_ctx_text])

    def init_weights(self) -> None:
        """Initialisation happens at construction (kept deterministic)."""

    def class_prompt_template(self) -> str:
        """``'<prefix> {}.'``: the init words or ``n_ctx`` placeholders."""
        return f'{self.prompt_prefix} {{}}.'

    def forward(self) -> PromptSet:
        """The prompts of every prompted layer of both towers."""
        return PromptSet(text=list(self.text_prompts),
                         visual=list(self.visual_prompts))
