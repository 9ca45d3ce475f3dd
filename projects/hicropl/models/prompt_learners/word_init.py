"""Word initialisation of the layer-0 text prompt as the MaPLe / IVLP /
PromptSRC authors' code does it (reference README, sections 11b and 12b)."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmengine.logging import MMLogger

# Their code initialises the context from CTX_INIT only up to this length.
MAX_WORD_INIT_CTX = 4


def authors_word_init(clip: nn.Module, ctx_init: str, n_ctx: int,
                      method: str) -> Tuple[str, Optional[torch.Tensor]]:
    """Class-prompt prefix and initial layer-0 text prompt.

    With a non-empty ``ctx_init`` (underscores are spaces) and
    ``n_ctx <= 4`` the context is the token embeddings at positions
    ``1 .. n_ctx`` of ``tokenize(ctx_init)`` and the prefix is the WHOLE
    ``ctx_init``: with ``n_ctx = 2`` and ``'a photo of a'`` the words
    ``'of a'`` stay in the class prompt as fixed tokens after the context.
    Otherwise the context is random and the prefix ``'X X ... X'``
    (``ctx_init`` is ignored, with a warning).

    Args:
        clip (PromptedCLIP): Its tokenizer and token embedding are read.
        ctx_init (str): Initialisation words, ``''`` for none.
        n_ctx (int): Context tokens ``n``.
        method (str): Method name for the warnings.

    Returns:
        tuple: ``(prefix, ctx)``, ``ctx`` ``[n_ctx, text_width]`` or None
        (random initialisation).
    """
    ctx_init = ctx_init.replace('_', ' ').strip()
    placeholders = ' '.join(['X'] * n_ctx)
    if not ctx_init:
        return placeholders, None
    logger = MMLogger.get_current_instance()
    if n_ctx > MAX_WORD_INIT_CTX:
        logger.warning(
            f'{method}: ctx_init={ctx_init!r} is ignored with n_ctx={n_ctx} > '
            f"{MAX_WORD_INIT_CTX} (random context, as in the authors' code).")
        return placeholders, None
    tokens = clip.tokenize([ctx_init])  # shape = [1, L]
    num_tokens = int(tokens.argmax(dim=-1)) - 1
    if n_ctx > num_tokens:
        logger.warning(
            f'{method}: ctx_init={ctx_init!r} has {num_tokens} tokens but '
            f'n_ctx={n_ctx}: the last context tokens start from the EOT / '
            "padding embeddings, as in the authors' code.")
    with torch.no_grad():
        ctx = clip.embed_tokens(tokens)[0, 1:1 + n_ctx].clone()
    return ctx_init, ctx
