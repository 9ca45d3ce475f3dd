"""Every HiCroPL ablation config (configs/hicropl/ablations) builds, trains
one epoch and tests through tools/run_protocol.py (tools/train.py +
tools/test.py, in-process), on one generated dataset with a tiny random
CLIP as deep as ViT-B/16 (12 layers per tower, so every depth and layer
boundary of the paper's ablations fits)."""
import glob
import importlib.util
import json
import os.path as osp

import pytest
from mmengine.config import Config

from projects.hicropl.datasets import prepare_demo_dataset
from projects.hicropl.evaluation.ablations import ablation_names
from projects.hicropl.testing import tiny_clip_arch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ABLATIONS = osp.join(REPO, 'configs', 'hicropl', 'ablations')
CONFIGS = sorted(glob.glob(osp.join(ABLATIONS, '*.py')))
pytestmark = pytest.mark.e2e

DEEP_TINY_CLIP = tiny_clip_arch(
    vision_cfg=dict(image_size=32, patch_size=8, width=64, layers=12, head_width=32),
    text_cfg=dict(context_length=77, vocab_size=49408, width=48, heads=4, layers=12))


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        f'ablation_e2e_{name}', osp.join(REPO, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def fast_config_text(monkeypatch):
    """Config text as plain ``key = repr(value)`` lines (valid Python, as
    dumped configs must be) instead of yapf formatting, which takes most
    of a tiny run's time."""
    monkeypatch.setattr(Config, 'pretty_text', property(lambda self: '\n'.join(
        f'{k} = {v!r}' for k, v in self._to_lazy_dict().items())))


@pytest.fixture(scope='module')
def demo_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('ablation_data') / 'demo'
    prepare_demo_dataset(str(root), num_classes=4, num_train=4, num_val=2, num_test=4,
                         image_size=32)
    return root


def tiny_config(path, config, root):
    """``config`` on the generated data, 32-pixel pipelines, the deep tiny
    CLIP, one epoch tested as is (no validation); the ablation's switches
    untouched."""
    descriptions = ''
    if 'descriptions' in Config.fromfile(config).model.class_text:
        descriptions = f'class_text=dict(descriptions={str(root / "descriptions.json")!r}),'
    data = dict(type='CoOpDataset', data_root=str(root), split_file='split_zhou_HiCroPLDemo.json',
                image_dir='images', dataset_name='Demo',
                serialize_data=False)  # skips mmengine's slow gc.collect() per build
    path.write_text(f'''
_base_ = [{config!r}]
train_pipeline = [dict(type='LoadImageFromFile'),
                  dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.5, 1.0)),
                  dict(type='PackInputs')]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='ResizeEdge', scale=32, edge='short'),
                 dict(type='CenterCrop', crop_size=32), dict(type='PackInputs')]
data = {data!r}
loader = dict(num_workers=0, persistent_workers=False)
model = dict(backbone=dict(arch=dict(_delete_=True, **{DEEP_TINY_CLIP!r}), pretrained=None),
             {descriptions})
train_dataloader = dict(batch_size=8, **loader, dataset=dict(data, pipeline=train_pipeline))
val_dataloader = None  # one epoch: test it, no selection on validation
val_cfg = None
val_evaluator = None
test_checkpoint = 'last'
test_dataloader = dict(batch_size=16, **loader, dataset=dict(data, pipeline=test_pipeline))
train_cfg = dict(max_epochs=1)
param_scheduler = dict(T_max=1)
default_hooks = dict(logger=dict(interval=1))
''')
    return str(path)


def test_every_ablation_config_is_in_the_table_registry():
    assert sorted(osp.splitext(osp.basename(c))[0] for c in CONFIGS) == sorted(ablation_names())
    for config in CONFIGS:
        cfg = Config.fromfile(config)
        assert cfg.ablation == osp.splitext(osp.basename(config))[0]
        assert cfg.protocol == 'base2novel'


@pytest.mark.parametrize('config', CONFIGS, ids=lambda c: osp.basename(c)[:-3])
def test_ablation_trains_and_tests(config, demo_root, tmp_path, one_torch_thread,
                                   fast_config_text):
    name = osp.splitext(osp.basename(config))[0]
    tiny = tiny_config(tmp_path / f'{name}.py', config, demo_root)
    record = load_tool('run_protocol').main([tiny, '--work-dir', str(tmp_path / 'work'),
                                             '--seed', '1'])
    assert record['ablation'] == name
    assert record['setting'] == f'HiCroPL [{name}]'
    assert record['epoch'] == 1
    (evaluation, ) = record['evaluations']
    assert set(evaluation['metrics']) == {'b2n/base', 'b2n/novel', 'b2n/hm', 'b2n/all'}
    assert all(0 <= v <= 100 for v in evaluation['metrics'].values())
    with open(tmp_path / 'work' / 'results.json') as f:
        assert json.load(f)['ablation'] == name
