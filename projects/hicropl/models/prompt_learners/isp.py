"""ISP: integrated structural prompts, an INTERPRETATION of the abstract of
"Integrated Structural Prompt Learning for Vision-Language Models"
(arXiv:2507.05677; the full paper was not available)."""
from typing import Optional

import torch
import torch.nn as nn

from mmpretrain.registry import MODELS
from ...errors import ConfigError
from .base import BasePromptLearner, PromptSet
from .prompt_attention import PromptCrossAttention
from .word_init import authors_word_init


@MODELS.register_module()
class ISPPromptLearner(BasePromptLearner):
    """Deep prompts of both towers refined by self-structural and
    cross-structural attention modules (ISP abstract; interpretation).

    The abstract says: "self-structural and cross-structural prompt modules
    model the structural relationships between learnable prompts and frozen
    tokens within and across modalities". Read here as, per prompted layer
    ``l = 0..J-1``, with IVLP-style base prompts ``T`` ``[n_t, W_t]`` and
    ``V`` ``[n_v, W_v]`` (parameters)::

        T' = T + SelfT(T; [T, E])          E = frozen class text  [C, D]
        V' = V + SelfV(V; [V, f_b])        f_b = frozen image     [B, 1, D]
        T'' = T' + CrossT(T'; V)           text attends to the visual prompts
        V'' = V' + CrossV(V'; T)           visual attends to the text prompts

    each module a residual single-head :class:`PromptCrossAttention`
    (LayerNorm'd queries, one key / value map per source group). ``T''`` is
    the text prompt of layer ``l`` (``[n_t, W_t]``, the same for every
    image), ``V''`` the visual prompt (``[B, n_v, W_v]`` with the
    self-structural module, else ``[n_v, W_v]``).

    Design choices (revisable when the full paper is at hand; each module
    is switchable):

    1. **Frozen tokens of a modality**: for text, the frozen CLIP text
       embeddings of the classes being scored (``frozen_text``, one token
       per class); for the image, the frozen CLIP image embedding of the
       image (``frozen_image``, one token). The self-structural module
       attends jointly to the modality's own prompts and these frozen
       tokens, so it models prompt-prompt and prompt-frozen-token relations
       (the softmax never runs over a single key).
    2. **Cross-structural keys**: the other tower's base prompts of the
       same layer (before its own refinement), so the text prompts stay
       independent of the image (one text encoding per class for the whole
       batch) and the two directions are symmetric.
    3. **"Preserving feature stability"**: the frozen towers, residual
       updates and LayerNorm'd queries; no further term.
    4. **Base prompts and initialisation**: IVLP's (``ctx`` from
       ``ctx_init`` by MaPLe's rule, others ``N(0, prompt_std^2)``); the
       attention maps with PyTorch's default init.
    5. **Sample probing** is a loss part, :class:`SampleProbingLoss`.

    Args:
        clip (PromptedCLIP): The backbone (widths, depths, tokenizer and
            token embedding are read; it is not stored).
        n_ctx_text (int): Text prompt tokens ``n_t`` per layer.
        n_ctx_vision (int): Visual prompt tokens ``n_v`` per layer.
        ctx_init (str): Words initialising ``ctx`` (``''``: random).
        depth (int): ``J >= 1``, prompted layers of both towers.
        self_structural (bool): Use the self-structural modules.
        cross_structural (bool): Use the cross-structural modules.
        prompt_std (float): Std of the random initialisation.
        init_cfg (dict, optional): Unused; tensors are set at construction.
    """

    def __init__(self,
                 clip: nn.Module,
                 n_ctx_text: int = 4,
                 n_ctx_vision: int = 4,
                 ctx_init: str = 'a photo of a',
                 depth: int = 9,
                 self_structural: bool = True,
                 cross_structural: bool = True,
                 prompt_std: float = 0.02,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        max_ctx = clip.context_length - 4  # SOS, name, '.', EOT
        if not 1 <= n_ctx_text <= max_ctx:
            raise ConfigError(f'n_ctx_text={n_ctx_text} must be in 1..{max_ctx} '
                             f'(the text context is {clip.context_length}).')
        if n_ctx_vision < 1:
            raise ConfigError(f'n_ctx_vision={n_ctx_vision} must be >= 1.')
        max_depth = min(clip.text_layers, clip.vision_layers)
        if not 1 <= depth <= max_depth:
            raise ConfigError(f'depth={depth} must be in 1..{max_depth} (the '
                             'layers of the shallower CLIP tower).')
        self.n_ctx = n_ctx_text
        self.n_ctx_vision = n_ctx_vision
        self.depth = depth
        self.self_structural = self_structural
        self.cross_structural = cross_structural
        # Instance attribute: the frozen tokens are read only when used.
        self.needs = frozenset({'frozen_text', 'frozen_image'}
                               if self_structural else ())
        text_width, vision_width = clip.text_width, clip.vision_width
        embed_dim = clip.embed_dim
        self.ctx = nn.Parameter(torch.empty(n_ctx_text, text_width))
        self.text_prompts = nn.ParameterList(
            nn.Parameter(torch.empty(n_ctx_text, text_width))
            for _ in range(depth - 1))
        self.visual_prompts = nn.ParameterList(
            nn.Parameter(torch.empty(n_ctx_vision, vision_width))
            for _ in range(depth))
        if self_structural:
            self.text_self = nn.ModuleList(
                PromptCrossAttention(text_width, [text_width, embed_dim])
                for _ in range(depth))
            self.visual_self = nn.ModuleList(
                PromptCrossAttention(vision_width, [vision_width, embed_dim])
                for _ in range(depth))
        if cross_structural:
            self.text_cross = nn.ModuleList(
                PromptCrossAttention(text_width, [vision_width])
                for _ in range(depth))
            self.visual_cross = nn.ModuleList(
                PromptCrossAttention(vision_width, [text_width])
                for _ in range(depth))
        self.prompt_prefix, ctx = authors_word_init(clip, ctx_init,
                                                    n_ctx_text, 'ISP')
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

    def forward(self,
                frozen_text: Optional[torch.Tensor] = None,
                frozen_image: Optional[torch.Tensor] = None) -> PromptSet:
        """``J`` text prompts ``[n_t, W_t]`` and ``J`` visual prompts
        ``[B, n_v, W_v]`` (``[n_v, W_v]`` without the self-structural
        module).

        Args:
            frozen_text (Tensor, optional): Frozen class text embeddings
                ``[C, D]`` (self-structural module only).
            frozen_image (Tensor, optional): Frozen image embeddings
                ``[B, D]`` (self-structural module only).
        """
        text_base = [self.ctx, *self.text_prompts]
        text, visual = [], []
        for layer in range(self.depth):
            prompt_t, prompt_v = text_base[layer], self.visual_prompts[layer]
            new_t, new_v = prompt_t, prompt_v
            if self.self_structural:
                new_t = new_t + self.text_self[layer](
                    prompt_t, [prompt_t, frozen_text])[0]
                new_v = new_v + self.visual_self[layer](
                    prompt_v, [prompt_v, frozen_image[:, None]])[0]
            if self.cross_structural:
                new_t = new_t + self.text_cross[layer](new_t, [prompt_v])[0]
                new_v = new_v + self.visual_cross[layer](new_v, [prompt_t])[0]
            text.append(new_t)
            visual.append(new_v)
        return PromptSet(text=text, visual=visual)
