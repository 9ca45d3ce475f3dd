"""Token ids of the class prompts and where the learned context goes."""
from typing import Callable, Sequence, Tuple

import torch

from ..prompt_learners.base import CLASS_TOKEN_POSITIONS

__all__ = ['ClassPromptError', 'build_class_prompts']


class ClassPromptError(ValueError):
    """The class prompts cannot be built (too long, bad layout)."""


def _layout(n_ctx: int, name_len: int, position: str) -> torch.Tensor:
    """Source position of every position ``1 .. n_ctx + name_len``.

    The prompt ``[SOS, X_1 .. X_n, name_1 .. name_m, ...]`` is rearranged
    into CoOp's layouts (``X`` = context slots):

    * ``'end'``: ``[SOS, X, name, ...]`` (unchanged);
    * ``'middle'``: ``[SOS, X_1 .. X_h, name, X_h+1 .. X_n, ...]``,
      ``h = n // 2``;
    * ``'front'``: ``[SOS, name, X, ...]``.

    Returns:
        torch.Tensor: ``src[p - 1]`` = the original position moved to ``p``.
    """
    ctx = list(range(1, 1 + n_ctx))
    name = list(range(1 + n_ctx, 1 + n_ctx + name_len))
    if position == 'end':
        order = ctx + name
    elif position == 'middle':
        half = n_ctx // 2
        order = ctx[:half] + name + ctx[half:]
    else:  # 'front'
        order = name + ctx
    return torch.tensor(order, dtype=torch.long)


def build_class_prompts(tokenize: Callable[..., torch.Tensor],
                        template: str,
                        classnames: Sequence[str],
                        n_ctx: int,
                        position: str,
                        context_length: int
                        ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Tokenize the class prompts and place the context slots.

    The prompt of class ``c`` is ``template.format(name)`` with underscores
    of the name replaced by spaces; its first ``n_ctx`` words after SOS are
    the context slots (placeholders or init words). For ``'middle'`` /
    ``'front'`` the slots and the ``m_c`` BPE tokens of the name are
    reordered as CoOp does (``name_lens``); positions after them (".", EOT,
    padding, leftover init tokens) stay where they are, so the EOT is still
    at ``argmax(tokens)``.

    Args:
        tokenize (callable): ``(texts, context_length) -> [N, length]`` ids.
        template (str): Class prompt with ``{}`` for the name.
        classnames (list[str]): The classes ``C``.
        n_ctx (int): Context slots (0: none).
        position (str): ``'end'``, ``'middle'`` or ``'front'``.
        context_length (int): The text tower's context.

    Returns:
        tuple: ``tokens`` ``[C, context_length]`` (long) and ``ctx_index``
        ``[C, n_ctx]`` (long), the positions of the context slots.

    Raises:
        ClassPromptError: A prompt does not fit the context.
    """
    if position not in CLASS_TOKEN_POSITIONS:
        raise ClassPromptError(
            f'class_token_position must be one of {CLASS_TOKEN_POSITIONS}, '
            f'got {position!r}.')
    names = [c.replace('_', ' ') for c in classnames]
    prompts = [template.format(name) for name in names]
    # One position more than fits: a token there means truncation.
    untruncated = tokenize(prompts, context_length=context_length + 1)
    too_long = [c for c, t in zip(classnames, untruncated)
                if t[context_length] != 0]
    if too_long:
        raise ClassPromptError(
            f'The prompts of {too_long} do not fit the text context '
            f'({context_length} tokens with n_ctx={n_ctx}); shorten these '
            'class names or lower n_ctx.')
    tokens = untruncated[:, :context_length].contiguous()
    ctx_index = torch.arange(1, 1 + n_ctx).expand(len(names), n_ctx)
    if position == 'end':
        return tokens, ctx_index.contiguous()
    # BPE tokens of each name alone (between SOS and EOT).
    name_lens = tokenize(names, context_length=context_length).argmax(-1) - 1
    ctx_index = torch.empty(len(names), n_ctx, dtype=torch.long)
    for c, name_len in enumerate(name_lens.tolist()):
        src = _layout(n_ctx, name_len, position)
        span = torch.arange(1, 1 + len(src))
        tokens[c, span] = tokens[c, src].clone()
        ctx_index[c] = span[src <= n_ctx]
    return tokens, ctx_index
