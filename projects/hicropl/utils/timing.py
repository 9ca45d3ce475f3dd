"""Wall-clock timing, summary statistics and peak memory of a process."""
import resource
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from typing import Callable, Dict, Sequence

import torch


def synchronize(device: torch.device) -> None:
    """Wait for queued work on ``device`` (no-op on CPU)."""
    device = torch.device(device)
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def time_call(fn: Callable[[], object], device: torch.device) -> float:
    """Seconds of one ``fn()`` call, device work included."""
    synchronize(device)
    start = time.perf_counter()
    fn()
    synchronize(device)
    return time.perf_counter() - start


@dataclass(frozen=True)
class TimingStats:
    """Median and spread of repeated timings (seconds)."""
    median: float
    min: float
    max: float
    count: int

    @classmethod
    def from_times(cls, times: Sequence[float]) -> 'TimingStats':
        if not times:
            raise ValueError('No timings: use at least one repeat.')
        return cls(statistics.median(times), min(times), max(times),
                   len(times))

    def to_dict(self) -> Dict[str, float]:
        return asdict(self)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (2^20 B)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (2**20 if sys.platform == 'darwin' else 2**10)


def peak_device_memory_mb(device: torch.device) -> float:
    """Peak memory allocated by tensors on a CUDA ``device`` (MiB); 0 on CPU.

    Counts since the last ``torch.cuda.reset_peak_memory_stats``.
    """
    device = torch.device(device)
    if device.type != 'cuda':
        return 0.0
    return torch.cuda.max_memory_allocated(device) / 2**20
