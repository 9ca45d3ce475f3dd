"""CoOp: a learned context for the class prompts (Zhou et al., IJCV 2022)."""
from typing import Optional, Sequence

import torch
import torch.nn as nn
from mmengine.logging import MMLogger

from mmpretrain.registry import MODELS
from ...errors import ConfigError
from .base import CLASS_TOKEN_POSITIONS, BasePromptLearner, PromptSet


@MODELS.register_module()
class CoOpPromptLearner(BasePromptLearner):
    """Context Optimization: ``n`` learned word vectors replace the words of
    a hand-written class prompt (CoOp, Sec. 3.2, Eq. 2-3).

    The class prompt of class ``c`` is ``[SOS, ctx_c, name_c, ., EOT]`` with
    the class name at the end, in the middle (``ctx[:n//2], name,
    ctx[n//2:]``) or at the front (``name, ctx``); both towers are the
    frozen CLIP otherwise (no visual or deep prompts). ``ctx`` is one
    ``[n, W]`` context for all classes (unified) or ``[C, n, W]`` (class
    specific, CSC).

    The context length and initialisation follow the authors' code
    (reference README, section 10b): with ``ctx_init`` the context is the
    token embeddings of its first ``n`` tokens, ``n`` being the number of
    space-separated WORDS of ``ctx_init`` (not BPE tokens; leftover tokens
    of multi-token words stay in the prompt after the context), and the
    context is unified. A different ``n_ctx`` or ``class_specific=True``
    given together with ``ctx_init`` is overridden with a warning, as the
    authors' code ignores them. Without ``ctx_init`` the context is drawn
    from ``N(0, prompt_std^2)`` and the prompt prefix is ``"X X ... X"``.

    Args:
        clip (PromptedCLIP): The backbone (its text width, context length,
            tokenizer and token embedding are read; it is not stored).
        n_ctx (int): Context tokens without ``ctx_init``. Defaults to 16.
        ctx_init (str): Initialisation words (underscores are spaces).
        class_specific (bool): One context per class (CSC). Needs
            ``num_classes``; the classifier must then classify among exactly
            that many classes.
        num_classes (int, optional): ``C`` for ``class_specific``.
        class_token_position (str): ``'end'``, ``'middle'`` or ``'front'``.
        prompt_std (float): Std of the random initialisation.
        init_cfg (dict, optional): Unused; the context is set at
            construction.
    """

    def __init__(self,
                 clip: nn.Module,
                 n_ctx: int = 16,
                 ctx_init: str = '',
                 class_specific: bool = False,
                 num_classes: Optional[int] = None,
                 class_token_position: str = 'end',
                 prompt_std: float = 0.02,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if class_token_position not in CLASS_TOKEN_POSITIONS:
            raise ConfigError(
                f'class_token_position must be one of '
                f'{CLASS_TOKEN_POSITIONS}, got {class_token_position!r}.')
        ctx_init = ctx_init.replace('_', ' ').strip()
        logger = MMLogger.get_current_instance()
        if ctx_init:
            words = len(ctx_init.split(' '))
            if n_ctx != words:
                logger.warning(
                    f'CoOp: ctx_init={ctx_init!r} sets the context length to '
                    f'its {words} words; n_ctx={n_ctx} is ignored (as in the '
                    "authors' code).")
            if class_specific:
                logger.warning(
                    'CoOp: class_specific is ignored with ctx_init (one '
                    "context for all classes, as in the authors' code).")
            n_ctx, class_specific = words, False
        max_ctx = clip.context_length - 4  # SOS, name, '.', EOT
        if not 1 <= n_ctx <= max_ctx:
            raise ConfigError(f'n_ctx={n_ctx} must be in 1..{max_ctx} (the '
                             f'text context is {clip.context_length}).')
        if class_specific and not (num_classes and num_classes >= 1):
            raise ConfigError('class_specific=True needs num_classes (the '
                             'number of classes C of the contexts).')
        self.n_ctx = n_ctx
        self.class_specific = class_specific
        self.num_classes = num_classes if class_specific else None
        self.class_token_position = class_token_position
        self.prompt_prefix = ctx_init or ' '.join(['X'] * n_ctx)
        shape = (n_ctx, clip.text_width)
        if class_specific:
            shape = (num_classes, *shape)
        self.ctx = nn.Parameter(torch.empty(shape))
        with torch.no_grad():
            if ctx_init:
                tokens = clip.tokenize([ctx_init])  # shape = [1, L]
                self.ctx.copy_(clip.embed_tokens(tokens)[0, 1:1 + n_ctx])
            else:
                nn.init.normal_(self.ctx, std=prompt_std)

    def init_weights(self) -> None:
        """Initialisation happens at construction (kept deterministic)."""

    def class_prompt_template(self) -> str:
        """``'<prefix> {}.'``: the init words or ``n_ctx`` placeholders."""
        return f'{self.prompt_prefix} {{}}.'

    def check_classnames(self, classnames: Sequence[str]) -> None:
        if self.class_specific and len(classnames) != self.num_classes:
            raise ConfigError(
                f'The class-specific contexts were learned for '
                f'{self.num_classes} classes, got {len(classnames)}: CSC '
                'classifies among the training classes only (use a unified '
                'context, class_specific=False, for new classes).')

    def forward(self) -> PromptSet:
        """The layer-0 text prompt: ``ctx`` ``[n, W]`` or ``[C, n, W]``."""
        return PromptSet(text=[self.ctx], visual=[])
