"""Test-only hooks that inject faults into a training run (imported by the
tests, or through ``custom_imports`` of a test config run by
``tools/train.py``; never part of the package)."""
import torch
from mmengine.hooks import Hook

from mmpretrain.registry import HOOKS


@HOOKS.register_module(force=True)
class PoisonPromptHook(Hook):
    """Set one prompt to NaN before training iteration ``at`` (1-based)."""

    def __init__(self, at: int):
        self.at = at

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter + 1 == self.at:
            with torch.no_grad():
                runner.model.prompt_learner.text_prompts[0].fill_(float('nan'))
