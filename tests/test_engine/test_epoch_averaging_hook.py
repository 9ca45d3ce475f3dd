"""EpochAveragingHook: MMEngine's EMAHook with one update per epoch."""
from types import SimpleNamespace

import pytest
import torch
import torch.nn as nn

import projects.hicropl  # noqa: F401
from mmpretrain.registry import HOOKS


def test_updates_once_per_epoch_end():
    """Iterations do not update; each epoch end does (SWA: plain mean of
    the per-epoch weights); begin_epoch skips the earlier epochs."""
    model = nn.Linear(3, 2)
    runner = SimpleNamespace(model=model, epoch=0, iter=0)
    hook = HOOKS.build(dict(type='EpochAveragingHook', ema_type='StochasticWeightAverage',
                            begin_epoch=2))
    hook.before_run(runner)
    snapshots = []
    for epoch in range(4):
        runner.epoch = epoch
        for _ in range(3):
            with torch.no_grad():
                model.weight.add_(1.0)
            hook.after_train_iter(runner, 0)
        snapshots.append(model.weight.detach().clone())
        hook.after_train_epoch(runner)
    averaged = hook.ema_model.module.weight
    torch.testing.assert_close(averaged, torch.stack(snapshots[1:]).mean(0))
    assert int(hook.ema_model.steps) == 3


def test_rejects_begin_iter():
    with pytest.raises(ValueError, match='begin_epoch'):
        HOOKS.build(dict(type='EpochAveragingHook', ema_type='StochasticWeightAverage',
                         begin_iter=5))
