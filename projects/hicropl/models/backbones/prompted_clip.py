"""A frozen open_clip CLIP whose towers accept per-layer (deep) prompts."""
import hashlib
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MMLogger
from mmengine.model import BaseModule
from open_clip.transformer import ResidualAttentionBlock
from torch.utils.checkpoint import checkpoint

from mmpretrain.registry import MODELS
from ...errors import ConfigError
from .clip_factory import build_open_clip

LayerPrompts = Optional[Sequence[Optional[torch.Tensor]]]
Queries = Optional[Union[slice, torch.Tensor]]


def _per_sequence(queries: Queries) -> bool:
    return isinstance(queries, torch.Tensor) and queries.dim() == 2


def _select(x: torch.Tensor, queries: Queries) -> torch.Tensor:
    """Rows of ``x`` ``[N, L, D]`` at ``queries`` (:func:`block_forward`)."""
    if queries is None:
        return x
    if _per_sequence(queries):
        return x.gather(1, queries.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
    return x[:, queries]  # shape = [N, K, D]


def _is_plain_block(block: nn.Module) -> bool:
    """Whether ``block`` is open_clip's standard pre-LN residual block."""
    attn = getattr(block, 'attn', None)
    return (type(block) is ResidualAttentionBlock
            and not hasattr(block, 'ln_1_kv')
            and isinstance(attn, nn.MultiheadAttention) and attn.batch_first
            and attn._qkv_same_embed_dim and attn.in_proj_bias is not None
            and attn.bias_k is None and not attn.add_zero_attn)


def block_forward(block: nn.Module,
                  x: torch.Tensor,
                  queries: Queries = None,
                  allowed: Optional[torch.Tensor] = None) -> torch.Tensor:
    """One open_clip transformer block, computed only where it is read.

    Every position gives keys and values, but only the ``queries`` positions
    get a query, an attention output and an MLP: the others' outputs would be
    overwritten by the next layer's deep prompt or never pooled. The result
    at those positions is the block's own result (same math, fp32 rounding).
    Attention is PyTorch's fused ``scaled_dot_product_attention``; the
    projections run on contiguous batch-first tensors, which keeps them
    single matrix products in forward and backward (``nn.MultiheadAttention``
    projects a transposed view of batch-first input, which autograd turns
    into a batched product with a broadcast weight: about 3x slower on CPU).

    Args:
        block (nn.Module): An open_clip ``ResidualAttentionBlock``; other
            block types run whole and are then indexed.
        x (torch.Tensor): Hidden states ``[N, L, D]``.
        queries (slice | torch.Tensor, optional): Positions to compute: a
            slice or indices ``[K]`` (the same for every sequence), indices
            ``[N, K]`` (per sequence), or None for all ``L``.
        allowed (torch.Tensor, optional): Boolean attention mask ``[L, L]``
            (True where a query may attend a key); None attends everything.

    Returns:
        torch.Tensor: Outputs ``[N, K, D]`` (``[N, L, D]`` for all positions).
    """
    if not _is_plain_block(block):
        mask = None
        if allowed is not None:
            mask = torch.zeros(allowed.shape, dtype=x.dtype, device=x.device)
            mask.masked_fill_(~allowed, float('-inf'))
        return _select(block(x, attn_mask=mask), queries)
    attn = block.attn
    hidden = block.ln_1(x)
    if queries is None:
        q, k, v = F.linear(hidden, attn.in_proj_weight,
                           attn.in_proj_bias).chunk(3, dim=-1)
    else:
        width = x.shape[-1]
        w_q, w_kv = attn.in_proj_weight.split([width, 2 * width])
        b_q, b_kv = attn.in_proj_bias.split([width, 2 * width])
        # shape = [N, K, D]; contiguous keeps the product one matrix product
        q = F.linear(_select(hidden, queries).contiguous(), w_q, b_q)
        k, v = F.linear(hidden, w_kv, b_kv).chunk(2, dim=-1)
    # shape = [N, heads, L or K, D / heads]
    q, k, v = (t.unflatten(-1, (attn.num_heads, -1)).transpose(1, 2)
               for t in (q, k, v))
    mask = allowed
    if allowed is not None and queries is not None:
        mask = allowed[queries]  # shape = [K, L] or [N, K, L]
        mask = mask.unsqueeze(1) if _per_sequence(queries) else mask
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    out = attn.out_proj(out.transpose(1, 2).flatten(2))  # shape = [N, K, D]
    x = _select(x, queries) + block.ls_1(out)
    return x + block.ls_2(block.mlp(block.ln_2(x)))


# Seed of the random weights built when ``pretrained`` is None: an
# architecture always gets the same weights, so that lean checkpoints of
# models trained on a random CLIP (tests, the demo) reload exactly.
RANDOM_WEIGHTS_SEED = 2


def _drop_frozen_state(module: nn.Module, state_dict: Dict, prefix: str,
                       local_metadata: Dict) -> None:
    """``state_dict`` post-hook: the frozen CLIP is not saved."""
    frozen = prefix + 'clip.'
    for key in [k for k in state_dict if k.startswith(frozen)]:
        del state_dict[key]


def _fill_frozen_state(module: nn.Module, state_dict: Dict, prefix: str,
                       *args) -> None:
    """``load_state_dict`` pre-hook: CLIP weights absent from
    ``state_dict`` (lean checkpoints) keep their values; present ones (full
    checkpoints) are loaded."""
    for key, tensor in module.clip.state_dict(
            prefix=prefix + 'clip.', keep_vars=True).items():
        state_dict.setdefault(key, tensor)


@MODELS.register_module()
class PromptedCLIP(BaseModule):
    """Frozen CLIP (from open_clip) with prompt-capable image and text towers.

    One mechanism serves every prompt-learning method: a method's prompt
    learner produces, for each layer ``l``, a text prompt ``T[l]`` and/or a
    visual prompt ``V[l]``; the towers insert them as follows.

    * Text (CoOp; deep: MaPLe/IVLP/HiCroPL style): the class prompt is
      tokenized with ``n_ctx`` placeholder words, right after SOS or, in
      CoOp's ``'middle'`` / ``'front'`` layouts, at the positions
      ``ctx_index``. Those positions of the input embeddings are replaced by
      ``T[0]``, and before every layer ``l >= 1`` that has a prompt the
      hidden states at those positions are replaced by ``T[l]``. ``T[l]`` is
      ``[n_ctx, W]`` (shared by all sequences) or ``[N, n_ctx, W]`` (per
      class, CoOp's CSC; per image and class, CoCoOp). Pooling takes the EOT
      token (``argmax`` of the token ids).
    * Image: ``V[0]`` is appended as ``n_ctx`` extra tokens after the
      positional embedding and before ``ln_pre`` (they get no positional
      embedding); before every layer ``l >= 1`` that has a prompt the last
      ``n_ctx`` tokens are replaced by ``V[l]``. Pooling uses the class token.

    With no prompts both towers compute exactly open_clip's
    ``encode_image`` / ``encode_text``; these are the frozen (zero-shot)
    features, computed with the same weights (no second copy of CLIP).

    Because the text mask is causal and pooling reads the EOT token, tokens
    after the last EOT of a batch cannot change the result: the text tower
    only runs up to that position (exact, not an approximation). Likewise
    each block computes outputs only where a later layer reads them
    (:func:`block_forward`): the outputs at prompt positions are replaced
    by the next layer's prompt, and the last layer is pooled at one token
    (EOT / class token), so those positions only give keys and values.

    Checkpoints: the frozen CLIP contributes nothing to ``state_dict()`` (it
    is rebuilt from ``arch`` and ``pretrained``), and ``load_state_dict``
    accepts its weights being absent. A full checkpoint that holds them
    (e.g. from an older version) loads them.

    Args:
        arch (str | dict): An open_clip model name (``'ViT-B-16'``) or an
            open_clip model config dict (``embed_dim``, ``vision_cfg``,
            ``text_cfg``, optional ``quick_gelu``).
        pretrained (str, optional): An open_clip pretrained tag
            (``'openai'``, ``'laion2b_s34b_b88k'``) or a local checkpoint file
            (open_clip or OpenAI format, TorchScript archives included).
            ``None`` keeps random weights, drawn with the fixed seed
            ``RANDOM_WEIGHTS_SEED`` (the same for every build, without
            touching the global RNG). Defaults to ``'openai'``.
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
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(RANDOM_WEIGHTS_SEED)
            clip, tokenizer = build_open_clip(arch, pretrained, quick_gelu)
        self._check_supported(clip)
        self.clip = clip
        self.tokenizer = tokenizer
        self.lock()
        self.register_state_dict_post_hook(_drop_frozen_state)
        self.register_load_state_dict_pre_hook(_fill_frozen_state)
        if not pretrained:
            MMLogger.get_current_instance().warning(
                'PromptedCLIP has RANDOM weights (pretrained=None): training '
                'and evaluation run, but accuracy is meaningful only with '
                'real CLIP weights (set `pretrained`, e.g. "openai").')

    # ------------------------------------------------------------------ setup
    @staticmethod
    def _check_supported(clip: nn.Module) -> None:
        if not hasattr(clip, 'token_embedding'):
            raise ConfigError(
                'PromptedCLIP needs an open_clip CLIP with the built-in text '
                'transformer (not a CustomTextCLIP / HF text tower); choose an '
                'architecture such as ViT-B-16 or ViT-L-14.')
        visual = clip.visual
        if not hasattr(visual, 'conv1') or getattr(visual, 'attn_pool',
                                                    None) is not None:
            raise ConfigError(
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
    def _pools_class_token(self) -> bool:
        """Whether image pooling reads the class token only."""
        return getattr(self.clip.visual, 'pool_type', 'tok') == 'tok'

    @property
    def preprocess_cfg(self) -> Dict:
        """Mean / std of the backbone's image normalisation (0..1 scale)."""
        return dict(getattr(self.clip.visual, 'preprocess_cfg', {}))

    def identity(self) -> str:
        """A string naming the backbone and its weights (checkpoint meta)."""
        return f'{self.arch!r}|{self.pretrained!r}'

    def text_tower_fingerprint(self) -> str:
        """SHA-256 of everything the frozen text features depend on: the
        text tower's tensors (values, shapes, dtypes) and its module types
        (e.g. QuickGELU vs GELU). Keys on-disk caches of frozen text
        embeddings, so a checkpoint replaced under the same path or another
        activation never reuses a stale entry. Recomputed only when a text
        tower tensor changed (another storage, dtype or version: ``.to()``,
        ``load_state_dict``)."""
        clip = self.clip
        named = [('token_embedding', clip.token_embedding),
                 ('transformer', clip.transformer),
                 ('ln_final', clip.ln_final)]
        tensors = [t for _, m in named for t in m.state_dict().values()]
        for name in ('positional_embedding', 'text_projection', 'attn_mask'):
            tensor = getattr(clip, name)
            tensors.append(tensor.weight if isinstance(tensor, nn.Linear)
                           else tensor)
        state = tuple((t.data_ptr(), t._version, t.dtype, t.device)
                      if isinstance(t, torch.Tensor) else id(t)
                      for t in tensors)
        memo = getattr(self, '_text_fingerprint', None)
        if memo is None or memo[0] != state:
            digest = hashlib.sha256()
            for prefix, module in named:
                for name, sub in module.named_modules():
                    digest.update(f'{prefix}.{name}:{type(sub).__name__};'
                                  .encode())
                for name, tensor in module.state_dict().items():
                    self._hash_tensor(digest, f'{prefix}.{name}', tensor)
            for name in ('positional_embedding', 'text_projection',
                         'attn_mask'):
                self._hash_tensor(digest, name, getattr(clip, name))
            self._text_fingerprint = (state, digest.hexdigest())
        return self._text_fingerprint[1]

    @staticmethod
    def _hash_tensor(digest, name: str, tensor) -> None:
        if tensor is None:
            digest.update(f'{name}:None;'.encode())
            return
        if isinstance(tensor, nn.Linear):  # text_projection of some archs
            tensor = tensor.weight
        tensor = tensor.detach().cpu().contiguous()
        digest.update(f'{name}:{tuple(tensor.shape)}:{tensor.dtype};'
                      .encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())

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
    def embed_text(self,
                   tokens: torch.Tensor,
                   prompt: Optional[torch.Tensor] = None,
                   ctx_index: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Input embeddings of the text tower (before the positional
        embedding): token embeddings with ``prompt`` at the context slots.

        Args:
            tokens (torch.Tensor): Token ids ``[N, L]``.
            prompt (torch.Tensor, optional): Layer-0 text prompt ``[n, W]``
                (shared) or ``[N, n, W]`` (one per sequence).
            ctx_index (torch.Tensor, optional): Positions of the ``n``
                context slots of each sequence ``[N, n]``; None: ``1..n``
                (right after SOS).

        Returns:
            torch.Tensor: ``[N, L, W]``.
        """
        x = self.embed_tokens(tokens)  # shape = [N, L, width]
        if prompt is None:
            return x
        if ctx_index is None:
            return self._replace_text_prompt(x, prompt)
        return self._scatter_text_prompt(x, prompt, ctx_index)

    def encode_text(self,
                    tokens: torch.Tensor,
                    prompts: LayerPrompts = None,
                    ctx_index: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Encode class prompts, optionally with deep text prompts.

        Args:
            tokens (torch.Tensor): Token ids ``[N, context_length]``; with
                prompts, the context slots hold placeholder words.
            prompts (sequence of Tensor | None, optional): ``prompts[l]`` is
                the text prompt of layer ``l``, shape ``[n_ctx, text_width]``
                (shared by all sequences) or ``[N, n_ctx, text_width]`` (one
                per sequence: per class, or per class and image); ``None``
                entries and layers past the end keep the hidden states.
            ctx_index (torch.Tensor, optional): Context-slot positions
                ``[N, n_ctx]`` (CoOp's ``'middle'`` / ``'front'`` layouts);
                None: positions ``1..n_ctx``.

        Returns:
            torch.Tensor: Projected EOT features ``[N, embed_dim]``.
        """
        eot = tokens.argmax(dim=-1)  # shape = [N]
        seq_len = int(eot.max()) + 1  # exact truncation (causal mask)
        tokens = tokens[:, :seq_len]
        blocks = self.clip.transformer.resblocks
        prompts = self._per_layer(prompts, len(blocks))
        x = self.embed_text(tokens, prompts[0], ctx_index)
        x = x + self.clip.positional_embedding[:seq_len]
        allowed = torch.isfinite(self.clip.attn_mask[:seq_len, :seq_len])
        positions = torch.arange(seq_len, device=x.device)
        for layer, block in enumerate(blocks):
            # Outputs at the context slots are overwritten by the next
            # layer's prompt; the last layer is read only at the EOT tokens.
            following = prompts[layer + 1] if layer + 1 < len(blocks) else None
            queries = None
            if layer == len(blocks) - 1:
                queries = eot[:, None]  # shape = [N, 1]
            elif following is not None and ctx_index is None:
                n_ctx = following.shape[-2]
                queries = torch.cat([positions[:1], positions[1 + n_ctx:]])
            x = self._run_block(block, x, queries, allowed)
            if following is None:
                continue
            if ctx_index is None:
                x = self._insert_text_prompt(x, following)
            else:
                x = self._scatter_text_prompt(x, following, ctx_index)
        pooled = self.clip.ln_final(x[:, 0])  # shape = [N, width]
        return pooled @ self.clip.text_projection

    def _run_block(self, block: nn.Module, x: torch.Tensor,
                   queries: Queries,
                   allowed: Optional[torch.Tensor]) -> torch.Tensor:
        """:func:`block_forward`, checkpointed when ``with_cp`` applies."""
        if self.with_cp and x.requires_grad:
            return checkpoint(
                block_forward, block, x, queries, allowed, use_reentrant=False)
        return block_forward(block, x, queries, allowed)

    @staticmethod
    def _per_layer(prompts: LayerPrompts,
                   num_layers: int) -> List[Optional[torch.Tensor]]:
        """``prompts`` as one entry (Tensor or None) per layer."""
        prompts = list(prompts)[:num_layers] if prompts is not None else []
        return prompts + [None] * (num_layers - len(prompts))

    @staticmethod
    def _replace_text_prompt(x: torch.Tensor,
                             prompt: torch.Tensor) -> torch.Tensor:
        """Put ``prompt`` at token positions ``1..n`` of ``x`` ``[C, L, W]``."""
        n_ctx = prompt.shape[-2]
        prompt = prompt.expand(x.shape[0], n_ctx, x.shape[-1])
        return torch.cat([x[:, :1], prompt, x[:, 1 + n_ctx:]], dim=1)

    @staticmethod
    def _scatter_text_prompt(x: torch.Tensor, prompt: torch.Tensor,
                             ctx_index: torch.Tensor) -> torch.Tensor:
        """Put ``prompt`` at positions ``ctx_index`` ``[N, n]`` of ``x``
        ``[N, L, W]`` (out of place; the prompt gets the gradient)."""
        prompt = prompt.expand(x.shape[0], *prompt.shape[-2:])
        index = ctx_index.unsqueeze(-1).expand(-1, -1, x.shape[-1])
        return x.scatter(1, index, prompt)

    @staticmethod
    def _insert_text_prompt(x: torch.Tensor,
                            prompt: torch.Tensor) -> torch.Tensor:
        """Insert ``prompt`` after the SOS token of ``x`` ``[C, L - n, W]``."""
        prompt = prompt.expand(x.shape[0], *prompt.shape[-2:])
        return torch.cat([x[:, :1], prompt, x[:, 1:]], dim=1)

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
        num_image_tokens = x.shape[1]
        blocks = visual.transformer.resblocks
        prompts = self._per_layer(prompts, len(blocks))
        if prompts[0] is not None:
            x = torch.cat([x, self._expand_visual(prompts[0], x)], dim=1)
        x = visual.ln_pre(x)
        for layer, block in enumerate(blocks):
            # Prompt-token outputs are overwritten by the next layer's prompt
            # (dropped before pooling after the last layer); the last layer
            # is read only at the class token when pooling takes that token.
            following = prompts[layer + 1] if layer + 1 < len(blocks) else None
            queries = None
            if layer == len(blocks) - 1 and self._pools_class_token:
                queries = slice(0, 1)
            elif following is not None or (layer == len(blocks) - 1
                                           and x.shape[1] > num_image_tokens):
                queries = slice(0, num_image_tokens)
            x = block_forward(block, x, queries)
            if following is not None:
                x = torch.cat([x, self._expand_visual(following, x)], dim=1)
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

