"""Broken images are reported by path (fail fast by default) or skipped and
counted with an epoch summary; a missing data root or split file is one
error naming the expected path. Everything through the config/Runner path."""
import os
import os.path as osp
import shutil
import uuid

import numpy as np
import pytest
from mmcv.transforms import LoadImageFromFile
from mmengine.runner import Runner
from PIL import Image

from mmpretrain.registry import DATASETS, TRANSFORMS
from projects.hicropl.datasets import (DatasetNotFoundError, FaultTolerantDataset,
                                       ImageLoadError)
from robustness_helpers import WarningCapture, demo_root, load_tiny_config, write_tiny_config


@pytest.fixture(scope='module')
def shared_root(tmp_path_factory):
    return demo_root(tmp_path_factory.mktemp('faults'))


@pytest.fixture
def root(shared_root, tmp_path):
    """A private copy of the demo data (the tests break images in it)."""
    copy = str(tmp_path / 'data')
    shutil.copytree(shared_root, copy)
    return copy


def train_paths(cfg):
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    return [dataset.get_data_info(i)['img_path'] for i in range(len(dataset))]


def truncate(path):
    data = open(path, 'rb').read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])


# --------------------------------------------------------------------------
# SafeLoadImageFromFile
# --------------------------------------------------------------------------


@pytest.mark.parametrize('fault', ['truncated', 'garbage', 'empty', 'missing'])
def test_broken_image_is_named(tmp_path, fault):
    path = tmp_path / 'img.jpg'
    Image.fromarray(np.random.RandomState(0).randint(0, 255, (64, 64, 3), np.uint8)).save(path)
    if fault == 'truncated':
        truncate(path)
    elif fault == 'garbage':
        path.write_bytes(b'this is not an image' * 10)
    elif fault == 'empty':
        path.write_bytes(b'')
    else:
        path.unlink()
    load = TRANSFORMS.build(dict(type='SafeLoadImageFromFile'))
    with pytest.raises(ImageLoadError) as err:
        load(dict(img_path=str(path)))
    assert str(path) in str(err.value) and err.value.path == str(path)
    assert 'remove it from the split file' in str(err.value)
    # what MMCV's own transform says for the same file: no path
    if fault in ('truncated', 'garbage'):
        with pytest.raises(Exception) as plain:
            LoadImageFromFile(imdecode_backend='pillow')(dict(img_path=str(path)))
        assert str(path) not in str(plain.value)


def test_good_image_loads_like_mmcv(tmp_path):
    path = tmp_path / 'img.png'
    Image.fromarray(np.random.RandomState(1).randint(0, 255, (9, 7, 3), np.uint8)).save(path)
    ours = TRANSFORMS.build(dict(type='SafeLoadImageFromFile'))(dict(img_path=str(path)))
    ref = LoadImageFromFile(imdecode_backend='pillow')(dict(img_path=str(path)))
    assert np.array_equal(ours['img'], ref['img']) and ours['img_shape'] == (9, 7)


def test_base_dataset_configs_use_the_safe_loader():
    from mmengine.config import Config
    from robustness_helpers import REPO
    folder = osp.join(REPO, 'configs', '_base_', 'datasets')
    for name in sorted(os.listdir(folder)):
        cfg = Config.fromfile(osp.join(folder, name))
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            if cfg.get(loader) is not None:
                assert cfg[loader].dataset.pipeline[0].type == 'SafeLoadImageFromFile', name


# --------------------------------------------------------------------------
# policies through the Runner
# --------------------------------------------------------------------------


def test_fail_fast_names_the_file(tmp_path, root):
    cfg = load_tiny_config(tmp_path, root, epochs=1, workers=1)
    broken = train_paths(cfg)[3]
    truncate(broken)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(Exception) as err:  # re-raised from the worker
        runner.train()
    assert broken in str(err.value) and 'truncated' in str(err.value)
    assert not any(f.endswith('.pth') for f in os.listdir(cfg.work_dir))


SKIP_CONFIG = '''
_base_ = ['./tiny_hicropl.py']
train_dataloader = dict(dataset=dict(
    _delete_=True, type='FaultTolerantDataset', on_error='skip',
    dataset={{_base_.train_dataloader.dataset}}))
'''


def test_skip_and_count_with_epoch_summary(tmp_path, root):
    write_tiny_config(tmp_path, root, epochs=2, workers=1)
    (tmp_path / 'skip.py').write_text(SKIP_CONFIG)
    from mmengine.config import Config
    cfg = Config.fromfile(str(tmp_path / 'skip.py'))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.experiment_name = f'skip_{uuid.uuid4().hex}'
    cfg.train_cfg.val_interval = 10  # no validation needed here
    assert cfg.train_dataloader.dataset.dataset.type == 'HiCroPLDemoDataset'
    paths = train_paths(cfg)
    broken = [paths[2], paths[11]]
    truncate(broken[0])
    with open(broken[1], 'wb') as f:
        f.write(b'not an image')

    runner = Runner.from_cfg(cfg)
    capture = WarningCapture()
    runner.logger.addHandler(capture)
    try:
        runner.train()
    finally:
        runner.logger.removeHandler(capture)
    assert runner.epoch == 2
    summaries = [m for m in capture.messages if 'broken image load(s)' in m]
    assert len(summaries) == 2, capture.messages  # one per epoch
    for epoch, summary in enumerate(summaries, 1):
        assert summary.startswith(f'Epoch {epoch}: 2 broken image load(s)')
        assert all(p in summary for p in broken)
    # the model still saw the dataset's classes and trained
    assert runner.model.classnames == list(runner.train_dataloader.dataset.metainfo['classes'])


def test_wrapper_replacement_is_deterministic(root, tmp_path):
    cfg = load_tiny_config(tmp_path, root)
    inner = cfg.train_dataloader.dataset
    paths = train_paths(cfg)
    truncate(paths[4])
    truncate(paths[5])
    ds = FaultTolerantDataset(inner, on_error='skip')
    sample = ds[4]  # 4 and 5 are broken: item 6 replaces it, no RNG drawn
    assert sample['data_samples'].skipped_images == [paths[4], paths[5]]
    assert sample['data_samples'].gt_label.item() == ds.get_data_info(6)['gt_label']
    assert 'skipped_images' not in ds[6]['data_samples']
    assert ds.metainfo['classes'] == DATASETS.build(inner).metainfo['classes']
    with pytest.raises(OSError, match='2 consecutive items from index 4'):
        FaultTolerantDataset(inner, on_error='skip', max_retries=1)[4]
    with pytest.raises(ImageLoadError, match=paths[4]):
        FaultTolerantDataset(inner)[4]  # on_error='raise' is the default
    with pytest.raises(ValueError, match="on_error must be one of"):
        FaultTolerantDataset(inner, on_error='ignore')


def test_evaluation_never_skips(root, tmp_path):
    cfg = load_tiny_config(tmp_path, root)
    val = DATASETS.build(cfg.val_dataloader.dataset)
    truncate(val.get_data_info(0)['img_path'])
    ds = FaultTolerantDataset(cfg.val_dataloader.dataset, on_error='skip')
    with pytest.raises(ImageLoadError, match=val.get_data_info(0)['img_path']):
        ds[0]


# --------------------------------------------------------------------------
# missing data root / split file
# --------------------------------------------------------------------------


@pytest.mark.parametrize('missing', ['data_root', 'split_file'])
def test_missing_data_is_one_error_naming_the_path(tmp_path, shared_root, missing):
    cfg = load_tiny_config(tmp_path, shared_root, epochs=1)
    data_root = tmp_path / 'oxford_pets'
    if missing == 'split_file':
        data_root.mkdir()
        expected = str(data_root / 'split_zhou_OxfordPets.json')
    else:
        expected = str(data_root)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.type = 'CoOpOxfordPets'
        cfg[loader].dataset.data_root = str(data_root)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(DatasetNotFoundError) as err:
        runner.train()
    msg = str(err.value)
    assert expected in msg and 'not found' in msg and 'DATASETS.md' in msg
