"""HISF: hierarchical interactive semantic fusion (Feng & Li, preprint
2025, doi:10.20944/preprints202511.0717.v1)."""
from typing import Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpretrain.registry import MODELS
from ...errors import ConfigError
from .base import BasePromptLearner, PromptSet
from .hisf_fusion import LabelSemanticFusion
from .word_init import authors_word_init

# Key of the fused text prompts in the label space (PromptSet.aux), read by
# LabelEmbeddingLoss (Eq. 9).
LABEL_SPACE_PROMPTS = 'label_space_prompts'


@MODELS.register_module()
class HISFPromptLearner(BasePromptLearner):
    """Deep prompts of both towers from one shared matrix per layer, fused
    with the label embeddings of the classes being scored (HISF Sec. 3.2-3.3).

    Per prompted layer ``l = 0..J-1`` (text and image towers alike)::

        P_t = W_t P_s,  P_v = W_v P_s                          # Eq. 2
        P_t, P_v <- LabelSemanticFusion(P, E)  if l fuses      # Eq. 3-8

    ``P_s`` ``[n, W_t]`` is ``shared_prompts[l]``, ``W_t`` ``[W_t, W_t]``
    and ``W_v`` ``[W_t, W_v]`` are ``text_projections[l]`` /
    ``visual_projections[l]`` (linear maps with bias). The text prompt of
    layer 0 sits at positions ``1..n`` of the class prompt ``[SOS, ctx,
    name, ., EOT]`` and replaces them before every deeper layer, the visual
    prompt is appended after the image tokens (the towers of MaPLe, which
    HISF follows, Sec. 3.2). ``forward`` also returns, in
    ``PromptSet.aux['label_space_prompts']`` ``[J, D]``, each layer's final
    text prompt in the label space for the label-embedding constraint
    (Eq. 9, :class:`LabelEmbeddingLoss`).

    The preprint leaves these points open; the choices, each keeping
    evaluation over all classes well defined, are:

    1. **Label embeddings** ``E`` ``[C, D]``: the frozen CLIP text
       embeddings of the class names (``frozen_text``, unit norm, the
       classifier's ``class_text``), not learned per-class vectors: they
       exist for classes never trained on, so novel classes get the same
       treatment as base classes.
    2. **Which ``E_i`` stands for a batch** (Eq. 4, 8): the embeddings of
       ALL classes being scored (the training classes in training, the test
       classes in testing), never the ground-truth label, which is unknown
       at test time. The prompts are therefore a function of the class set,
       the same for every image, so one text encoding per class scores the
       whole batch (Eq. 11 as ``sim(I_x, f(P_final, class c))`` for every
       ``c``) and evaluation is deterministic.
    3. **The concatenation ``P_fused (+) E_i``** (Eq. 8): each prompt token
       with the label embedding it attended to (the attention-weighted mean
       of ``E``; see :class:`~.hisf_fusion.LabelSemanticFusion`).
    4. **Which layers fuse**: ``fusion_layers`` (default: every prompted
       layer, "at each layer" of Sec. 3.3); the others use ``W P_s`` as is.
       Text and visual prompts have their own fusion modules (their widths
       differ); ``d`` of Eq. 6 is the tower's width.
    5. **The prompt space of Eq. 9**: the final text prompt of each layer,
       mapped to the label space by the frozen text tower's own output map
       (``ln_final`` then ``text_projection``, copied as non-persistent
       buffers), averaged over its ``n`` tokens and L2-normalised. Frozen,
       so the constraint cannot be met by a learned map instead of the
       prompts.
    6. **Initialisation**: ``P_s`` of layer 0 from the token embeddings of
       ``ctx_init`` (MaPLe's rule, :func:`~.word_init.authors_word_init`),
       the others ``N(0, prompt_std^2)``; ``W_t`` starts as the identity
       (so the layer-0 text prompt starts as the words), ``W_v`` and the
       fusion modules with PyTorch's default init.

    Args:
        clip (PromptedCLIP): The backbone (widths, depths, tokenizer, token
            embedding and the text output map are read; it is not stored).
        n_ctx (int): Prompt tokens ``n = L_p`` per layer (both towers).
        ctx_init (str): Words initialising ``P_s`` of layer 0 (``''``:
            random).
        depth (int): ``J >= 1``, prompted layers of both towers.
        fusion_layers (sequence of int, optional): Layers in ``0..J-1`` that
            fuse (Eq. 3-8). None: all; ``[]``: none (HISF "w/o SF").
        bottleneck_reduction (int): Hidden width of the Eq. 8 MLP is the
            tower width divided by this (at least 1).
        prompt_std (float): Std of the random ``P_s`` initialisation.
        init_cfg (dict, optional): Unused; tensors are set at construction.
    """
    needs = frozenset({'frozen_text'})

    def __init__(self,
                 clip: nn.Module,
                 n_ctx: int = 2,
                 ctx_init: str = 'a photo of a',
                 depth: int = 9,
                 fusion_layers: Optional[Sequence[int]] = None,
                 bottleneck_reduction: int = 16,
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
        fusion_layers = list(range(depth)) if fusion_layers is None else [
            int(layer) for layer in fusion_layers]
        bad = [layer for layer in fusion_layers if not 0 <= layer < depth]
        if bad or len(set(fusion_layers)) != len(fusion_layers):
            raise ConfigError(
                f'fusion_layers={fusion_layers} must be distinct layers in '
                f'0..{depth - 1} (the prompted layers, depth={depth}).')
        if bottleneck_reduction < 1:
            raise ConfigError('bottleneck_reduction must be >= 1, got '
                             f'{bottleneck_reduction}.')
        self.n_ctx = n_ctx
        self.depth = depth
        self.fusion_layers = sorted(fusion_layers)
        text_width, vision_width = clip.text_width, clip.vision_width
        label_dim = clip.embed_dim
        self.shared_prompts = nn.ParameterList(
            nn.Parameter(torch.empty(n_ctx, text_width)) for _ in range(depth))
        self.text_projections = nn.ModuleList(
            nn.Linear(text_width, text_width) for _ in range(depth))
        self.visual_projections = nn.ModuleList(
            nn.Linear(text_width, vision_width) for _ in range(depth))
        self.text_fusions = nn.ModuleDict({
            str(layer): LabelSemanticFusion(
                text_width, label_dim,
                max(1, text_width // bottleneck_reduction))
            for layer in self.fusion_layers
        })
        self.visual_fusions = nn.ModuleDict({
            str(layer): LabelSemanticFusion(
                vision_width, label_dim,
                max(1, vision_width // bottleneck_reduction))
            for layer in self.fusion_layers
        })
        # The frozen text output map (Eq. 9's prompt -> label space).
        ln_final = clip.clip.ln_final
        self.label_norm_eps = ln_final.eps
        self.register_buffer('label_norm_weight',
                             ln_final.weight.detach().clone(), persistent=False)
        self.register_buffer('label_norm_bias',
                             ln_final.bias.detach().clone(), persistent=False)
        self.register_buffer('label_projection',
                             clip.clip.text_projection.detach().clone(),
                             persistent=False)
        self.prompt_prefix, ctx = authors_word_init(clip, ctx_init, n_ctx,
                                                    'HISF')
        with torch.no_grad():
            for prompt in self.shared_prompts:
                nn.init.normal_(prompt, std=prompt_std)
            if ctx is not None:
                self.shared_prompts[0].copy_(ctx)
            for projection in self.text_projections:
                nn.init.eye_(projection.weight)
                nn.init.zeros_(projection.bias)

    def init_weights(self) -> None:
        """Initialisation happens at construction (kept deterministic)."""

    def class_prompt_template(self) -> str:
        """``'<prefix> {}.'``: the init words or ``n`` placeholders."""
        return f'{self.prompt_prefix} {{}}.'

    def to_label_space(self, prompts: torch.Tensor) -> torch.Tensor:
        """Text prompts in the label space (choice 5 of the class doc).

        Args:
            prompts (Tensor): ``[..., n, W_t]``.

        Returns:
            Tensor: ``[..., D]``, unit norm.
        """
        normed = F.layer_norm(prompts, prompts.shape[-1:],
                              self.label_norm_weight, self.label_norm_bias,
                              self.label_norm_eps)
        return F.normalize((normed @ self.label_projection).mean(-2), dim=-1)

    def forward(self, frozen_text: torch.Tensor) -> PromptSet:
        """``J`` text prompts ``[n, W_t]`` and ``J`` visual prompts
        ``[n, W_v]`` (Eq. 2-8), and ``aux['label_space_prompts']`` ``[J, D]``.

        Args:
            frozen_text (Tensor): Label embeddings ``E`` ``[C, D]`` of the
                classes being scored (unit norm).
        """
        text, visual = [], []
        for layer in range(self.depth):
            shared = self.shared_prompts[layer]  # P_s, shape = [n, W_t]
            prompt_t = self.text_projections[layer](shared)  # Eq. 2
            prompt_v = self.visual_projections[layer](shared)
            key = str(layer)
            if key in self.text_fusions:
                prompt_t = self.text_fusions[key](prompt_t, frozen_text)
                prompt_v = self.visual_fusions[key](prompt_v, frozen_text)
            text.append(prompt_t)
            visual.append(prompt_v)
        aux = {LABEL_SPACE_PROMPTS: self.to_label_space(torch.stack(text))}
        return PromptSet(text=text, visual=visual, aux=aux)
