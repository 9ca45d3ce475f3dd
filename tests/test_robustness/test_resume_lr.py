"""``--resume`` with another learning rate (the advice after a non-finite
loss) continues with the config's lr, not the checkpoint's."""
import math
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.registry import RUNNERS

import fault_hooks  # noqa: F401 (registers PoisonPromptHook)
from mmpretrain.registry import HOOKS
from projects.hicropl.engine import safe_torch_load
from projects.hicropl.engine.hooks import NonFiniteLossError
from robustness_helpers import demo_root, load_tiny_config

# lr after resume = checkpoint lr * (new / old): a division and a product in
# float64, each within half an ulp, against the schedule's closed form
# (another rounding or two): a few units in the last place.
REL_TOL = 4 * 2.0**-53


@HOOKS.register_module(force=True)
class RecordLrHook(Hook):
    """Test-only: the param groups' lr at the start of each training epoch."""

    priority = 'LOWEST'

    def __init__(self):
        self.lrs = {}

    def before_train_epoch(self, runner):
        groups = runner.optim_wrapper.optimizer.param_groups
        self.lrs[runner.epoch] = [g['lr'] for g in groups]


def _cosine(base, step, warmup=1, t_max=3):
    """The tiny config's ConstantWarmupCosineLR (eta_min 0) after warm-up."""
    return base * (1 + math.cos(math.pi * (step - warmup) / t_max)) / 2


def test_resume_applies_the_config_lr(tmp_path):
    root = demo_root(tmp_path)
    work_dir = tmp_path / 'work'
    first = load_tiny_config(tmp_path, root, work_dir=str(work_dir), epochs=3)
    # the run diverges in epoch 2 (5 iterations per epoch)
    first.custom_hooks.append(dict(type='PoisonPromptHook', at=6))
    with pytest.raises(NonFiniteLossError, match='--resume --cfg-options'):
        RUNNERS.build(first).train()
    checkpoint = safe_torch_load(str(work_dir / 'epoch_1.pth'))
    # plain data: any torch.load(weights_only=True) reads it (plain_checkpoint)
    assert torch.serialization.get_unsafe_globals_in_checkpoint(
        str(work_dir / 'epoch_1.pth')) == []
    old = first.optim_wrapper.optimizer.lr
    assert [g['initial_lr'] for g in checkpoint['optimizer']['param_groups']] == [old]

    new = old / 4
    cfg = load_tiny_config(tmp_path, root, work_dir=str(work_dir), epochs=3)
    cfg.merge_from_dict({'optim_wrapper.optimizer.lr': new})  # = --cfg-options
    cfg.resume = True
    cfg.custom_hooks.append(dict(type='RecordLrHook'))
    runner = RUNNERS.build(cfg)
    runner.train()

    recorder = next(h for h in runner.hooks if isinstance(h, RecordLrHook))
    assert sorted(recorder.lrs) == [1, 2]  # resumed after epoch 1
    # the schedule continues from epoch 1 with the config's base lr (MMEngine
    # alone would continue with the checkpoint's: lr ``old`` in epoch 2)
    for epoch, lrs in recorder.lrs.items():
        assert len(lrs) == 1
        assert math.isclose(lrs[0], _cosine(new, epoch), rel_tol=REL_TOL), (epoch, lrs, new)
    group = runner.optim_wrapper.optimizer.param_groups[0]
    assert group['initial_lr'] == new
    assert runner.param_schedulers[0].base_values == [new]
    with open(osp.join(runner.log_dir, f'{runner.timestamp}.log')) as f:
        assert "Resumed with the config's learning rate instead of the checkpoint's " \
            f'({old:g} -> {new:g})' in f.read()
