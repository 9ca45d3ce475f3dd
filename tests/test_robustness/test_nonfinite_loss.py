"""A non-finite loss stops the run with the step and the loss parts, and no
checkpoint of the broken state is written."""
import math
import os

import pytest
import torch
from mmengine.registry import RUNNERS
from mmengine.runner.priority import get_priority

import fault_hooks  # noqa: F401 (registers PoisonPromptHook)
from projects.hicropl.engine import safe_torch_load
from projects.hicropl.engine.hooks import NonFiniteLossError, NonFiniteLossHook
from robustness_helpers import demo_root, load_tiny_config


def test_nan_loss_stops_before_any_checkpoint_of_it(tmp_path):
    cfg = load_tiny_config(tmp_path, demo_root(tmp_path), epochs=2)
    cfg.custom_hooks.append(dict(type='PoisonPromptHook', at=8))  # epoch 2, batch 3
    runner = RUNNERS.build(cfg)
    with pytest.raises(NonFiniteLossError) as err:
        runner.train()
    msg = str(err.value)
    assert 'iteration 8 (epoch 2, batch 3 of the epoch)' in msg
    assert 'loss=nan' in msg and 'loss_ce=nan' in msg and 'loss_text_consistency=' in msg
    work_dir = cfg.work_dir
    assert f'the last checkpoint, {os.path.join(work_dir, "epoch_1.pth")}, is intact' in msg
    assert 'Lower the learning rate' in msg
    # the advice works: see test_resume_lr.py
    assert '--resume --cfg-options optim_wrapper.optimizer.lr=' in msg

    saved = sorted(f for f in os.listdir(work_dir) if f.endswith('.pth'))
    assert saved == ['best_accuracy_top1_epoch_1.pth', 'epoch_1.pth']
    for name in saved:
        state = safe_torch_load(os.path.join(work_dir, name))['state_dict']
        assert all(torch.isfinite(v).all() for v in state.values()), name
    with open(os.path.join(work_dir, 'last_checkpoint')) as f:
        assert f.read().strip().endswith('epoch_1.pth')


class _Runner:
    iter, epoch = 41, 3

    class message_hub:  # noqa: N801 - stands in for a MessageHub
        get_info = staticmethod(lambda key: None)


@pytest.mark.parametrize('value', [float('inf'), float('-inf'), float('nan')])
def test_any_non_finite_part_stops(value):
    outputs = dict(loss=torch.tensor(1.0), loss_ce=torch.tensor(0.5),
                   loss_consistency=torch.tensor(value))
    with pytest.raises(NonFiniteLossError, match='iteration 42 .*epoch 4') as err:
        NonFiniteLossHook().after_train_iter(_Runner(), 5, None, outputs)
    assert f'loss_consistency={value}' in str(err.value)
    assert 'no checkpoint had been saved yet' in str(err.value)


def test_finite_losses_pass():
    outputs = dict(loss=torch.tensor(3.0), loss_ce=2.5, acc=torch.tensor([1.0, 0.0]))
    NonFiniteLossHook().after_train_iter(_Runner(), 0, None, outputs)
    NonFiniteLossHook().after_train_iter(_Runner(), 0, None, None)
    assert math.isfinite(outputs['loss_ce'])


def test_hook_runs_before_checkpoint_and_logger_hooks():
    assert get_priority(NonFiniteLossHook.priority) < get_priority('VERY_LOW')  # CheckpointHook
    assert get_priority(NonFiniteLossHook.priority) < get_priority('BELOW_NORMAL')  # LoggerHook
