"""Per-epoch seeding so that a resumed run repeats the uninterrupted one."""
import random
import warnings

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmengine.registry import FUNCTIONS

from mmpretrain.registry import HOOKS


def epoch_seed(seed: int, epoch: int, rank: int) -> int:
    """A 31-bit seed that differs per (run seed, epoch, rank)."""
    return (seed * 1_000_003 + epoch * 7_919 + rank * 104_729) % (2**31 - 1)


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Seed Python, NumPy and torch at the start of every training epoch.

    Augmentation randomness (random crops and flips, drawn from NumPy /
    ``random``) and the data-loader worker seeds then depend only on
    ``(randomness.seed, epoch, rank)``, not on how many epochs this process
    has run: an interrupted run resumed with ``--resume`` continues with
    exactly the draws of an uninterrupted one. The data order is already
    seeded per epoch by MMEngine's ``DefaultSampler``.

    Workers must be re-created every epoch (``persistent_workers=False``)
    and seeded from torch's per-worker seed (``worker_init_fn=dict(
    type='seed_worker_from_torch')``); a warning says when they are not.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        loader = runner.train_dataloader
        if getattr(loader, 'num_workers', 0) and getattr(
                loader, 'persistent_workers', False):
            warnings.warn(
                'train_dataloader.persistent_workers=True: augmentation '
                'randomness continues across epochs in the workers, so a '
                'resumed run will not repeat an uninterrupted one exactly. '
                'Set persistent_workers=False for exact resumption.')

    def before_train_epoch(self, runner) -> None:
        if runner.seed is None:
            return
        seed = epoch_seed(runner.seed, runner.epoch, get_rank())
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)


@FUNCTIONS.register_module()
def seed_worker_from_torch(worker_id: int, **kwargs) -> None:
    """Seed NumPy and ``random`` in a data-loader worker from its torch seed.

    PyTorch gives each worker ``base_seed + worker_id`` with ``base_seed``
    drawn from the main process's torch RNG when the epoch's iterator is
    created, i.e. right after :class:`EpochSeedHook` seeded it.
    """
    seed = torch.initial_seed()
    random.seed(seed)
    np.random.seed(seed % 2**32)
