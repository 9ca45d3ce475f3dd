"""``bash tools/dist_train.sh CONFIG 2`` on CPU.

Two torchrun processes (gloo, chosen because there is no CUDA) train a tiny
HiCroPL on the generated demo data for one epoch and validate it on 2
processes; ``tools/test.py`` on one process gives the checkpoint the same
validation accuracy (15 validation images, not divisible by 2).
"""
import importlib.util
import json
import os
import os.path as osp
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from dist_launch import free_port
from projects.hicropl.datasets import prepare_demo_dataset

pytestmark = [pytest.mark.distributed, pytest.mark.e2e]

REPO = Path(__file__).resolve().parents[2]
TOOLS = REPO / 'tools'

CONFIG = '''
_base_ = [{demo!r}]
data_root = {data_root!r}
model = dict(
    backbone=dict(arch=dict(
        _delete_=True, embed_dim=32, quick_gelu=True,
        vision_cfg=dict(image_size=32, patch_size=8, width=64, layers=3,
                        head_width=32),
        text_cfg=dict(context_length=77, vocab_size=49408, width=48, heads=4,
                      layers=3))),
    prompt_learner=dict(n_ctx=2, depth=3, cross_layer=1, num_heads=4),
    class_text=dict(descriptions=data_root + '/descriptions.json'))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=32, backend='pillow'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='CenterCrop', crop_size=32),
    dict(type='PackInputs'),
]
_data = dict(data_root=data_root, num_shots=4, pipeline=test_pipeline)
train_dataloader = dict(
    batch_size=4, num_workers=0,
    dataset=dict(_data, pipeline=train_pipeline))
val_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                      dataset=_data)
test_dataloader = val_dataloader
max_epochs = 1
param_scheduler = dict(type='ConstantWarmupCosineLR', T_max=1, warmup=0,
                       by_epoch=True)
train_cfg = dict(max_epochs=1, val_interval=1)
default_hooks = dict(logger=dict(interval=1))
env_cfg = dict(dist_cfg=dict(backend='nccl'))  # as on a GPU cluster
'''


def _run(script, *args):
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env['PATH']
    env['PORT'] = str(free_port())
    proc = subprocess.run(['bash', str(TOOLS / script), *args],
                          cwd=REPO,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    return out


def test_dist_train_on_cpu(tmp_path):
    data_root = str(tmp_path / 'demo')
    # 5 base classes x 3 validation images = 15
    prepare_demo_dataset(data_root, num_train=4, num_val=3, num_test=1,
                         image_size=32)
    config = tmp_path / 'tiny_dist.py'
    config.write_text(CONFIG.format(
        demo=str(REPO / 'configs' / 'hicropl' / 'hicropl_demo.py'),
        data_root=data_root))
    work_dir = tmp_path / 'work'

    log = _run('dist_train.sh', str(config), '2', '--work-dir', str(work_dir),
               '--seed', '3')
    assert 'Distributed training: True' in log
    assert "dist_cfg=dict(backend='gloo')" in log  # nccl needs CUDA
    assert 'find_unused_parameters=False' in log  # the config's default
    checkpoint = work_dir / 'epoch_1.pth'
    assert checkpoint.is_file()
    dist_accuracy = float(
        re.findall(r'Epoch\(val\) \[1\].*accuracy/top1: ([\d.]+)', log)[-1])

    # the same checkpoint on the validation images, one process (this one)
    out = tmp_path / 'single_metrics.json'
    spec = importlib.util.spec_from_file_location('hicropl_dist_test_tool',
                                                  TOOLS / 'test.py')
    test_tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(test_tool)
    test_tool.main([
        str(config),
        str(checkpoint), '--work-dir',
        str(tmp_path / 'single'), '--out',
        str(out), '--out-item', 'metrics', '--no-pin-memory',
        '--cfg-options', 'test_dataloader.dataset.split=val',
        f'experiment_name=dist_{uuid.uuid4().hex}'
    ])
    single_accuracy = json.loads(out.read_text())['accuracy/top1']
    assert round(single_accuracy, 4) == dist_accuracy


def test_dist_test_without_checkpoint_for_a_model_with_nothing_to_train(tmp_path):
    """``bash tools/dist_test.sh CONFIG GPUS`` for zero-shot CLIP: no
    checkpoint, no DDP wrapper (it refuses modules without trainable
    parameters); the metrics equal one process's."""
    data_root = str(tmp_path / 'demo')
    prepare_demo_dataset(data_root, num_train=1, num_val=1, num_test=3,
                         image_size=32)
    config = str(REPO / 'configs' / 'zsclip' / 'zsclip_demo.py')
    options = ['--cfg-options',
               f'test_dataloader.dataset.data_root={data_root}']
    log = _run('dist_test.sh', config, '2', '--work-dir',
               str(tmp_path / 'dist'), *options)
    assert 'Distributed training: True' in log
    assert 'without DistributedDataParallel' in log
    dist_accuracy = float(
        re.findall(r'Epoch\(test\).*accuracy/top1: ([\d.]+)', log)[-1])

    out = tmp_path / 'single_metrics.json'
    spec = importlib.util.spec_from_file_location('hicropl_dist_test_tool_zs',
                                                  TOOLS / 'test.py')
    test_tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(test_tool)
    test_tool.main([
        config, '--work-dir', str(tmp_path / 'single'), '--out', str(out),
        '--out-item', 'metrics', '--no-pin-memory', *options,
        f'experiment_name=dist_zs_{uuid.uuid4().hex}'
    ])
    single_accuracy = json.loads(out.read_text())['accuracy/top1']
    assert round(single_accuracy, 4) == dist_accuracy
