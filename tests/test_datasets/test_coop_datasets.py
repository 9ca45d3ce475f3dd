"""CoOp-layout datasets built in tmp_path, read through the registry."""
import copy
import os
import os.path as osp
import pickle
import sys
import types
from pathlib import Path
from typing import List

import pytest
import torch

from mmengine.config import Config
from mmpretrain.registry import DATASETS
from projects.hicropl.testing.coop_layouts import PETS, make_pets, write_image, write_split
from projects.hicropl.datasets import (CoOpImageNetV2, Datum,
                                       DatasetNotFoundError,
                                       sample_fewshot_splits,
                                       subsample_classes)

REPO_ROOT = Path(__file__).resolve().parents[2]
PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=32),
    dict(type='PackInputs'),
]
# serialize_data=False skips mmengine's gc.collect() per build (slow in tests)
DEFAULT_ARGS = dict(pipeline=PIPELINE, serialize_data=False)


def snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns
            for p in sorted(root.rglob('*'))}


def build(cfg: dict, **kwargs):
    cfg = {**DEFAULT_ARGS, **cfg, **kwargs}
    return DATASETS.build(copy.deepcopy(cfg))


# ---------------------------------------------------------------------------
# Layouts (miniatures of the real ones)

def make_caltech(root: Path) -> dict:
    """caltech-101: 101_ObjectCategories/<folder>/image_NNNN.jpg with the
    four renamed classes."""
    classes = [('Faces', 'face'), ('Leopards', 'leopard'),
               ('Motorbikes', 'motorbike'), ('airplanes', 'airplane'),
               ('car_side', 'car_side'), ('yin_yang', 'yin_yang')]
    split = {'train': [], 'val': [], 'test': []}
    for label, (folder, name) in enumerate(classes):
        for j in range(8):
            key = 'train' if j < 4 else 'val' if j < 6 else 'test'
            split[key].append([f'{folder}/image_{j + 1:04d}.jpg', label, name])
    # clutter the authors ignore
    write_image(root / '101_ObjectCategories' / 'BACKGROUND_Google' /
                'image_0001.jpg')
    write_split(root, 'split_zhou_Caltech101.json', '101_ObjectCategories',
                split)
    return split


def make_cars(root: Path) -> dict:
    """stanford_cars: paths relative to the dataset folder itself."""
    names = ['2000 AM General Hummer SUV', '2012 Ram C/V Cargo Van Minivan',
             '2012 Bugatti Veyron 16.4 Convertible']
    split = {'train': [], 'val': [], 'test': []}
    n = 0
    for label, name in enumerate(names):
        for key, folder, count in (('train', 'cars_train', 3),
                                   ('val', 'cars_train', 2),
                                   ('test', 'cars_test', 2)):
            for _ in range(count):
                n += 1
                split[key].append([f'{folder}/{n:05d}.jpg', label, name])
    write_split(root, 'split_zhou_StanfordCars.json', '', split)
    (root / 'devkit').mkdir()
    return split


EUROSAT = [('AnnualCrop', 'Annual Crop Land'), ('Forest', 'Forest'),
           ('HerbaceousVegetation', 'Herbaceous Vegetation Land'),
           ('Highway', 'Highway or Road'), ('SeaLake', 'Sea or Lake')]


def make_eurosat(root: Path) -> dict:
    split = {'train': [], 'val': [], 'test': []}
    for label, (folder, name) in enumerate(EUROSAT):
        for j in range(6):
            key = 'train' if j < 3 else 'val' if j < 5 else 'test'
            split[key].append([f'{folder}/{folder}_{j + 1}.jpg', label, name])
    write_split(root, 'split_zhou_EuroSAT.json', '2750', split)
    return split


@pytest.fixture
def pets(tmp_path):
    root = tmp_path / 'oxford_pets'
    return root, make_pets(root)


# ---------------------------------------------------------------------------
# Reading, pipeline, class names


@pytest.mark.parametrize('dataset_type,folder,maker', [
    ('CoOpOxfordPets', 'oxford_pets', make_pets),
    ('CoOpCaltech101', 'caltech-101', make_caltech),
    ('CoOpStanfordCars', 'stanford_cars', make_cars),
    ('CoOpEuroSAT', 'eurosat', make_eurosat),
])
def test_full_splits_through_pipeline(tmp_path, dataset_type, folder, maker):
    root = tmp_path / folder
    split = maker(root)
    before = snapshot(root)
    for key in ('train', 'val', 'test'):
        ds = build(dict(type=dataset_type, data_root=str(root), split=key))
        assert len(ds) == len(split[key])
        labels = [ds.get_data_info(i)['gt_label'] for i in range(len(ds))]
        assert labels == [item[1] for item in split[key]]
        # names verbatim from the split, by label, from the train items
        names = {item[1]: item[2] for item in split['train']}
        assert ds.metainfo['classes'] == tuple(names[i]
                                               for i in sorted(names))
        sample = ds[0]
        assert sample['inputs'].shape == (3, 32, 32)
        assert sample['inputs'].dtype == torch.uint8
        assert sample['data_samples'].gt_label.item() == split[key][0][1]
        assert osp.isfile(sample['data_samples'].img_path)
    assert snapshot(root) == before  # nothing written into the data root


def test_special_names_are_kept(tmp_path):
    ds = build(dict(type='CoOpCaltech101',
                    data_root=str(tmp_path / 'caltech-101')),
               lazy_init=True)
    make_caltech(tmp_path / 'caltech-101')
    ds.full_init()
    assert ds.metainfo['classes'][:4] == ('face', 'leopard', 'motorbike',
                                          'airplane')
    assert 'car_side' in ds.metainfo['classes']
    assert ds.metainfo['dataset_name'] == 'Caltech101'
    assert ds.metainfo['description_file'] == 'caltech_prompt.json'

    root = tmp_path / 'stanford_cars'
    make_cars(root)
    ds = build(dict(type='CoOpStanfordCars', data_root=str(root)))
    assert ds.metainfo['classes'][1] == '2012 Ram C/V Cargo Van Minivan'
    assert ds.get_data_info(0)['img_path'] == str(root / 'cars_train' /
                                                  '00001.jpg')

    root = tmp_path / 'eurosat'
    make_eurosat(root)
    ds = build(dict(type='CoOpEuroSAT', data_root=str(root)))
    assert ds.metainfo['classes'] == tuple(n for _, n in EUROSAT)


def test_fewshot_and_base_new(pets):
    root, split = pets
    cfg = dict(type='CoOpOxfordPets', data_root=str(root), num_shots=4,
               seed=2)
    train = build(cfg, split='train')
    val = build(cfg, split='val')
    test = build(cfg, split='test')
    assert len(train) == 4 * len(PETS)
    assert len(val) == 4 * len(PETS)  # min(4, 4) shots, val has 5 each
    assert len(test) == len(split['test'])  # test: no shot sampling

    full = {k: [Datum(*item) for item in v] for k, v in split.items()}
    exp_train, exp_val = sample_fewshot_splits(full['train'], full['val'],
                                               4, 2)
    img = lambda ds, i: osp.basename(ds.get_data_info(i)['img_path'])  # noqa
    assert [img(train, i) for i in range(len(train))] == \
        [d.impath for d in exp_train]
    assert [img(val, i) for i in range(len(val))] == \
        [d.impath for d in exp_val]

    # 1 shot: val takes min(1, 4) = 1 per class
    assert len(build(cfg, split='val', num_shots=1)) == len(PETS)

    for mode, names in (('base', [n for n, _ in PETS[:3]]),
                        ('new', [n for n, _ in PETS[3:]])):
        sub = {key: build(cfg, split=key, subsample_classes=mode)
               for key in ('train', 'val', 'test')}
        for key, ds in sub.items():
            assert list(ds.metainfo['classes']) == names, (mode, key)
            labels = {ds.get_data_info(i)['gt_label'] for i in range(len(ds))}
            assert labels == set(range(len(names))), (mode, key)
        _, _, exp_test = subsample_classes(
            exp_train, exp_val, full['test'], subsample=mode)
        assert len(sub['test']) == len(exp_test)


@pytest.mark.parametrize('num_shots', [0, -1])
def test_all_shots(pets, num_shots):
    root, split = pets
    ds = build(dict(type='CoOpOxfordPets', data_root=str(root),
                    num_shots=num_shots, split='val'))
    assert len(ds) == len(split['val'])


def test_invalid_arguments(pets):
    root, _ = pets
    base = dict(type='CoOpOxfordPets', data_root=str(root))
    with pytest.raises(ValueError, match='split'):
        build(base, split='trainval')
    with pytest.raises(ValueError, match='subsample_classes'):
        build(base, subsample_classes='novel')
    with pytest.raises(ValueError, match='seed'):
        build(base, seed=-1)


# ---------------------------------------------------------------------------
# Clear errors


def test_missing_data_root(tmp_path):
    missing = tmp_path / 'nope' / 'oxford_pets'
    with pytest.raises(DatasetNotFoundError) as e:
        build(dict(type='CoOpOxfordPets', data_root=str(missing)))
    assert str(missing) in str(e.value)
    assert 'DATASETS.md' in str(e.value) and 'oxford_pets' in str(e.value)
    assert not missing.exists()
    # lazy_init reads nothing
    build(dict(type='CoOpOxfordPets', data_root=str(missing)),
          lazy_init=True)


def test_missing_split_file(tmp_path):
    root = tmp_path / 'dtd'
    (root / 'images').mkdir(parents=True)
    with pytest.raises(DatasetNotFoundError) as e:
        build(dict(type='CoOpDescribableTextures', data_root=str(root)))
    assert str(root / 'split_zhou_DescribableTextures.json') in str(e.value)
    assert 'download' in str(e.value)
    assert sorted(os.listdir(root)) == ['images']


def test_missing_image_at_load_and_lazily(pets):
    root, split = pets
    victim = root / 'images' / split['test'][1][0]
    victim.unlink()
    cfg = dict(type='CoOpOxfordPets', data_root=str(root), split='test')
    with pytest.raises(DatasetNotFoundError) as e:
        build(cfg)
    assert str(victim) in str(e.value)
    # the few-shot train set may not need the missing image at all
    ds = build(cfg, check_images=False)
    with pytest.raises(DatasetNotFoundError, match=str(victim)):
        ds[1]
    ds[0]


def test_bad_split_file(tmp_path):
    root = tmp_path / 'eurosat'
    root.mkdir()
    (root / 'split_zhou_EuroSAT.json').write_text('{"train": []}')
    with pytest.raises(ValueError, match='keys'):
        build(dict(type='CoOpEuroSAT', data_root=str(root)))


# ---------------------------------------------------------------------------
# FGVCAircraft: official txt lists


def test_fgvc_aircraft(tmp_path):
    root = tmp_path / 'fgvc_aircraft'
    root.mkdir()
    variants = ['707-320', 'F-16A/B', 'F/A-18', 'Cessna 172']
    (root / 'variants.txt').write_text('\n'.join(variants) + '\n')
    lists = {'train': [], 'val': [], 'test': []}
    n = 1000000
    for key, count in (('train', 5), ('val', 4), ('test', 2)):
        for _ in range(count):
            for name in variants:
                n += 1
                lists[key].append((f'{n:07d}', name))
                write_image(root / 'images' / f'{n:07d}.jpg')
        (root / f'images_variant_{key}.txt').write_text(''.join(
            f'{i} {name}\n' for i, name in lists[key]))
    cfg = dict(type='CoOpFGVCAircraft', data_root=str(root), num_shots=4)
    train = build(cfg)
    assert train.metainfo['classes'] == tuple(variants)
    assert len(train) == 16 and len(build(cfg, split='val')) == 16
    test = build(cfg, split='test', subsample_classes='new')
    assert test.metainfo['classes'] == ('F/A-18', 'Cessna 172')
    assert [test.get_data_info(i)['gt_label'] for i in range(len(test))] \
        == [0, 1, 0, 1]
    assert test[0]['inputs'].shape == (3, 32, 32)

    (root / 'images_variant_val.txt').unlink()
    with pytest.raises(DatasetNotFoundError, match='images_variant_val'):
        build(cfg)


# ---------------------------------------------------------------------------
# ImageNet family: folder scans


def make_imagenet_tree(folder: Path, wnids: List[str], per_class: int,
                       ext: str = 'JPEG') -> None:
    for wnid in wnids:
        for j in range(per_class):
            write_image(folder / wnid / f'{wnid}_{j}.{ext}', size=(6, 6))


WNIDS = ['n01440764', 'n01443537', 'n01484850', 'n01491361']
NAMES = ['tench', 'goldfish', 'great white shark', 'tiger shark']


def write_classnames(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / 'classnames.txt').write_text(''.join(
        f'{w} {n}\n' for w, n in zip(WNIDS, NAMES)))


def test_imagenet(tmp_path):
    root = tmp_path / 'imagenet'
    write_classnames(root)
    make_imagenet_tree(root / 'images' / 'train', WNIDS, 5)
    make_imagenet_tree(root / 'images' / 'val', WNIDS, 2)
    (root / 'images' / 'train' / WNIDS[0] / '.hidden').write_text('')
    before = snapshot(root)
    cfg = dict(type='CoOpImageNet', data_root=str(root), num_shots=2)
    train = build(cfg)
    assert len(train) == 8
    assert train.metainfo['classes'] == tuple(NAMES)
    val, test = build(cfg, split='val'), build(cfg, split='test')
    assert len(val) == len(test) == 8  # val is the test set, not sampled
    assert [val.get_data_info(i)['img_path'] for i in range(8)] == \
        [test.get_data_info(i)['img_path'] for i in range(8)]
    base = build(cfg, split='test', subsample_classes='new')
    assert base.metainfo['classes'] == ('great white shark', 'tiger shark')
    assert {base.get_data_info(i)['gt_label'] for i in range(4)} == {0, 1}
    assert base[0]['inputs'].shape == (3, 32, 32)
    # listing order as os.listdir gives it, or sorted on request
    full = build(cfg, num_shots=0)
    files = [osp.basename(full.get_data_info(i)['img_path'])
             for i in range(5)]
    listed = [f for f in os.listdir(root / 'images' / 'train' / WNIDS[0])
              if not f.startswith('.')]
    assert files == listed
    sorted_ds = build(cfg, num_shots=0, sort_files=True)
    assert [osp.basename(sorted_ds.get_data_info(i)['img_path'])
            for i in range(5)] == sorted(listed)
    assert snapshot(root) == before

    (root / 'images' / 'val' / 'n09999999').mkdir()
    with pytest.raises(ValueError, match='same wnid folders'):
        build(cfg, split='test')
    (root / 'classnames.txt').unlink()
    with pytest.raises(DatasetNotFoundError, match='classnames.txt'):
        build(cfg)


def test_imagenet_variants(tmp_path, monkeypatch):
    # ImageNet-A/R: sorted wnid folders, README.txt dropped, labels 0..n-1
    root = tmp_path / 'imagenet-adversarial'
    write_classnames(root)
    make_imagenet_tree(root / 'imagenet-a', [WNIDS[3], WNIDS[1]], 2, 'jpg')
    (root / 'imagenet-a' / 'README.txt').write_text('readme')
    ds = build(dict(type='CoOpImageNetA', data_root=str(root)))
    assert ds.metainfo['classes'] == ('goldfish', 'tiger shark')
    assert ds.metainfo['wnids'] == (WNIDS[1], WNIDS[3])
    assert [ds.get_data_info(i)['gt_label'] for i in range(4)] == [0, 0, 1, 1]
    assert ds[3]['inputs'].shape == (3, 32, 32)
    with pytest.raises(ValueError, match='no val split'):
        build(dict(type='CoOpImageNetA', data_root=str(root), split='val'))
    (root / 'imagenet-a' / 'n99999999').mkdir()
    with pytest.raises(ValueError, match='n99999999'):
        build(dict(type='CoOpImageNetA', data_root=str(root)))

    # ImageNet-Sketch
    root = tmp_path / 'imagenet-sketch'
    write_classnames(root)
    make_imagenet_tree(root / 'images', WNIDS, 1)
    ds = build(dict(type='CoOpImageNetSketch', data_root=str(root)))
    assert ds.metainfo['classes'] == tuple(NAMES)
    assert len(ds) == 4

    # ImageNetV2: folders 0..N-1, names by classnames.txt line order
    monkeypatch.setattr(CoOpImageNetV2, 'NUM_CLASSES', 3)
    root = tmp_path / 'imagenetv2'
    write_classnames(root)
    image_dir = root / 'imagenetv2-matched-frequency-format-val'
    make_imagenet_tree(image_dir, ['0', '1', '2'], 2, 'jpeg')
    ds = build(dict(type='CoOpImageNetV2', data_root=str(root)))
    assert ds.metainfo['classes'] == tuple(NAMES[:3])
    assert len(ds) == 6
    for f in (image_dir / '2').iterdir():
        f.unlink()
    (image_dir / '2').rmdir()
    with pytest.raises(DatasetNotFoundError, match='class folder 2'):
        build(dict(type='CoOpImageNetV2', data_root=str(root)))


# ---------------------------------------------------------------------------
# The authors' cache pickles (read-only, restricted unpickling)


@pytest.fixture
def fake_dassl(monkeypatch):
    """Provide ``dassl.data.datasets.base_dataset.Datum`` for pickling."""
    names = ['dassl', 'dassl.data', 'dassl.data.datasets',
             'dassl.data.datasets.base_dataset']
    mods = {n: types.ModuleType(n) for n in names}

    class FakeDatum:

        def __init__(self, impath, label, classname):
            self._impath, self._label = impath, label
            self._domain, self._classname = 0, classname

    FakeDatum.__module__ = names[-1]
    FakeDatum.__qualname__ = 'Datum'
    mods[names[-1]].Datum = FakeDatum
    for n, m in mods.items():
        monkeypatch.setitem(sys.modules, n, m)
    return FakeDatum


def test_official_fewshot_cache(pets, fake_dassl, monkeypatch):
    root, split = pets
    # the authors stored absolute paths of another machine
    stored = {
        'train': [fake_dassl(f'/home/x/data/oxford_pets/images/{p}', lab, n)
                  for p, lab, n in split['train'][:5]],
        'val': [fake_dassl(f'/home/x/data/oxford_pets/images/{p}', lab, n)
                for p, lab, n in split['val'][:5]],
    }
    cache = root / 'split_fewshot' / 'shot_16-seed_3.pkl'
    cache.parent.mkdir()
    cache.write_bytes(pickle.dumps(stored, pickle.HIGHEST_PROTOCOL))
    for n in list(sys.modules):
        if n.startswith('dassl'):
            monkeypatch.delitem(sys.modules, n)  # no dassl when reading

    cfg = dict(type='CoOpOxfordPets', data_root=str(root), num_shots=16,
               seed=3)
    ds = build(cfg, official_cache=True)
    assert [ds.get_data_info(i)['img_path'] for i in range(len(ds))] == \
        [str(root / 'images' / p) for p, _, _ in split['train'][:5]]
    assert len(build(cfg, official_cache=True, split='val')) == 5
    # without the switch the pickle is ignored and K-shot sampling is used
    assert len(build(cfg)) == 6 * len(PETS)  # 6 < 16 items: all of them

    class Evil:

        def __reduce__(self):
            return (os.system, ('echo pwned',))

    cache.write_bytes(pickle.dumps({'train': [Evil()], 'val': []}))
    with pytest.raises(pickle.UnpicklingError, match='Refusing'):
        build(cfg, official_cache=True)


# ---------------------------------------------------------------------------
# Base configs


def dataset_configs():
    return sorted((REPO_ROOT / 'configs' / '_base_' / 'datasets').glob(
        '*.py'))


@pytest.mark.parametrize('path', dataset_configs(), ids=lambda p: p.stem)
def test_base_configs(path):
    cfg = Config.fromfile(str(path))
    assert DATASETS.get(cfg.dataset_type) is not None
    # test-only datasets (domain-shift targets) set the train/val loaders to None
    loaders = [k for k in ('train_dataloader', 'val_dataloader',
                           'test_dataloader') if cfg.get(k) is not None]
    assert 'test_dataloader' in loaders
    assert 'data_preprocessor' not in cfg
    for key in loaders:
        loader = cfg[key]
        assert loader.dataset.type == cfg.dataset_type
        assert loader.dataset.split == key.split('_')[0]
        assert loader.batch_size == (32 if key == 'train_dataloader' else 100)
        if 'num_shots' in cfg:
            assert loader.dataset.num_shots == cfg.num_shots
            assert loader.dataset.seed == cfg.seed
            assert loader.dataset.subsample_classes == cfg.subsample_classes
    if cfg.get('train_dataloader') is not None:
        assert {'val_dataloader', 'num_shots', 'seed',
                'subsample_classes'} <= set(cfg)
    if path.stem == 'hicropl_demo':  # used alone by configs/hicropl/hicropl_demo.py
        assert cfg.val_evaluator == dict(type='Accuracy', topk=(1, ))
        assert cfg.test_evaluator == dict(type='Accuracy', topk=(1, ))
    else:  # the protocol (configs/_base_/protocols/) decides what is measured
        assert 'val_evaluator' not in cfg and 'test_evaluator' not in cfg
