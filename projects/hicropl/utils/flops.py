"""FLOP counting and the machine's measured matrix-multiply throughput."""
import time
from typing import Any, Callable, Dict

import torch
from torch.utils.flop_counter import (FlopCounterMode,
                                      sdpa_backward_flop_count,
                                      sdpa_flop_count)

from .timing import synchronize

aten = torch.ops.aten


def _cpu_flash_attention_flop(query_shape, key_shape, value_shape, *args,
                              **kwargs) -> int:
    return sdpa_flop_count(query_shape, key_shape, value_shape)


def _cpu_flash_attention_backward_flop(grad_out_shape, query_shape, key_shape,
                                       value_shape, *args, **kwargs) -> int:
    return sdpa_backward_flop_count(grad_out_shape, query_shape, key_shape,
                                    value_shape)


def _native_multi_head_attention_flop(query_shape, key_shape, value_shape,
                                      embed_dim, num_heads, *args,
                                      **kwargs) -> int:
    """``nn.MultiheadAttention``'s inference fast path (one fused kernel):
    q/k/v projections, attention, output projection."""
    batch, q_len, _ = query_shape
    k_len = key_shape[1]
    projections = 2 * batch * embed_dim * embed_dim * (2 * q_len + 2 * k_len)
    attention = 2 * 2 * batch * q_len * k_len * embed_dim
    return projections + attention


# Kernels that torch's FlopCounterMode does not know (CPU fused attention,
# the fused inference path of nn.MultiheadAttention).
EXTRA_FLOP_FORMULAS: Dict[Any, Callable] = {
    aten._native_multi_head_attention: _native_multi_head_attention_flop,
    aten._scaled_dot_product_flash_attention_for_cpu:
    _cpu_flash_attention_flop,
    aten._scaled_dot_product_flash_attention_for_cpu_backward:
    _cpu_flash_attention_backward_flop,
}


def count_flops(fn: Callable[[], Any]) -> int:
    """FLOPs of the matrix products, convolutions and attentions of ``fn()``.

    Counted by ``torch.utils.flop_counter.FlopCounterMode`` (one
    multiply-add = 2 FLOPs; element-wise ops are not counted), including
    the backward pass when ``fn`` runs one, plus PyTorch's CPU fused
    attention kernels.

    Args:
        fn (callable): Runs the work to count (e.g. one training step).

    Returns:
        int: Total FLOPs.
    """
    counter = FlopCounterMode(
        display=False, custom_mapping=EXTRA_FLOP_FORMULAS)
    with counter:
        fn()
    return counter.get_total_flops()


def matmul_flops_per_second(device: torch.device,
                            dtype: torch.dtype = torch.float32,
                            size: int = 2048,
                            repeats: int = 5) -> float:
    """Measured throughput of a large square matrix product.

    The best of ``repeats`` timed ``[size, size] @ [size, size]`` products
    (after one warm-up) in ``dtype`` on ``device``: the practical peak the
    model's FLOP rate is compared with.

    Returns:
        float: FLOP/s.
    """
    device = torch.device(device)
    a = torch.randn(size, size, device=device).to(dtype)
    b = torch.randn(size, size, device=device).to(dtype)
    torch.mm(a, b)
    best = float('inf')
    for _ in range(repeats):
        synchronize(device)
        start = time.perf_counter()
        torch.mm(a, b)
        synchronize(device)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best
