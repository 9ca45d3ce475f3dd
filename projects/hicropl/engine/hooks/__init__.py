from .checkpoint_recovery_hook import CheckpointRecoveryHook
from .checkpoint_meta_hook import CheckpointMetaHook
from .best_checkpoint_hook import BestCheckpointHook
from .class_names_hook import ClassNamesHook
from .data_fault_hook import DataFaultHook
from .epoch_averaging_hook import EpochAveragingHook
from .nonfinite_loss_hook import NonFiniteLossError, NonFiniteLossHook
from .resume_validation_hook import ResumeValidationHook
from .epoch_seed_hook import EpochSeedHook, epoch_seed, seed_worker_from_torch

__all__ = ['ResumeValidationHook', 'ClassNamesHook', 'EpochSeedHook', 'epoch_seed', 'seed_worker_from_torch']
