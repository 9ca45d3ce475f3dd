"""Zero-shot CLIP through tools/test.py without a checkpoint on the generated
demo data; a model with learned tensors refuses to test without one."""
import os.path as osp
import re
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
pytestmark = pytest.mark.e2e


def run_test_tool(config, *args, cwd):
    cmd = [sys.executable, osp.join(REPO, 'tools', 'test.py'), config, *args]
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)


def test_zsclip_demo_tests_without_checkpoint(tmp_path):
    data_root = str(tmp_path / 'data' / 'hicropl_demo')
    result = run_test_tool(
        osp.join(REPO, 'configs', 'zsclip', 'zsclip_demo.py'), '--work-dir', str(tmp_path / 'w'),
        '--cfg-options', f'test_dataloader.dataset.data_root={data_root}', cwd=str(tmp_path))
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-5000:]
    accuracy = float(re.findall(r'Epoch\(test\).*accuracy/top1: ([\d.]+)', out)[-1])
    assert 0.0 <= accuracy <= 100.0
    assert 'load checkpoint' not in out.lower()


def test_a_learned_model_needs_its_checkpoint(tmp_path):
    data_root = str(tmp_path / 'data' / 'hicropl_demo')
    result = run_test_tool(
        osp.join(REPO, 'configs', 'coop', 'coop_demo.py'), '--work-dir', str(tmp_path / 'w'),
        '--cfg-options', f'test_dataloader.dataset.data_root={data_root}', cwd=str(tmp_path))
    assert result.returncode != 0
    assert 'give the checkpoint' in result.stderr
