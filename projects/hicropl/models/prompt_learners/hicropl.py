"""HiCroPL's cross-modal prompt learner (paper Sec. 3.2)."""
from typing import List, Optional, Tuple

import torch
import torch.nn as nn

from mmpretrain.registry import MODELS
from ...errors import ConfigError
from .base import BasePromptLearner, PromptSet
from .blocks import PROXIES, KnowledgeMapper, build_proxy

# Direction of the first layers (0..k-1) of the knowledge flow (Table 4).
FLOW_DIRECTIONS = ('t2i', 'i2t')
# Mapper scales (Table 6): all source layers' proxies, or the same layer's.
MAPPER_SCALES = ('multi', 'single')


@MODELS.register_module()
class HiCroPLPromptLearner(BasePromptLearner):
    """Deep text and visual prompts with a bidirectional knowledge flow.

    In layers ``0..k-1`` the text prompts flow into the visual prompts, in
    layers ``k..depth-1`` the visual prompts flow back into the text prompts.
    Each direction summarises every source layer's prompts into one proxy
    token (:class:`LayerKnowledgeProxy`, Eq. 2) and maps all target-layer
    prompts with a single :class:`KnowledgeMapper` attending to all those
    proxies (Eq. 3, 7-10).

    The mapper and LKPs are ordinary differentiable modules: the prompts
    given to the towers are the mapper outputs computed from the learnable
    prompts, so every parameter gets a gradient and ``forward`` is a pure
    function of the parameters. :class:`HiCroPLOfficialPromptLearner`
    reproduces the authors' code instead.

    Args:
        clip (PromptedCLIP): The backbone; only its widths, depth, tokenizer
            and token embedding are read (it is not stored).
        n_ctx (int): Prompt tokens per layer and modality.
        ctx_init (str): Words initialising the layer-0 text prompt (their
            token embeddings) and forming the class-prompt prefix. ``''``
            draws it at random (prefix ``"X X ... X"``).
        depth (int): Layers that receive prompts (both towers).
        cross_layer (int): ``k``: layers ``0..k-1`` map text -> image,
            layers ``k..depth-1`` map image -> text.
        num_heads (int): Heads of the LKP and mapper attentions.
        mlp_ratio (float): Mapper FFN hidden width / prompt width.
        prompt_std (float): Std of the random prompt initialisation.
        knowledge_flow (bool): The bidirectional knowledge flow (BKF, paper
            Table 11). False: no proxies and no mappers; the deep prompts of
            both towers are learned independently.
        first_flow (str): Direction of layers ``0..k-1``: ``'t2i'`` (text ->
            image, then image -> text in ``k..depth-1``; the paper's) or
            ``'i2t'`` (the reverse order, Table 4). ``cross_layer=depth``
            (with ``'t2i'``) or ``0`` gives a single direction in all layers.
        proxy (str): How a source layer's prompts become one token (Table
            7): ``'lkp'`` (:class:`LayerKnowledgeProxy`, Eq. 2), ``'mean'``
            (their average) or ``'mlp'`` (a 2-layer token-mixing MLP).
        text_to_visual_scale (str): ``'multi'`` (each visual prompt attends
            to the proxies of all source layers, Eq. 3) or ``'single'``
            (only to its own layer's proxy, a layer-to-layer mapping as in
            MaPLe; Table 6).
        visual_to_text_scale (str): The same for the image -> text mapper.
        mapper_act_cfg (dict): Activation of the mapper FFN (Eq. 10):
            ``QuickGELU`` as the authors' code (default) or ``GELU`` as the
            paper writes it.
        init_cfg (dict, optional): Unused; see :meth:`_init_prompts`.
    """

    def __init__(self,
                 clip: nn.Module,
                 n_ctx: int = 16,
                 ctx_init: str = '',
                 depth: int = 12,
                 cross_layer: int = 6,
                 num_heads: int = 8,
                 mlp_ratio: float = 4.0,
                 prompt_std: float = 0.02,
                 knowledge_flow: bool = True,
                 first_flow: str = 't2i',
                 proxy: str = 'lkp',
                 text_to_visual_scale: str = 'multi',
                 visual_to_text_scale: str = 'multi',
                 mapper_act_cfg: dict = dict(type='QuickGELU'),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        text_width, vision_width = clip.text_width, clip.vision_width
        self._validate(clip, n_ctx, depth, cross_layer, num_heads,
                       text_width, vision_width)
        self._validate_switches(first_flow, proxy, text_to_visual_scale,
                                visual_to_text_scale)
        self.n_ctx = n_ctx
        self.depth = depth
        self.cross_layer = cross_layer
        self.knowledge_flow = knowledge_flow
        self.first_flow = first_flow
        self.scales = dict(t2i=text_to_visual_scale, i2t=visual_to_text_scale)
        # Layers each direction maps: [start, stop) (empty: no mapper).
        first = (0, cross_layer) if knowledge_flow else (0, 0)
        second = (cross_layer, depth) if knowledge_flow else (depth, depth)
        self.flow_layers = dict(t2i=first, i2t=second) if first_flow == \
            't2i' else dict(i2t=first, t2i=second)

        self.text_prompts = nn.ParameterList(
            nn.Parameter(torch.empty(n_ctx, text_width)) for _ in range(depth))
        self.visual_prompts = nn.ParameterList(
            nn.Parameter(torch.empty(n_ctx, vision_width))
            for _ in range(depth))
        t2i_layers = range(*self.flow_layers['t2i'])
        i2t_layers = range(*self.flow_layers['i2t'])
        self.text_proxies = nn.ModuleList(
            build_proxy(proxy, text_width, num_heads, n_ctx)
            for _ in t2i_layers)
        self.visual_proxies = nn.ModuleList(
            build_proxy(proxy, vision_width, num_heads, n_ctx)
            for _ in i2t_layers)
        self.text_to_visual = KnowledgeMapper(
            vision_width, text_width, num_heads, mlp_ratio,
            mapper_act_cfg) if len(t2i_layers) else None
        self.visual_to_text = KnowledgeMapper(
            text_width, vision_width, num_heads, mlp_ratio,
            mapper_act_cfg) if len(i2t_layers) else None

        self.prompt_prefix, ctx_vectors = self._context_init(
            clip, ctx_init, n_ctx)
        self._init_prompts(ctx_vectors, prompt_std)

    # ------------------------------------------------------------------ setup
    @staticmethod
    def _validate(clip, n_ctx, depth, cross_layer, num_heads, text_width,
                  vision_width) -> None:
        # SOS + n_ctx words + at least one class-name token + '.' + EOT
        max_ctx = clip.context_length - 4
        if not 1 <= n_ctx <= max_ctx:
            raise ConfigError(
                f'n_ctx={n_ctx} must be in 1..{max_ctx}: the class prompts '
                f'(SOS, n_ctx tokens, class name, ".", EOT) must fit the text '
                f'context of {clip.context_length} tokens; set '
                f'model.prompt_learner.n_ctx accordingly.')
        max_depth = min(clip.text_layers, clip.vision_layers)
        if not 1 <= depth <= max_depth:
            raise ConfigError(
                f'depth={depth} must be in 1..{max_depth} (the layers of the '
                f'shallower CLIP tower); lower `depth` '
                f'(model.prompt_learner.depth).')
        if not 0 <= cross_layer <= depth:
            raise ConfigError(
                f'cross_layer (k) = {cross_layer} must be in 0..depth '
                f'(0..{depth}); set model.prompt_learner.cross_layer in '
                f'that range.')
        for width in (text_width, vision_width):
            if width % num_heads:
                raise ConfigError(
                    f'num_heads={num_heads} must divide the tower widths '
                    f'({text_width}, {vision_width}); set '
                    f'model.prompt_learner.num_heads to a divisor of both.')

    @staticmethod
    def _validate_switches(first_flow, proxy, text_to_visual_scale,
                           visual_to_text_scale) -> None:
        choices = (('first_flow', first_flow, FLOW_DIRECTIONS),
                   ('proxy', proxy, PROXIES),
                   ('text_to_visual_scale', text_to_visual_scale,
                    MAPPER_SCALES),
                   ('visual_to_text_scale', visual_to_text_scale,
                    MAPPER_SCALES))
        for name, value, allowed in choices:
            if value not in allowed:
                raise ConfigError(
                    f'{name}={value!r} is not one of {allowed}; set '
                    f'model.prompt_learner.{name} to one of them.')

    def _context_init(self, clip, ctx_init: str,
                      n_ctx: int) -> Tuple[str, Optional[torch.Tensor]]:
        """Class-prompt prefix and the initial layer-0 text prompt.

        Returns:
            tuple: ``(prefix, ctx)`` with ``ctx`` ``[n_ctx, text_width]``
            token embeddings of ``ctx_init``, or None for random init.
        """
        ctx_init = ctx_init.replace('_', ' ').strip()
        if ctx_init:
            tokens = clip.tokenize([ctx_init])  # shape = [1, L]
            num_words = int(tokens.argmax(dim=-1)) - 1
            if self._use_ctx_init(ctx_init, n_ctx, num_words):
                with torch.no_grad():
                    ctx = clip.embed_tokens(tokens)[0, 1:1 + n_ctx].clone()
                return ctx_init, ctx
        return ' '.join(['X'] * n_ctx), None

    def _use_ctx_init(self, ctx_init: str, n_ctx: int, num_words: int) -> bool:
        """Whether ``ctx_init`` (``num_words`` tokens) initialises the
        context: it must cover the ``n_ctx`` tokens."""
        if n_ctx <= num_words:
            return True
        raise ConfigError(
            f'ctx_init={ctx_init!r} has {num_words} tokens but '
            f"n_ctx={n_ctx}: set n_ctx <= {num_words} or ctx_init=''.")

    def _init_prompts(self, ctx: Optional[torch.Tensor], std: float) -> None:
        with torch.no_grad():
            for prompt in (*self.text_prompts, *self.visual_prompts):
                nn.init.normal_(prompt, std=std)
            if ctx is not None:
                self.text_prompts[0].copy_(ctx)

    def init_weights(self) -> None:
        """Initialisation happens at construction (kept deterministic)."""

    # ---------------------------------------------------------------- forward
    def class_prompt_template(self) -> str:
        """``'<prefix> {}.'``: the init words or ``n_ctx`` placeholders."""
        return f'{self.prompt_prefix} {{}}.'

    def map_prompts(
        self, text: List[torch.Tensor], visual: List[torch.Tensor]
    ) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        """Bidirectional knowledge flow (Eq. 2-3).

        With the defaults, visual layers ``0..k-1`` are mapped from the
        proxies of text layers ``0..k-1`` and text layers ``k..depth-1``
        from the proxies of visual layers ``k..depth-1`` (``flow_layers``
        gives each direction's layers). The two directions read and write
        disjoint layers, so their order does not matter.

        Args:
            text (list[Tensor]): ``depth`` text prompts ``[n_ctx, Wt]``.
            visual (list[Tensor]): ``depth`` visual prompts ``[n_ctx, Wv]``.

        Returns:
            tuple: New lists where each direction's target layers are
            replaced by the mapper outputs.
        """
        text, visual = list(text), list(visual)
        if self.text_to_visual is not None:
            visual = self._map(visual, text, self.flow_layers['t2i'],
                               self.text_proxies, self.text_to_visual,
                               self.scales['t2i'])
        if self.visual_to_text is not None:
            text = self._map(text, visual, self.flow_layers['i2t'],
                             self.visual_proxies, self.visual_to_text,
                             self.scales['i2t'])
        return text, visual

    def _map(self, target: List[torch.Tensor], source: List[torch.Tensor],
             layers: Tuple[int, int], proxies: nn.ModuleList,
             mapper: nn.Module, scale: str) -> List[torch.Tensor]:
        """Replace ``target[start:stop]`` by ``mapper`` outputs (Eq. 3).

        ``'multi'``: the ``(stop - start) * n`` target prompts attend to the
        ``stop - start`` proxy tokens of all source layers together;
        ``'single'``: each layer's ``n`` prompts attend to its own layer's
        proxy token only.
        """
        start, stop = layers
        n = self.n_ctx
        # shape = [stop - start, W_source]: one proxy token per source layer
        tokens = torch.cat(
            [proxy(source[start + j]) for j, proxy in enumerate(proxies)])
        target = list(target)
        if scale == 'multi':
            mapped = mapper(torch.cat(target[start:stop]), tokens)
            target[start:stop] = mapped.split(n)  # [L * n, W] -> L x [n, W]
        else:
            target[start:stop] = [
                mapper(target[start + j], tokens[j:j + 1])
                for j in range(stop - start)
            ]
        return target

    def forward(self) -> PromptSet:
        """Prompts of every layer: ``depth`` text prompts ``[n_ctx, W_t]``
        and ``depth`` visual prompts ``[n_ctx, W_v]`` (Eq. 2-3 applied)."""
        text, visual = list(self.text_prompts), list(self.visual_prompts)
        return PromptSet(*self.map_prompts(text, visual))
