"""Mixed precision: gradient overflow is handled by the dynamic loss scale
(steps skipped, scale lowered, no NonFiniteLossError), and the scaler state
is restored by ``--resume`` (exact resumption with AMP).

MMEngine 0.10.7's ``AmpOptimWrapper`` refuses to run without a GPU and
uses ``torch.cuda.amp.GradScaler``. On this CPU-only machine the test lets
it run on CPU by patching those two names in MMEngine's module (CPU
``torch.amp.GradScaler``; bfloat16 autocast, the only CPU dtype MMEngine
allows). Everything else is the normal config path
(``optim_wrapper.type='AmpOptimWrapper'``, what ``tools/train.py --amp``
sets; the runner built from ``runner_type`` as the tools build it). On a GPU the same config runs unpatched.
"""
import functools
import math
import uuid

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.registry import RUNNERS

from mmpretrain.registry import HOOKS
from projects.hicropl.engine import safe_torch_load
from robustness_helpers import demo_root, load_tiny_config

pytestmark = pytest.mark.e2e

INIT_SCALE = 2.0**127  # scaled losses overflow fp32 at first


@pytest.fixture
def cpu_amp(monkeypatch):
    import mmengine.optim.optimizer.amp_optimizer_wrapper as amp
    monkeypatch.setattr(amp, 'is_cuda_available', lambda: True)
    monkeypatch.setattr(amp, 'GradScaler', functools.partial(torch.amp.GradScaler, 'cpu'))


class _Stop(Exception):
    pass


@HOOKS.register_module(force=True)
class StopAfterEpochHook(Hook):
    """Test-only: crash right after the checkpoint of ``epoch`` is saved."""
    priority = 'LOWEST'

    def __init__(self, epoch):
        self.epoch = epoch

    def after_train_epoch(self, runner):
        if runner.epoch + 1 == self.epoch:
            raise _Stop()


def amp_cfg(folder, work_dir, *hooks):
    cfg = load_tiny_config(folder, demo_root(folder), work_dir=str(work_dir), epochs=2)
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.dtype = 'bfloat16'
    cfg.optim_wrapper.loss_scale = dict(init_scale=INIT_SCALE, backoff_factor=2.0**-8,
                                        growth_interval=1000)
    cfg.train_cfg.val_interval = 10  # no validation needed here
    cfg.custom_hooks.extend(hooks)
    return cfg


def prompts(runner):
    return {k: v.detach().clone() for k, v in runner.model.state_dict().items()
            if k.startswith('prompt_learner.')}


def test_overflow_is_skipped_and_scaler_state_resumes(cpu_amp, tmp_path):
    straight = RUNNERS.build(amp_cfg(tmp_path, tmp_path / 'straight'))
    start = prompts(straight)  # prompts are built deterministically
    straight.train()
    scaler = straight.optim_wrapper.loss_scaler
    scale = scaler.get_scale()
    assert scale < INIT_SCALE  # overflowing steps were skipped, scale lowered
    end = prompts(straight)
    assert all(torch.isfinite(v).all() for v in end.values())
    assert any(not torch.equal(start[k], end[k]) for k in end)  # later steps trained
    saved = safe_torch_load(tmp_path / 'straight' / 'epoch_2.pth')  # weights_only=True
    assert saved['optimizer']['loss_scaler']['scale'] == scale
    assert math.isfinite(straight.message_hub.get_scalar('train/loss').current())

    crashed = RUNNERS.build(amp_cfg(tmp_path, tmp_path / 'resumed',
                                      dict(type='StopAfterEpochHook', epoch=1)))
    with pytest.raises(_Stop):
        crashed.train()
    saved = safe_torch_load(tmp_path / 'resumed' / 'epoch_1.pth')  # weights_only=True
    assert saved['optimizer']['loss_scaler']['scale'] < INIT_SCALE

    cfg = amp_cfg(tmp_path, tmp_path / 'resumed')
    cfg.resume = True
    cfg.experiment_name = f'amp_{uuid.uuid4().hex}'
    resumed = RUNNERS.build(cfg)
    resumed.train()
    assert resumed.optim_wrapper.loss_scaler.get_scale() == scale
    got = prompts(resumed)
    for key, value in end.items():
        assert torch.equal(value, got[key]), key
