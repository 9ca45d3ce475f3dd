"""KgCoOp through tools/train.py and tools/test.py on the generated demo data."""
import os.path as osp
import re
import subprocess
import sys

import pytest

from projects.hicropl.engine import safe_torch_load

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'kgcoop', 'kgcoop_demo.py')
pytestmark = pytest.mark.e2e


def data_options(data_root):
    return [f'{split}_dataloader.dataset.data_root={data_root}'
            for split in ('train', 'val', 'test')]


def run_tool(tool, *args, cwd):
    cmd = [sys.executable, osp.join(REPO, 'tools', tool), *args]
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return result.stdout + result.stderr


def test_kgcoop_demo_train_then_test(tmp_path):
    """Train on the base classes (SGD, CE + knowledge-guided term), then test
    the checkpoint: both terms are logged, the training loss falls, the
    checkpoint holds the context only, and the test reports an accuracy."""
    data_root = str(tmp_path / 'data' / 'hicropl_demo')
    work_dir = str(tmp_path / 'work')
    options = ['--cfg-options', *data_options(data_root), 'train_cfg.max_epochs=4',
               'param_scheduler.T_max=4', 'train_cfg.val_interval=2']
    out = run_tool('train.py', CONFIG, '--work-dir', work_dir, *options, cwd=str(tmp_path))
    assert 'accuracy/top1' in out
    assert re.search(r'Epoch\(train\).*\sloss_kg: [\d.]+', out)
    losses = [float(v) for v in re.findall(r'Epoch\(train\).*\sloss: ([\d.]+)', out)]
    assert len(losses) == 4 and losses[-1] < losses[0], losses
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    state = safe_torch_load(checkpoint)['state_dict']
    assert set(state) == {'prompt_learner.ctx'} and state['prompt_learner.ctx'].shape[0] == 4
    out = run_tool('test.py', CONFIG, checkpoint, '--work-dir', work_dir, *options,
                   cwd=str(tmp_path))
    accuracy = float(re.findall(r'Epoch\(test\).*accuracy/top1: ([\d.]+)', out)[-1])
    assert 0.0 <= accuracy <= 100.0
