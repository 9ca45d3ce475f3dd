from .class_names_hook import ClassNamesHook
from .epoch_seed_hook import EpochSeedHook, epoch_seed, seed_worker_from_torch

__all__ = ['ClassNamesHook', 'EpochSeedHook', 'epoch_seed', 'seed_worker_from_torch']
