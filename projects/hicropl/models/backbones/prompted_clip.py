"""A frozen open_clip CLIP whose towers accept per-layer (deep) prompts."""
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.logging import MMLogger
from mmengine.model import BaseModule
from torch.utils.checkpoint import checkpoint

from mmpretrain.registry import MODELS
from .clip_factory import build_open_clip

LayerPrompts = Optional[Sequence[Optional[torch.Tensor]]]


@MODELS.register_module()
class PromptedCLIP(BaseModule):
    """Frozen CLIP (from open_clip) with prompt-capable image and text towers.

    One mechanism serves every prompt-learning method: a method's prompt
    learner produces, for each layer ``l``, a text prompt ``T[l]`` and/or a
    visual prompt ``V[l]``; the towers insert them as follows.

    * Text (deep, MaPLe/IVLP/HiCroPL style): the class prompt is tokenized
      with ``n_ctx`` placeholder words right after SOS. Token positions
      ``1..n_ctx`` of the input embeddings are replaced by ``T[0]``, and
      before every layer ``l >= 1`` that has a prompt the hidden states at
      those positions are replaced by ``T[l]``. Pooling takes the EOT token
      (``argmax`` of the token ids).
    * Image: ``V[0]`` is appended as ``n_ctx`` extra tokens after the
      positional embedding and before ``ln_pre`` (they get no positional
      embedding); before every layer ``l >= 1`` that has a prompt the last
      ``n_ctx`` tokens are replaced by ``V[l]``. Pooling uses the class token.

    With no prompts both towers compute exactly open_clip's
    ``encode_image`` / ``encode_text``; these are the frozen (zero-shot)
    features, computed with the same weights (no second copy of CLIP).

    Because the text mask is causal and pooling reads the EOT token, tokens
    after the last EOT of a batch cannot change the result: the text tower
    only runs up to that position (exact, not an approximation).

    Args:
        arch (str | dict): An open_clip model name (``'ViT-B-16'``) or an
            open_clip model config dict (``embed_dim``, ``vision_cfg``,
            ``text_cfg``, optional ``quick_gelu``).
        pretrained (str, optional): An open_clip pretrained tag
            (``'openai'``, ``'laion2b_s34b_b88k'``) or a local checkpoint file
            (open_clip or OpenAI format, TorchScript archives included).
            ``None`` keeps random weights. Defaults to ``'openai'``.
        quick_gelu (bool, optional): Force QuickGELU activations. ``None``
            follows the architecture and the pretrained tag.
        with_cp (bool): Activation checkpointing of the prompted text tower
            blocks during training. Defaults to False.
        init_cfg (dict, optional): Unused; weights come from ``pretrained``.
    """

    def __init__(self,
                 arch: Union[str, dict] = 'ViT-B-16',
                 pretrained: Optional[str] = 'openai',
                 quick_gelu: Optional[bool] = None,
                 with_cp: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.arch = arch
        self.pretrained = pretrained
        self.with_cp = with_cp
        clip, tokenizer = build_open_clip(arch, pretrained, quick_gelu)
        self._check_supported(clip)
        self.clip = clip
        self.tokenizer = tokenizer
        self.lock()
        if not pretrained:
            MMLogger.get_current_instance().warning(
                'PromptedCLIP has RANDOM weights (pretrained=None): training '
                'and evaluation run, but accuracy is meaningful only with '
                'real CLIP weights (set `pretrained`, e.g. "openai").')

    # ------------------------------------------------------------------ setup
    @staticmethod
    def _check_supported(clip: nn.Module) -> None:
        if not hasattr(clip, 'token_embedding'):
            raise ValueError(
                'PromptedCLIP needs an open_clip CLIP with the built-in text '
                'transformer (not a CustomTextCLIP / HF text tower); choose an '
                'architecture such as ViT-B-16 or ViT-L-14.')
        visual = clip.visual
        if not hasattr(visual, 'conv1') or getattr(visual, 'attn_pool',
                                                    None) is not None:
            raise ValueError(
                'PromptedCLIP needs an open_clip VisionTransformer image tower '
                'with class-token pooling (ViT-* architectures).')

    def lock(self) -> 'PromptedCLIP':
        """Freeze every CLIP weight (done once, at construction)."""
        self.clip.requires_grad_(False)
        self.clip.eval()
        return self

    def train(self, mode: bool = True) -> 'PromptedCLIP':
        """CLIP stays in eval mode: it is frozen, whatever the runner does."""
        super().train(mode)
        self.clip.eval()
        return self

    def init_weights(self) -> None:
        """Weights come from ``pretrained``; never re-initialise them."""

    # ------------------------------------------------------------- properties
    @property
    def text_width(self) -> int:
        return self.clip.token_embedding.weight.shape[1]

    @property
    def vision_width(self) -> int:
        return self.clip.visual.conv1.out_channels

    @property
    def embed_dim(self) -> int:
        return self.clip.text_projection.shape[1]

    @property
    def text_layers(self) -> int:
        return len(self.clip.transformer.resblocks)

    @property
    def vision_layers(self) -> int:
        return len(self.clip.visual.transformer.resblocks)

    @property
    def context_length(self) -> int:
        return self.clip.positional_embedding.shape[0]

    @property
    def logit_scale(self) -> torch.Tensor:
        return self.clip.logit_scale

    @property
    def image_size(self) -> Sequence[int]:
        return self.clip.visual.image_size

    @property
    def preprocess_cfg(self) -> Dict:
        """Mean / std of the backbone's image normalisation (0..1 scale)."""
        return dict(getattr(self.clip.visual, 'preprocess_cfg', {}))

    def identity(self) -> str:
        """A string naming the backbone and its weights (cache keys, meta)."""
        return f'{self.arch!r}|{self.pretrained!r}'

    # ----------------------------------------------------------------- tokens
    def tokenize(self, texts: Sequence[str]) -> torch.Tensor:
        """Tokenize with the backbone's tokenizer.

        Returns:
            torch.Tensor: Token ids, shape ``[N, context_length]``.
        """
        return self.tokenizer(list(texts), context_length=self.context_length)

    def embed_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """Token embeddings ``[N, L, text_width]`` of token ids ``[N, L]``."""
        return self.clip.token_embedding(tokens)

    # ------------------------------------------------------------- text tower
    def encode_text(self,
                    tokens: torch.Tensor,
                    prompts: LayerPrompts = None) -> torch.Tensor:
        """Encode class prompts, optionally with deep text prompts.

        Args:
            tokens (torch.Tensor): Token ids ``[C, context_length]``; with
                prompts, positions ``1..n_ctx`` hold placeholder words.
            prompts (sequence of Tensor | None, optional): ``prompts[l]`` is
                the text prompt of layer ``l``, shape ``[n_ctx, text_width]``
                (shared by all classes) or ``[C, n_ctx, text_width]``; ``None``
                entries and layers past the end keep the hidden states.

        Returns:
            torch.Tensor: Projected EOT features ``[C, embed_dim]``.
        """
        eot = tokens.argmax(dim=-1)  # shape = [C]
        seq_len = int(eot.max()) + 1  # exact truncation (causal mask)
        tokens = tokens[:, :seq_len]
        x = self.embed_tokens(tokens)  # shape = [C, L, width]
        prompts = list(prompts) if prompts is not None else []
        if prompts and prompts[0] is not None:
            x = self._replace_text_prompt(x, prompts[0])
        x = x + self.clip.positional_embedding[:seq_len]
        mask = self.clip.attn_mask[:seq_len, :seq_len]
        for layer, block in enumerate(self.clip.transformer.resblocks):
            if 0 < layer < len(prompts) and prompts[layer] is not None:
                x = self._replace_text_prompt(x, prompts[layer])
            if self.with_cp and x.requires_grad:
                x = checkpoint(block, x, None, None, mask, use_reentrant=False)
            else:
                x = block(x, attn_mask=mask)
        x = self.clip.ln_final(x)
        pooled = x[torch.arange(x.shape[0], device=x.device), eot]
        return pooled @ self.clip.text_projection

    @staticmethod
    def _replace_text_prompt(x: torch.Tensor,
                             prompt: torch.Tensor) -> torch.Tensor:
        """Put ``prompt`` at token positions ``1..n`` of ``x`` ``[C, L, W]``."""
        n_ctx = prompt.shape[-2]
        prompt = prompt.expand(x.shape[0], n_ctx, x.shape[-1])
        return torch.cat([x[:, :1], prompt, x[:, 1 + n_ctx:]], dim=1)

    # ------------------------------------------------------------ image tower
    def encode_image(self,
                     images: torch.Tensor,
                     prompts: LayerPrompts = None) -> torch.Tensor:
        """Encode images, optionally with deep visual prompts.

        Args:
            images (torch.Tensor): Normalised images ``[B, 3, H, W]``.
            prompts (sequence of Tensor | None, optional): ``prompts[l]`` is
                the visual prompt of layer ``l``, shape
                ``[n_ctx, vision_width]`` or ``[B, n_ctx, vision_width]``.

        Returns:
            torch.Tensor: Projected class-token features ``[B, embed_dim]``.
        """
        visual = self.clip.visual
        x = visual.conv1(images)  # shape = [B, width, grid, grid]
        x = x.flatten(2).transpose(1, 2)  # shape = [B, grid ** 2, width]
        cls = visual.class_embedding.to(x.dtype).expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1)  # shape = [B, grid ** 2 + 1, width]
        x = x + visual.positional_embedding.to(x.dtype)
        x = visual.patch_dropout(x)
        prompts = list(prompts) if prompts is not None else []
        n_ctx = 0
        if prompts and prompts[0] is not None:
            n_ctx = prompts[0].shape[-2]
            x = torch.cat([x, self._expand_visual(prompts[0], x)], dim=1)
        x = visual.ln_pre(x)
        for layer, block in enumerate(visual.transformer.resblocks):
            if 0 < layer < len(prompts) and prompts[layer] is not None:
                x = torch.cat(
                    [x[:, :-n_ctx],
                     self._expand_visual(prompts[layer], x)], dim=1)
            x = block(x)
        if n_ctx:
            x = x[:, :-n_ctx]
        pooled, _ = visual._pool(x)
        if visual.proj is not None:
            pooled = pooled @ visual.proj
        return pooled

    @staticmethod
    def _expand_visual(prompt: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Broadcast a visual prompt to ``[B, n_ctx, width]`` of ``x``."""
        return prompt.expand(x.shape[0], *prompt.shape[-2:])

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Frozen image features ``[B, embed_dim]`` (no prompts)."""
        return self.encode_image(images)

