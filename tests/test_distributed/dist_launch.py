"""Run a function in W CPU processes joined by a gloo process group.

Workers are functions ``fn(rank, world_size, *args)`` run in forked
children (they start with everything the test process already imported:
no 10-second re-import per rank); they report through files under a
folder the test passes in.
"""
import datetime
import socket
from typing import Callable

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

WORLD_SIZE = 2


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _entry(rank: int, fn: Callable, world_size: int, port: int,
           args: tuple) -> None:
    torch.set_num_threads(1)  # W processes share the CPU cores
    dist.init_process_group(
        'gloo',
        init_method=f'tcp://127.0.0.1:{port}',
        rank=rank,
        world_size=world_size,
        timeout=datetime.timedelta(seconds=120))
    try:
        fn(rank, world_size, *args)
    finally:
        dist.destroy_process_group()


def run_distributed(fn: Callable, *args,
                    world_size: int = WORLD_SIZE) -> None:
    """Run ``fn(rank, world_size, *args)`` on ``world_size`` processes;
    an exception in any of them is raised here with its traceback."""
    mp.start_processes(
        _entry,
        args=(fn, world_size, free_port(), args),
        nprocs=world_size,
        join=True,
        start_method='fork')
