"""tools/dataset_converters/check_data.py on generated layouts, and
make_split.py + CoOpDataset / CoOpImageFolder for your own label set."""
import json
import shutil

import pytest
from protocol_helpers import load_tool

import projects.hicropl  # noqa: F401
from mmpretrain.registry import DATASETS
from projects.hicropl.datasets import (CoOpFGVCAircraft, CoOpOxfordPets,
                                       DatasetNotFoundError, make_split)
from projects.hicropl.errors import ConfigError
from projects.hicropl.testing.coop_layouts import PETS, make_pets, write_image

check_data = load_tool('dataset_converters/check_data')
make_split_tool = load_tool('dataset_converters/make_split')
PIPELINE = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=16),
            dict(type='PackInputs')]


def pets_descriptions(path, skip=()):
    path.write_text(json.dumps({
        name.replace('_', ' '): ['a pet.'] for name, _ in PETS
        if name not in skip}))
    return str(path)


def test_check_data_all_good(tmp_path, monkeypatch, capsys):
    root = tmp_path / 'oxford_pets'
    make_pets(root, n_train=6, n_val=5, n_test=2)
    monkeypatch.setattr(CoOpOxfordPets, 'EXPECTED_SIZES',
                        dict(classes=5, train=30, val=25, test=10))
    rc = check_data.main(['OxfordPets', '--data-root', str(root),
                          '--descriptions',
                          pets_descriptions(tmp_path / 'd.json')])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert '[ OK ] 30 train images' in out and '[FAIL]' not in out
    assert 'descriptions for all 5 classes' in out


def test_check_data_reports_what_is_missing(tmp_path, capsys):
    root = tmp_path / 'oxford_pets'
    make_pets(root, n_train=6, n_val=5, n_test=2)
    (root / 'images' / 'pug_4.jpg').unlink()
    rc = check_data.main(['oxford_pets', '--data-root', str(root),
                          '--descriptions', pets_descriptions(
                              tmp_path / 'd.json', skip=['bengal'])])
    out = capsys.readouterr().out
    assert rc == 1
    # Counts against the paper's Table 10 (real Pets: 37 classes, 2,944 train).
    assert '[FAIL] 5 classes, expected 37' in out
    assert '[FAIL] 30 train images, expected 2,944' in out
    assert '--no-counts' in out
    # The missing image, by path.
    assert '1 of 30 train images missing' in out
    assert str(root / 'images' / 'pug_4.jpg') in out
    # The class without descriptions, by its description key.
    assert "1 of 5 classes have no entry" in out and "'bengal'" in out
    assert "on_missing='template'" in out


def test_check_data_missing_root_split_and_descriptions(tmp_path, capsys):
    assert check_data.main(['CoOpOxfordPets', '--data-root',
                            str(tmp_path / 'nope')]) == 1
    out = capsys.readouterr().out
    assert 'data root not found' in out
    assert 'split_zhou_OxfordPets.json' in out  # the expected tree
    (tmp_path / 'oxford_pets').mkdir()
    assert check_data.main(['OxfordPets', '--data-root',
                            str(tmp_path / 'oxford_pets')]) == 1
    out = capsys.readouterr().out
    assert "split file 'split_zhou_OxfordPets.json'" in out and 'not found' in out
    assert 'DATASETS.md' in out


def test_check_data_other_layouts(tmp_path, monkeypatch, capsys):
    """FGVCAircraft (official list files) and ImageNet-A (test-only folder
    scan): the loaders' own file requirements are checked."""
    root = tmp_path / 'fgvc_aircraft'
    root.mkdir()
    (root / 'variants.txt').write_text('707-320\nF-16A/B\n')
    for key in ('train', 'val'):
        (root / f'images_variant_{key}.txt').write_text(
            '0000001 707-320\n0000002 F-16A/B\n')
    for i in (1, 2):
        write_image(root / 'images' / f'000000{i}.jpg')
    assert check_data.main(['fgvc_aircraft', '--data-root', str(root),
                            '--no-counts']) == 1
    out = capsys.readouterr().out
    assert "list file 'images_variant_test.txt'" in out
    (root / 'images_variant_test.txt').write_text('0000001 707-320\n')
    desc = tmp_path / 'fgvc.json'
    desc.write_text(json.dumps({'707-320': ['a plane'], 'F-16A/B': ['jet']}))
    monkeypatch.setattr(CoOpFGVCAircraft, 'EXPECTED_SIZES',
                        dict(classes=2, train=2, val=2, test=1))
    assert check_data.main(['FGVCAircraft', '--data-root', str(root),
                            '--descriptions', str(desc)]) == 0

    root = tmp_path / 'imagenet-adversarial'
    for wnid in ('n01498041', 'n01531178'):
        write_image(root / 'imagenet-a' / wnid / '0.jpg')
    (root / 'imagenet-a' / 'README.txt').write_text('readme')
    assert check_data.main(['ImageNetA', '--data-root', str(root)]) == 1
    assert "'classnames.txt'" in capsys.readouterr().out
    (root / 'classnames.txt').write_text(
        'n01440764 tench\nn01498041 stingray\nn01531178 goldfinch\n')
    desc = tmp_path / 'imagenet.json'
    desc.write_text(json.dumps({'stingray': ['a ray'], 'tench': ['a fish']}))
    assert check_data.main(['imagenet_a', '--data-root', str(root),
                            '--descriptions', str(desc)]) == 1
    out = capsys.readouterr().out
    assert '[FAIL] 2 classes, expected 200' in out
    assert '[FAIL] 2 test images, expected 7,500' in out
    assert "'goldfinch'" in out  # no description


def make_tree(root, counts):
    for name, n in counts.items():
        for i in range(n):
            write_image(root / name / f'{name}_{i:03d}.jpg', value=10 * i)


def test_make_split_writes_a_coop_split(tmp_path, capsys):
    tree = tmp_path / 'mine' / 'images'
    make_tree(tree, {'sparrow': 10, 'blue_jay': 10, 'Owl': 20})
    out = tmp_path / 'mine' / 'split_mine.json'
    split = make_split_tool.main([str(tree), '--out', str(out), '--seed',
                                  '3'])
    assert "split_file='split_mine.json', image_dir='images'" in \
        capsys.readouterr().out
    assert json.loads(out.read_text()) == split
    # Labels: sorted folder names (case-sensitive); CoOp's 50/20/30 per class.
    labels = {item[2]: item[1] for item in split['train']}
    assert labels == {'Owl': 0, 'blue_jay': 1, 'sparrow': 2}
    sizes = {k: sum(1 for it in v if it[2] == 'Owl')
             for k, v in split.items()}
    assert sizes == dict(train=10, val=4, test=6)
    paths = [it[0] for v in split.values() for it in v]
    assert len(paths) == len(set(paths)) == 40
    assert all((tree / p).is_file() for p in paths)
    # Deterministic in the seed.
    assert make_split(str(tree), seed=3) == split
    assert make_split(str(tree), seed=4) != split
    with pytest.raises(ConfigError, match='exists'):
        make_split_tool.main([str(tree), '--out', str(out)])
    with pytest.raises(ValueError, match='summing to 1'):
        make_split(str(tree), ratios=(0.5, 0.5, 0.5))
    make_tree(tree, {'tiny': 2})
    with pytest.raises(ValueError, match=r'tiny \(2\)'):
        make_split(str(tree))

    # The written split trains like a benchmark: few-shot + base/new.
    shutil.rmtree(tree / 'tiny')
    cfg = dict(type='CoOpDataset', data_root=str(tmp_path / 'mine'),
               split_file='split_mine.json', image_dir='images',
               num_shots=4, seed=1, pipeline=PIPELINE)
    train = DATASETS.build(dict(cfg, subsample_classes='base'))
    assert train.metainfo['classes'] == ('Owl', 'blue_jay')
    assert train.metainfo['dataset_name'] == 'mine'  # from split_mine.json
    assert len(train) == 8 and train[0]['inputs'].shape[0] == 3
    test = DATASETS.build(dict(cfg, split='test', dataset_name='Birds'))
    assert test.metainfo['num_base_classes'] == 2
    assert test.metainfo['dataset_name'] == 'Birds'
    assert len(test) == 6 + 3 + 3


def test_image_folder_dataset(tmp_path):
    root = tmp_path / 'birds'
    for key, n in (('train', 6), ('val', 2), ('test', 3)):
        make_tree(root / key, {'owl': n, 'blue_jay': n, 'sparrow': n})
    cfg = dict(type='CoOpImageFolder', data_root=str(root), num_shots=4,
               pipeline=PIPELINE, classnames={'blue_jay': 'blue jay'})
    train = DATASETS.build(cfg)
    assert train.metainfo['classes'] == ('blue jay', 'owl', 'sparrow')
    assert train.metainfo['dataset_name'] == 'birds'
    assert len(train) == 12
    val = DATASETS.build(dict(cfg, split='val', subsample_classes='new'))
    assert val.metainfo['classes'] == ('sparrow', ) and len(val) == 2
    assert val[0]['inputs'].shape[0] == 3
    test = DATASETS.build(dict(cfg, split='test'))
    assert test.get_data_info(0)['img_path'].startswith(str(root / 'test'))

    # One tree split on the fly = the split make_split writes.
    tree = tmp_path / 'tree'
    make_tree(tree, {'owl': 10, 'sparrow': 10})
    cfg = dict(type='CoOpImageFolder', data_root=str(tree),
               split_ratios=(0.5, 0.2, 0.3), split_seed=2, pipeline=PIPELINE)
    expected = make_split(str(tree), (0.5, 0.2, 0.3), seed=2)
    for split in ('train', 'val', 'test'):
        dataset = DATASETS.build(dict(cfg, split=split))
        assert [d['img_path'] for d in dataset.load_data_list()] == [
            str(tree / p) for p, _, _ in expected[split]]

    with pytest.raises(DatasetNotFoundError, match="'train' folder"):
        DATASETS.build(dict(type='CoOpImageFolder', data_root=str(tree)))
    with pytest.raises(ValueError, match='split_file'):
        DATASETS.build(dict(type='CoOpImageFolder', data_root=str(tree),
                            split_file='x.json'))


def test_check_data_applies_the_loaders_label_rule(tmp_path, capsys):
    """Labels with a gap: the checker said OK and the loader refused the
    run; both now run the same rule and give the same message."""
    from projects.hicropl.errors import DataError
    root = tmp_path / 'oxford_pets'
    split = make_pets(root, n_train=6, n_val=5, n_test=2)
    for items in split.values():
        for item in items:
            item[1] += item[1] >= 2  # labels 0, 1, 3, 4, 5
    (root / 'split_zhou_OxfordPets.json').write_text(json.dumps(split))
    rc = check_data.main(['OxfordPets', '--data-root', str(root),
                          '--no-counts', '--descriptions',
                          pets_descriptions(tmp_path / 'd.json')])
    out = capsys.readouterr().out
    assert rc == 1
    with pytest.raises(DataError) as err:
        DATASETS.build(dict(type='CoOpOxfordPets', data_root=str(root),
                            pipeline=PIPELINE))
    assert f'[FAIL] {err.value}' in out and 'missing: [2]' in out


def test_check_data_descriptions_like_training(tmp_path, capsys):
    """A near-miss key, a too-long sentence and too few shots per class."""
    root = tmp_path / 'oxford_pets'
    make_pets(root, n_train=6, n_val=5, n_test=2)
    table = {name.replace('_', ' '): ['a pet.'] for name, _ in PETS}
    table['american_pit_bull_terrier'] = table.pop(
        'american pit bull terrier')
    table['pug'] = ['a ' + 'very ' * 80 + 'small dog.']
    path = tmp_path / 'd.json'
    path.write_text(json.dumps(table))
    rc = check_data.main(['OxfordPets', '--data-root', str(root),
                          '--no-counts', '--descriptions', str(path)])
    out = capsys.readouterr().out
    assert rc == 1
    assert ("'american pit bull terrier' (the file has "
            "'american_pit_bull_terrier')") in out
    assert "class 'pug'" in out and '77 tokens' in out
    # 6 train images per class, default --num-shots 16
    assert '[WARN] num_shots=16 but 5 of 5 classes' in out


def test_check_data_malformed_descriptions_name_the_line(tmp_path, capsys):
    root = tmp_path / 'oxford_pets'
    make_pets(root, n_train=6, n_val=5, n_test=2)
    path = tmp_path / 'd.json'
    path.write_text('{\n "pug": ["a dog."],\n "bengal": ["a cat."]\n,}\n')
    rc = check_data.main(['OxfordPets', '--data-root', str(root),
                          '--no-counts', '--descriptions', str(path)])
    out = capsys.readouterr().out
    assert rc == 1 and f'[FAIL] {path} is not valid JSON' in out
    assert 'line 4' in out
