"""Linear probe through tools/train.py (FeatureFitLoop) and tools/test.py on
the generated demo data."""
import os.path as osp
import re
import subprocess
import sys

import pytest

from projects.hicropl.engine import safe_torch_load

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'linear_probe', 'linear_probe_demo.py')
pytestmark = pytest.mark.e2e


def run_tool(tool, *args, cwd):
    cmd = [sys.executable, osp.join(REPO, 'tools', tool), *args]
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return result.stdout + result.stderr


def test_linear_probe_demo_fit_then_test(tmp_path):
    """Fit (features once, search of C on val), checkpoint of the fitted
    weights, validation; then the checkpoint tests to the same accuracy."""
    data_root = str(tmp_path / 'data' / 'hicropl_demo')
    work_dir = str(tmp_path / 'work')
    options = ['--cfg-options',
               *[f'{s}_dataloader.dataset.data_root={data_root}' for s in ('train', 'val', 'test')]]
    out = run_tool('train.py', CONFIG, '--work-dir', work_dir, *options, cwd=str(tmp_path))
    assert re.search(r'Fit: C: [\d.e+-]+, val_accuracy: [\d.]+, fits: \d+', out), out[-3000:]
    val = float(re.findall(r'Epoch\(val\).*accuracy/top1: ([\d.]+)', out)[-1])
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    state = safe_torch_load(checkpoint)['state_dict']
    assert set(state) == {'weight', 'bias', 'C'}
    assert state['weight'].shape[0] == state['bias'].shape[0] > 1
    out = run_tool('test.py', CONFIG, checkpoint, '--work-dir', work_dir,
                   *options, cwd=str(tmp_path))
    accuracy = float(re.findall(r'Epoch\(test\).*accuracy/top1: ([\d.]+)', out)[-1])
    assert 0.0 <= accuracy <= 100.0
    # tested on the val split, the reloaded probe reproduces the training run's validation
    out = run_tool('test.py', CONFIG, checkpoint, '--work-dir', work_dir, *options,
                   'test_dataloader.dataset.split=val', cwd=str(tmp_path))
    assert float(re.findall(r'Epoch\(test\).*accuracy/top1: ([\d.]+)', out)[-1]) == val
