"""PromptSRC through tools/train.py and tools/test.py on the generated demo data."""
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch

from projects.hicropl.engine import safe_torch_load
from projects.hicropl.models import gaussian_epoch_weights

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'promptsrc', 'promptsrc_demo.py')
pytestmark = pytest.mark.e2e


def data_options(data_root):
    return [f'{split}_dataloader.dataset.data_root={data_root}'
            for split in ('train', 'val', 'test')]


def run_tool(tool, *args, cwd):
    cmd = [sys.executable, osp.join(REPO, 'tools', tool), *args]
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return result.stdout + result.stderr


def test_promptsrc_demo_train_then_test(tmp_path):
    """Train 3 epochs with GPA, then test the last checkpoint: every loss
    term is logged, the checkpoint's model is the Gaussian aggregate of the
    per-epoch prompts (the live prompts are kept as ``ema_state_dict``), and
    the test reports an accuracy."""
    data_root = str(tmp_path / 'data' / 'hicropl_demo')
    work_dir = str(tmp_path / 'work')
    options = ['--cfg-options', *data_options(data_root), 'train_cfg.max_epochs=3',
               'param_scheduler.T_max=3', 'train_cfg.val_interval=3',
               'default_hooks.checkpoint.max_keep_ckpts=3']
    out = run_tool('train.py', CONFIG, '--work-dir', work_dir, *options, cwd=str(tmp_path))
    assert 'accuracy/top1' in out
    for term in ('loss_ce', 'loss_scl_text', 'loss_scl_image', 'loss_scl_logits'):
        assert re.search(rf'Epoch\(train\).*\s{term}: [\d.]+', out), term
    states = [safe_torch_load(osp.join(work_dir, f'epoch_{e}.pth')) for e in (1, 2, 3)]
    last = states[-1]
    names = set(last['state_dict'])
    assert names and all(n.startswith('prompt_learner.') for n in names)
    assert names == {n[len('module.'):] for n in last['ema_state_dict'] if n.startswith('module.')}
    # GPA (mean 5, std 1 over the epochs so far): the checkpoint of epoch 3 holds
    # sum_e w_e P(e) of the live prompts P(e) saved at the end of each epoch
    live = [s['ema_state_dict'] for s in states]
    w = gaussian_epoch_weights(3, 5, 1)
    for name in names:
        expected = sum(wi * p[f'module.{name}'] for wi, p in zip(w, live))
        torch.testing.assert_close(last['state_dict'][name], expected, rtol=0, atol=1e-6)
        assert not torch.equal(last['state_dict'][name], live[-1][f'module.{name}'])
    checkpoint = osp.join(work_dir, 'epoch_3.pth')
    out = run_tool('test.py', CONFIG, checkpoint, '--work-dir', work_dir, *options,
                   cwd=str(tmp_path))
    accuracy = float(re.findall(r'Epoch\(test\).*accuracy/top1: ([\d.]+)', out)[-1])
    assert 0.0 <= accuracy <= 100.0
