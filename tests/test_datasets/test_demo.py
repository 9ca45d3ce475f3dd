"""The generated demo dataset."""
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmengine.config import Config
from mmpretrain.registry import DATASETS
from projects.hicropl.datasets import demo as demo_module
from projects.hicropl.datasets import prepare_demo_dataset
from projects.hicropl.datasets.demo import DEFAULT_DEMO_ROOT, DEMO_CLASSES
from projects.hicropl.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ARGS = dict(
    type='HiCroPLDemoDataset',
    pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=32),
        dict(type='PackInputs')
    ],
    serialize_data=False)


@pytest.fixture(scope='module')
def demo_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp('demo') / 'hicropl_demo'
    prepare_demo_dataset(str(root))
    return root


def snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns
            for p in sorted(root.rglob('*'))}


def test_layout_and_split_format(demo_root):
    split = json.loads((demo_root / 'split_zhou_HiCroPLDemo.json').read_text())
    assert set(split) == {'train', 'val', 'test'}
    counts = {k: len(v) for k, v in split.items()}
    assert counts == dict(train=200, val=50, test=100)
    names = [spec.name for spec in DEMO_CLASSES[:10]]
    for items in split.values():
        for impath, label, classname in items:
            assert classname == names[label]
            folder = classname.replace(' ', '_')
            assert impath.startswith(f'{folder}/') and impath.endswith('.jpg')
            assert (demo_root / 'images' / impath).is_file()
    img = Image.open(demo_root / 'images' / split['test'][0][0])
    assert img.format == 'JPEG' and img.mode == 'RGB' and img.size == (64, 64)
    # nothing but the dataset next to it (no temporary leftovers)
    assert os.listdir(demo_root.parent) == [demo_root.name]


def test_descriptions(demo_root):
    desc = json.loads((demo_root / 'descriptions.json').read_text())
    names = [spec.name for spec in DEMO_CLASSES[:10]]
    assert sorted(desc) == sorted(names)
    for sentences in desc.values():
        assert len(sentences) >= 5
        assert all(isinstance(s, str) and s for s in sentences)


def test_idempotent_and_deterministic(demo_root, tmp_path):
    before = snapshot(demo_root)
    assert prepare_demo_dataset(str(demo_root)) == str(demo_root)
    assert snapshot(demo_root) == before
    other = tmp_path / 'again'
    prepare_demo_dataset(str(other), num_classes=2, num_train=2, num_val=1,
                         num_test=1)
    again = tmp_path / 'again2'
    prepare_demo_dataset(str(again), num_classes=2, num_train=2, num_val=1,
                         num_test=1)
    files = sorted(p.relative_to(other) for p in other.rglob('*')
                   if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob('*')
                           if p.is_file())
    for f in files:
        assert (other / f).read_bytes() == (again / f).read_bytes()


def test_interrupted_generation_leaves_nothing(tmp_path, monkeypatch):
    calls = []

    def failing(spec, rng, size=64):
        calls.append(1)
        if len(calls) > 3:
            raise RuntimeError('interrupted')
        return Image.new('RGB', (size, size))

    monkeypatch.setattr(demo_module, 'render_demo_image', failing)
    with pytest.raises(RuntimeError, match='interrupted'):
        prepare_demo_dataset(str(tmp_path / 'demo'))
    assert os.listdir(tmp_path) == []


def test_foreign_folder_and_bad_num_classes(tmp_path):
    (tmp_path / 'mine').mkdir()
    (tmp_path / 'mine' / 'x.txt').write_text('precious')
    with pytest.raises(FileExistsError, match='not a demo dataset'):
        prepare_demo_dataset(str(tmp_path / 'mine'))
    assert os.listdir(tmp_path / 'mine') == ['x.txt']
    with pytest.raises(ValueError, match='num_classes'):
        prepare_demo_dataset(str(tmp_path / 'd'), num_classes=99)


def test_classes_are_easy_to_tell_apart(demo_root):
    """Nearest mean-colour centroid already separates the test images."""
    split = json.loads((demo_root / 'split_zhou_HiCroPLDemo.json').read_text())

    def features(items):
        x = np.stack([
            np.asarray(Image.open(demo_root / 'images' / p), np.float32)
            .reshape(-1, 3).mean(0) for p, _, _ in items
        ])
        return x, np.array([label for _, label, _ in items])

    x_train, y_train = features(split['train'])
    x_test, y_test = features(split['test'])
    centroids = np.stack([x_train[y_train == c].mean(0) for c in range(10)])
    pred = np.argmin(
        ((x_test[:, None] - centroids[None]) ** 2).sum(-1), axis=1)
    assert (pred == y_test).mean() >= 0.9


def test_class_names_are_one_name_everywhere(demo_root):
    """Generator, split file, description keys, dataset classes and the
    prompts use the same names (``_`` only in the image folders)."""
    names = [spec.name for spec in DEMO_CLASSES[:10]]
    assert not any('_' in n for n in names)
    split = json.loads((demo_root / 'split_zhou_HiCroPLDemo.json').read_text())
    assert sorted({c for items in split.values() for _, _, c in items}) == \
        sorted(names)
    desc = json.loads((demo_root / 'descriptions.json').read_text())
    assert list(desc) == names
    ds = DATASETS.build(dict(DEFAULT_ARGS, data_root=str(demo_root)))
    assert list(ds.metainfo['classes']) == names


def test_dataset_generates_on_first_use(tmp_path):
    root = tmp_path / 'data' / 'hicropl_demo'
    lazy = DATASETS.build(dict(DEFAULT_ARGS, data_root=str(root),
                               generate=True, lazy_init=True))
    assert not root.exists()  # lazy_init writes nothing
    train = DATASETS.build(dict(DEFAULT_ARGS, data_root=str(root),
                                generate=True, num_shots=16, num_classes=4))
    assert root.is_dir()
    assert len(train) == 16 * 4
    assert train.metainfo['classes'] == tuple(s.name for s in DEMO_CLASSES[:4])
    assert train.metainfo['description_file'] == str(
        root / 'descriptions.json')
    sample = train[0]
    assert sample['inputs'].shape == (3, 32, 32)
    with pytest.raises(ValueError, match='num_classes'):
        lazy.full_init()  # default 10 classes, but 4 exist now


def test_mistyped_data_root_is_not_generated(tmp_path, monkeypatch):
    """Only the default folder is generated without asking: elsewhere a
    missing data_root is an error naming the fix (and nothing is written)."""
    typo = tmp_path / 'data' / 'hicropl_dmeo'
    with pytest.raises(ConfigError, match='generate=True') as info:
        DATASETS.build(dict(DEFAULT_ARGS, data_root=str(typo)))
    assert str(typo) in str(info.value) and DEFAULT_DEMO_ROOT in str(
        info.value)
    assert not typo.exists() and not typo.parent.exists()
    with pytest.raises(ConfigError):  # generate=False: never
        DATASETS.build(dict(DEFAULT_ARGS, data_root=str(typo),
                            generate=False))

    # the default folder (relative to the working directory) is generated
    monkeypatch.chdir(tmp_path)
    dataset = DATASETS.build(dict(DEFAULT_ARGS, num_classes=2))
    assert dataset.data_root == str(tmp_path / DEFAULT_DEMO_ROOT)
    assert (tmp_path / DEFAULT_DEMO_ROOT / 'descriptions.json').is_file()
    assert len(dataset) == 2 * 20  # all 20 train images per class


def test_dataset_splits_and_base_new(demo_root):
    cfg = dict(DEFAULT_ARGS, data_root=str(demo_root), num_shots=16)
    sizes = {}
    for split in ('train', 'val', 'test'):
        for mode in ('all', 'base', 'new'):
            ds = DATASETS.build(dict(cfg, split=split, subsample_classes=mode))
            sizes[split, mode] = len(ds)
            expected = DEMO_CLASSES[:5] if mode == 'base' else \
                DEMO_CLASSES[5:10] if mode == 'new' else DEMO_CLASSES[:10]
            assert ds.metainfo['classes'] == tuple(s.name for s in expected)
    assert sizes['train', 'all'] == 160 and sizes['train', 'base'] == 80
    assert sizes['val', 'all'] == 40 and sizes['val', 'new'] == 20
    assert sizes['test', 'all'] == 100 and sizes['test', 'new'] == 50


def test_demo_config_pipelines(demo_root):
    cfg = Config.fromfile(
        str(REPO_ROOT / 'configs' / '_base_' / 'datasets' /
            'hicropl_demo.py'))
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        ds_cfg = cfg[key].dataset.to_dict()
        ds_cfg.update(data_root=str(demo_root), serialize_data=False)
        ds = DATASETS.build(ds_cfg)
        sample = ds[0]
        assert sample['inputs'].shape == (3, 224, 224), key


@pytest.mark.parametrize('config', sorted(
    str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / 'configs').glob('*/*_demo.py')))
def test_demo_configs_use_the_safe_image_loader(config):
    """Like every dataset config (no pickled or odd files reach PIL)."""
    cfg = Config.fromfile(str(REPO_ROOT / config))
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(key) is None:
            continue
        loader = cfg[key].dataset.pipeline[0]
        assert loader['type'] == 'SafeLoadImageFromFile', key
