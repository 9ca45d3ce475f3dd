"""CoCoOp through tools/train.py and tools/test.py on the generated demo data."""
import os.path as osp
import re
import subprocess
import sys

import pytest

from projects.hicropl.engine import safe_torch_load

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'cocoop', 'cocoop_demo.py')
pytestmark = pytest.mark.e2e


def run_tool(tool, *args, cwd):
    cmd = [sys.executable, osp.join(REPO, 'tools', tool), *args]
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return result.stdout + result.stderr


def test_cocoop_demo_train_then_test(tmp_path):
    """Train on the base classes (SGD, several images per text-tower call),
    then test the checkpoint: the training loss falls, the checkpoint holds
    the context and the meta-net only, and the test reports an accuracy."""
    data_root = str(tmp_path / 'data' / 'hicropl_demo')
    work_dir = str(tmp_path / 'work')
    options = ['--cfg-options',
               *[f'{s}_dataloader.dataset.data_root={data_root}' for s in ('train', 'val', 'test')],
               'model.text_chunk_images=4', 'train_cfg.max_epochs=3', 'param_scheduler.T_max=3',
               'train_cfg.val_interval=3']
    out = run_tool('train.py', CONFIG, '--work-dir', work_dir, *options, cwd=str(tmp_path))
    assert 'accuracy/top1' in out
    losses = [float(v) for v in re.findall(r'Epoch\(train\).*\sloss: ([\d.]+)', out)]
    assert len(losses) >= 2 and losses[-1] < losses[0], losses
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    state = safe_torch_load(checkpoint)['state_dict']
    assert set(state) == {'prompt_learner.ctx', 'prompt_learner.meta_net.linear1.weight',
                          'prompt_learner.meta_net.linear1.bias',
                          'prompt_learner.meta_net.linear2.weight',
                          'prompt_learner.meta_net.linear2.bias'}
    out = run_tool('test.py', CONFIG, checkpoint, '--work-dir', work_dir, *options,
                   cwd=str(tmp_path))
    accuracy = float(re.findall(r'Epoch\(test\).*accuracy/top1: ([\d.]+)', out)[-1])
    assert 0.0 <= accuracy <= 100.0
