"""Class-sharded text encoding across the ranks of a process group.

Every training step encodes the prompts of all ``C`` classes with the text
tower (``C`` sequences) but only ``B`` images per rank with the image tower.
With ``W`` data-parallel ranks each rank can encode its own contiguous
slice of ``ceil(C / W)`` classes instead and the full ``[C, D]`` class-feature
matrix is assembled with a differentiable all-gather, which divides the text
tower's cost per rank by ``W``.

Loss and gradients stay those of the single-process run. Rank ``r``'s loss
``L_r`` depends on every shard ``T_s``; the all-gather's backward (a
reduce-scatter) hands rank ``s`` the sum ``sum_r dL_r / dT_s``, which it
back-propagates through its own text tower. DDP then averages the parameter
gradients over the ranks, so the result is
``1/W sum_s sum_r dL_r/dT_s dT_s/dtheta + (image paths)``, i.e. exactly the
gradient of ``1/W sum_r L_r``, the loss of the whole global batch (each rank
holding the same number of images).
"""
import math
from typing import Callable, Optional, Sequence

import torch
import torch.distributed as dist

__all__ = [
    'all_gather_rows', 'dist_world_size', 'shard_bounds', 'shard_indices',
    'sharded_encode_text', 'text_tokens_per_rank'
]

# Recent torch names them *_single and deprecates the *_tensor names.
_all_gather = getattr(dist, 'all_gather_single', dist.all_gather_into_tensor)
_reduce_scatter = getattr(dist, 'reduce_scatter_single',
                          dist.reduce_scatter_tensor)


def dist_world_size(group: Optional[dist.ProcessGroup] = None) -> int:
    """Ranks of ``group`` (the default group), 1 without torch.distributed."""
    if not (dist.is_available() and dist.is_initialized()):
        return 1
    return dist.get_world_size(group)


class _AllGatherRows(torch.autograd.Function):
    """All-gather along dim 0; backward: reduce-scatter (sum over ranks)."""

    @staticmethod
    def forward(ctx, local: torch.Tensor,
                group: Optional[dist.ProcessGroup]) -> torch.Tensor:
        ctx.group = group
        world_size = dist.get_world_size(group)
        out = local.new_empty((world_size * local.shape[0], *local.shape[1:]))
        _all_gather(out, local.contiguous(), group=group)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        world_size = dist.get_world_size(ctx.group)
        local = grad.new_empty((grad.shape[0] // world_size,
                                *grad.shape[1:]))
        _reduce_scatter(local, grad.contiguous(), group=ctx.group)
        return local, None


def all_gather_rows(local: torch.Tensor,
                    group: Optional[dist.ProcessGroup] = None
                    ) -> torch.Tensor:
    """Differentiable all-gather of same-shape tensors along dim 0.

    Args:
        local (torch.Tensor): This rank's rows ``[N, ...]`` (same shape on
            every rank).
        group (ProcessGroup, optional): Defaults to the default group.

    Returns:
        torch.Tensor: ``[W * N, ...]``, rank ``r``'s rows at
        ``r * N:(r + 1) * N``. The gradient of ``local`` is the sum over
        the ranks of the gradients of its rows (each rank's loss may depend
        on every rank's rows).
    """
    return _AllGatherRows.apply(local, group)


def shard_bounds(num_items: int, world_size: int, rank: int) -> slice:
    """Contiguous slice of ``num_items`` owned by ``rank``.

    Every rank owns ``ceil(num_items / world_size)`` items except at the end:
    the last ranks own fewer, possibly none (``num_items < world_size``).

    Args:
        num_items (int): Items to share out (classes, sentences).
        world_size (int): Number of ranks ``W``.
        rank (int): This rank, ``0 <= rank < W``.

    Returns:
        slice: ``slice(start, stop)`` with ``0 <= start <= stop <= num_items``.
    """
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(f'rank {rank} is not in 0..{world_size - 1}.')
    per_rank = math.ceil(num_items / world_size)
    start = min(rank * per_rank, num_items)
    return slice(start, min(start + per_rank, num_items))


def shard_indices(num_items: int, world_size: int, rank: int) -> torch.Tensor:
    """The ``ceil(num_items / W)`` rows encoded by ``rank``, padded.

    Row ``i`` of the shard is item ``rank * ceil(C / W) + i``; rows past the
    last item repeat item ``C - 1`` so that every rank encodes the same
    number of real sequences (same-shape all-gather, and every prompt
    parameter takes part in every rank's graph, as DDP expects). Padded rows
    are dropped after the gather and get zero gradient.

    Args:
        num_items (int): ``C``, at least 1.
        world_size (int): Number of ranks ``W``.
        rank (int): This rank.

    Returns:
        torch.Tensor: Item indices ``[ceil(C / W)]`` (long).
    """
    if num_items < 1:
        raise ValueError('Nothing to shard: num_items must be >= 1.')
    per_rank = math.ceil(num_items / world_size)
    start = rank * per_rank
    return torch.arange(start, start + per_rank).clamp_(max=num_items - 1)


def text_tokens_per_rank(num_classes: int, seq_len: int,
                         world_size: int = 1) -> int:
    """Text-tower tokens one rank encodes per step.

    Without sharding (``world_size=1``) a rank encodes all ``C`` class
    prompts of ``seq_len`` tokens (the length after truncation at the last
    EOT); with class sharding over ``W`` ranks it encodes
    ``ceil(C / W)`` prompts (padded shards included). Each shard is cut at
    its own last EOT: with ``seq_len`` the truncated length of the whole
    class list, this is the count of the rank holding the longest prompt
    and an upper bound for the others.

    Args:
        num_classes (int): ``C``.
        seq_len (int): Tokens per class prompt after truncation.
        world_size (int): ``W``, the ranks the classes are sharded over.

    Returns:
        int: ``ceil(C / W) * seq_len``.
    """
    if num_classes < 0 or seq_len < 0 or world_size < 1:
        raise ValueError(
            f'Need num_classes >= 0, seq_len >= 0 and world_size >= 1, got '
            f'({num_classes}, {seq_len}, {world_size}).')
    return math.ceil(num_classes / world_size) * seq_len


def _rows(prompts: Optional[Sequence[Optional[torch.Tensor]]],
          rows: torch.Tensor) -> Optional[list]:
    """Per-layer prompts restricted to ``rows``: per-sequence prompts
    ``[N, n, W]`` are indexed, shared ones ``[n, W]`` kept."""
    if prompts is None:
        return None
    return [
        p[rows.to(p.device)] if p is not None and p.dim() == 3 else p
        for p in prompts
    ]


def _layout_kwargs(ctx_index: Optional[torch.Tensor]) -> dict:
    """``ctx_index`` as a keyword only when set (plain ``(tokens,
    prompts)`` encoders stay valid for the default layout)."""
    return {} if ctx_index is None else dict(ctx_index=ctx_index)


def sharded_encode_text(encode_text: Callable[..., torch.Tensor],
                        tokens: torch.Tensor,
                        prompts: Optional[Sequence[torch.Tensor]] = None,
                        enabled: bool = True,
                        group: Optional[dist.ProcessGroup] = None,
                        ctx_index: Optional[torch.Tensor] = None
                        ) -> torch.Tensor:
    """``encode_text(tokens, prompts, ctx_index)`` with the classes split
    over ranks.

    With ``enabled`` and more than one rank in ``group``, this rank encodes
    the rows :func:`shard_indices` gives it and the shards are assembled
    with :func:`all_gather_rows` (differentiable: the backward sums every
    rank's gradient of the gathered matrix; see the module docstring for
    why DDP's averaging then gives the single-process gradient). Every rank
    of ``group`` must call it together, with the same ``tokens``. Otherwise
    (disabled, one rank, no process group) this is
    ``encode_text(tokens, prompts, ctx_index)``.

    Args:
        encode_text (callable): ``(tokens [N, L], prompts[, ctx_index=])
            -> [N, D]``, e.g. :meth:`PromptedCLIP.encode_text`.
        tokens (torch.Tensor): Token ids of all classes ``[C, L]``.
        prompts (sequence of Tensor, optional): Per-layer prompts, shared
            ``[n_ctx, width]`` or per class ``[C, n_ctx, width]``.
        enabled (bool): Shard when running distributed. Defaults to True.
        group (ProcessGroup, optional): Defaults to the default group.
        ctx_index (torch.Tensor, optional): Context-slot positions
            ``[C, n_ctx]`` (None: right after SOS).

    Returns:
        torch.Tensor: Features of all classes ``[C, D]``, identical on every
        rank.
    """
    world_size = dist_world_size(group)
    if not enabled or world_size == 1:
        return encode_text(tokens, prompts, **_layout_kwargs(ctx_index))
    num_classes = tokens.shape[0]
    rows = shard_indices(num_classes, world_size, dist.get_rank(group))
    rows = rows.to(tokens.device)
    local = encode_text(
        tokens[rows], _rows(prompts, rows),
        **_layout_kwargs(None if ctx_index is None else ctx_index[rows]))
    # shape = [W * ceil(C / W), D] -> [C, D] (padded rows dropped)
    return all_gather_rows(local, group)[:num_classes]
