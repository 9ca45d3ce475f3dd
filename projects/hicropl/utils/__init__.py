"""Measurement helpers: timing, peak memory, FLOP counting."""
from .flops import count_flops, matmul_flops_per_second
from .timing import (TimingStats, peak_device_memory_mb, peak_rss_mb,
                     synchronize, time_call)

__all__ = [
    'TimingStats', 'count_flops', 'matmul_flops_per_second',
    'peak_device_memory_mb', 'peak_rss_mb', 'synchronize', 'time_call'
]
