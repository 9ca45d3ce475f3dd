"""ISP through tools/train.py and tools/test.py on the generated demo data."""
import os.path as osp
import re
import subprocess
import sys

import pytest

from projects.hicropl.engine import safe_torch_load

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'isp', 'isp_demo.py')
pytestmark = pytest.mark.e2e


def run_tool(tool, *args, cwd):
    cmd = [sys.executable, osp.join(REPO, 'tools', tool), *args]
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return result.stdout + result.stderr


def test_isp_demo_train_then_test(tmp_path):
    """One epoch on the base classes with every ISP part on (sample-probing
    loss, self- and cross-structural modules), a checkpoint holding only the
    learner's tensors, then a test that reports an accuracy."""
    data_root = str(tmp_path / 'data' / 'hicropl_demo')
    work_dir = str(tmp_path / 'work')
    options = ['--cfg-options',
               *[f'{s}_dataloader.dataset.data_root={data_root}' for s in ('train', 'val', 'test')],
               'train_cfg.max_epochs=1', 'param_scheduler.T_max=1', 'train_cfg.val_interval=1']
    out = run_tool('train.py', CONFIG, '--work-dir', work_dir, *options, cwd=str(tmp_path))
    assert 'accuracy/top1' in out
    losses = [float(v) for v in re.findall(r'Epoch\(train\).*\sloss_ce: ([\d.]+)', out)]
    assert losses and all(v == v for v in losses), out[-2000:]
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    state = safe_torch_load(checkpoint)['state_dict']
    assert all(k.startswith('prompt_learner.') for k in state)
    assert {'prompt_learner.ctx', 'prompt_learner.visual_prompts.2',
            'prompt_learner.text_self.0.keys.1.weight',
            'prompt_learner.visual_cross.2.values.0.weight'} <= set(state)
    out = run_tool('test.py', CONFIG, checkpoint, '--work-dir', work_dir, *options,
                   cwd=str(tmp_path))
    accuracy = float(re.findall(r'Epoch\(test\).*accuracy/top1: ([\d.]+)', out)[-1])
    assert 0.0 <= accuracy <= 100.0
