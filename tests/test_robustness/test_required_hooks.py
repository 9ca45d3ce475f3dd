"""A config's own ``custom_hooks`` list cannot drop what the plugin's runs
need: HiCroPLRunner adds the missing required hooks and says so."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
from mmengine.registry import RUNNERS

from projects.hicropl.engine.runner import REQUIRED_HOOKS
from projects.hicropl.errors import ConfigError
from robustness_helpers import REPO, demo_root, load_tiny_config, write_tiny_config

HERE = osp.dirname(osp.abspath(__file__))


def _log_text(runner) -> str:
    with open(osp.join(runner.log_dir, f'{runner.timestamp}.log')) as f:
        return f.read()


def test_own_custom_hooks_keep_the_required_ones(tmp_path):
    cfg = load_tiny_config(tmp_path, demo_root(tmp_path), epochs=1)
    cfg.custom_hooks = []  # what a user config setting its own list gives
    cfg.hicropl_disabled_hooks = ['DataFaultHook']  # the explicit opt-out
    runner = RUNNERS.build(cfg)
    names = {type(hook).__name__ for hook in runner.hooks}
    assert set(REQUIRED_HOOKS) - names == {'DataFaultHook'}
    log = _log_text(runner)
    assert 'custom_hooks lacks ClassNamesHook, EpochSeedHook, CheckpointMetaHook, ' \
        'NonFiniteLossHook, CheckpointRecoveryHook, ResumeValidationHook, which ' in log
    assert 'added them. To run without one, list it in the config\'s ' \
        'hicropl_disabled_hooks' in log
    runner.train()
    # ClassNamesHook ran: the model classifies among the training classes
    classes = list(runner.train_dataloader.dataset.metainfo['classes'])
    assert list(runner.model.classnames) == classes and len(classes) == 5


def test_listed_hooks_are_not_added_twice(tmp_path):
    cfg = load_tiny_config(tmp_path, demo_root(tmp_path), epochs=1)
    runner = RUNNERS.build(cfg)  # the default runtime lists them all
    names = [type(hook).__name__ for hook in runner.hooks]
    assert all(names.count(name) == 1 for name in REQUIRED_HOOKS), names
    assert 'custom_hooks lacks' not in _log_text(runner)


def test_unknown_opt_out_is_a_config_error(tmp_path):
    cfg = load_tiny_config(tmp_path, demo_root(tmp_path), epochs=1)
    cfg.hicropl_disabled_hooks = ['NonFiniteLosHook']
    with pytest.raises(ConfigError, match=r"names \['NonFiniteLosHook'\].*NonFiniteLossHook"):
        RUNNERS.build(cfg)


@pytest.mark.e2e
def test_nan_run_with_empty_custom_hooks_fails_through_tools(tmp_path):
    """The reported case: ``custom_hooks = []`` and a NaN loss used to exit 0
    with a NaN checkpoint."""
    root = demo_root(tmp_path)
    config = write_tiny_config(tmp_path, root, epochs=1, extra='''
custom_imports = dict(imports=['projects.hicropl', 'fault_hooks'], allow_failed_imports=False)
custom_hooks = []
default_hooks = dict(logger=dict(interval=1), poison=dict(type='PoisonPromptHook', at=3))
''')
    work_dir = tmp_path / 'work'
    env = dict(os.environ, PYTHONPATH=HERE, OMP_NUM_THREADS=str(torch.get_num_threads()))
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'train.py'), config, '--work-dir',
         str(work_dir), '--no-pin-memory'],
        cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-3000:]
    assert 'Non-finite training loss at iteration 3 (epoch 1, batch 3 of the epoch)' in out, \
        out[-3000:]
    saved = [f for _, _, files in os.walk(work_dir) for f in files if f.endswith('.pth')] \
        if work_dir.exists() else []
    assert saved == []
