"""MaPLe through tools/train.py and tools/test.py on the generated demo data."""
import os.path as osp
import re
import subprocess
import sys

import pytest

from projects.hicropl.engine import safe_torch_load

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'maple', 'maple_demo.py')
pytestmark = pytest.mark.e2e


def run_tool(tool, *args, cwd):
    cmd = [sys.executable, osp.join(REPO, 'tools', tool), *args]
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return result.stdout + result.stderr


def test_maple_demo_train_then_test(tmp_path):
    """Train on the base classes (SGD, 2 epochs), then test the checkpoint:
    the lr reaches MaPLe's after the warm-up epoch, the checkpoint holds the
    prompts and projections only, and the test reports an accuracy."""
    data_root = str(tmp_path / 'data' / 'hicropl_demo')
    work_dir = str(tmp_path / 'work')
    options = ['--cfg-options',
               *[f'{s}_dataloader.dataset.data_root={data_root}' for s in ('train', 'val', 'test')],
               'train_cfg.max_epochs=2', 'param_scheduler.T_max=2', 'train_cfg.val_interval=2']
    out = run_tool('train.py', CONFIG, '--work-dir', work_dir, *options, cwd=str(tmp_path))
    assert 'accuracy/top1' in out
    assert re.search(r'lr: 3\.50*e-03', out)  # MaPLe's SGD lr after the warm-up epoch
    losses = [float(v) for v in re.findall(r'Epoch\(train\).*\sloss: ([\d.]+)', out)]
    assert len(losses) == 2 and all(v == v for v in losses), losses
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    state = safe_torch_load(checkpoint)['state_dict']
    assert set(state) == {
        'prompt_learner.ctx', 'prompt_learner.proj.weight', 'prompt_learner.proj.bias',
        *[f'prompt_learner.compound_prompts_text.{i}' for i in range(2)],
        *[f'prompt_learner.compound_prompt_projections.{i}.{t}' for i in range(2)
          for t in ('weight', 'bias')]}
    out = run_tool('test.py', CONFIG, checkpoint, '--work-dir', work_dir, *options,
                   cwd=str(tmp_path))
    accuracy = float(re.findall(r'Epoch\(test\).*accuracy/top1: ([\d.]+)', out)[-1])
    assert 0.0 <= accuracy <= 100.0
