"""Few-shot sampling and base/new split: parity with the authors' pipeline.

Parity cases are read from ``../shared/reference/fewshot/`` (relative to the
repository root) and from ``$HICROPL_REFERENCE_DIR/fewshot/`` when set. Every
``*.json`` there except ``split_*.json`` is a case; a case that cannot be read
fails its test.
"""
import json
import os
import os.path as osp
import random
from pathlib import Path
from typing import List

import pytest

from mmpretrain.registry import DATASETS
from projects.hicropl.datasets import (Datum, generate_fewshot,
                                       get_classnames, get_num_classes,
                                       sample_fewshot_splits,
                                       subsample_classes)
from projects.hicropl.datasets.fewshot import to_datums

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_REFERENCE = REPO_ROOT.parent / 'shared' / 'reference'
ENV_VAR = 'HICROPL_REFERENCE_DIR'


def reference_dirs() -> List[Path]:
    """Existing reference folders: the shared one and $HICROPL_REFERENCE_DIR
    (returned even when missing, so that a wrong setting fails)."""
    dirs = [SHARED_REFERENCE] if SHARED_REFERENCE.is_dir() else []
    if os.environ.get(ENV_VAR):
        dirs.append(Path(os.environ[ENV_VAR]))
    return dirs


def fewshot_cases() -> List[Path]:
    cases = []
    for ref in reference_dirs():
        folder = ref / 'fewshot'
        if folder.is_dir():
            cases += sorted(p for p in folder.glob('*.json')
                            if not p.name.startswith('split_'))
    return cases


def as_lists(items) -> list:
    return [list(item) for item in items]


CASES = fewshot_cases()


def test_reference_dir_setting():
    """A set $HICROPL_REFERENCE_DIR must exist (a typo must not pass as
    'no cases')."""
    if os.environ.get(ENV_VAR):
        assert Path(os.environ[ENV_VAR]).is_dir(), \
            f'{ENV_VAR}={os.environ[ENV_VAR]} is not a folder'
    if not reference_dirs():
        pytest.skip('no reference folder (../shared/reference) here')
    assert CASES, 'reference folders hold no fewshot/ cases'


@pytest.mark.parity
@pytest.mark.parametrize('case_path', CASES, ids=lambda p: str(p))
def test_fewshot_parity(case_path: Path):
    case = json.loads(case_path.read_text())
    split = json.loads((case_path.parent / case['split_file']).read_text())
    train, val, test = (to_datums(split[k]) for k in ('train', 'val', 'test'))
    num_shots, seed = case['num_shots'], case['seed']
    assert case['val_num_shots'] == min(num_shots, 4)

    fs_train, fs_val = sample_fewshot_splits(train, val, num_shots, seed)
    expected = case['fewshot']
    assert as_lists(fs_train) == expected['train']
    assert as_lists(fs_val) == expected['val']
    assert get_classnames(fs_train) == expected['classnames']
    assert get_num_classes(fs_train) == expected['num_classes']

    for mode in ('base', 'new'):
        expected = case[mode]
        sub_train, sub_val, sub_test = subsample_classes(
            fs_train, fs_val, test, subsample=mode)
        assert as_lists(sub_train) == expected['train'], mode
        assert as_lists(sub_val) == expected['val'], mode
        assert as_lists(sub_test) == expected['test'], mode
        assert get_classnames(sub_train) == expected['classnames'], mode
        assert get_num_classes(sub_train) == expected['num_classes'], mode


@pytest.mark.parity
@pytest.mark.parametrize('case_path', CASES, ids=lambda p: str(p))
def test_fewshot_parity_through_dataset(case_path: Path):
    """The registered loader picks the same items (read-only on the
    reference folder: no images needed with ``check_images=False``)."""
    case = json.loads(case_path.read_text())
    for mode, block in [('all', case['fewshot']), ('base', case['base']),
                        ('new', case['new'])]:
        for split in ('train', 'val', 'test'):
            if split not in block:
                continue
            ds = DATASETS.build(
                dict(
                    type='CoOpDataset',
                    data_root=str(case_path.parent),
                    split=split,
                    split_file=case['split_file'],
                    image_dir='images',
                    num_shots=case['num_shots'],
                    seed=case['seed'],
                    subsample_classes=mode,
                    check_images=False,
                    serialize_data=False))  # skips a slow gc.collect()
            image_root = osp.join(str(case_path.parent), 'images')
            got = [[
                osp.relpath(ds.get_data_info(i)['img_path'],
                            image_root).replace(os.sep, '/'),
                ds.get_data_info(i)['gt_label']
            ] for i in range(len(ds))]
            assert got == [item[:2] for item in block[split]], (mode, split)
            assert list(ds.metainfo['classes']) == block['classnames']


def _items(counts, interleave=True) -> List[Datum]:
    """Items of classes with the given sizes, interleaved."""
    items = [Datum(f'c{c}/{i}.jpg', c, f'class_{c}')
             for c, n in enumerate(counts) for i in range(n)]
    return random.Random(0).sample(items, len(items)) if interleave \
        else items


def test_generate_fewshot_groups_and_short_classes():
    items = _items([5, 2, 8])
    rng = random.Random(3)
    out = generate_fewshot(items, 4, rng)
    labels = [item.label for item in out]
    # groups in order of first appearance in the list
    first_seen = list(dict.fromkeys(item.label for item in items))
    assert list(dict.fromkeys(labels)) == first_seen
    # short class: all its items in list order
    assert [it for it in out if it.label == 1] == \
        [it for it in items if it.label == 1]
    assert labels.count(0) == 4 and labels.count(2) == 4


def test_short_class_draws_no_random_number():
    items = _items([2, 2], interleave=False)
    rng = random.Random(7)
    state = rng.getstate()
    assert generate_fewshot(items, 4, rng) == items
    assert rng.getstate() == state


def test_sampling_leaves_global_random_state_alone():
    state = random.getstate()
    sample_fewshot_splits(_items([20, 20]), _items([5, 5]), 16, 1)
    assert random.getstate() == state


def test_val_is_drawn_after_train():
    train, val = _items([20, 20, 20]), _items([6, 6, 6])
    _, fs_val = sample_fewshot_splits(train, val, 16, 5)
    rng = random.Random(5)
    generate_fewshot(train, 16, rng)
    assert fs_val == generate_fewshot(val, 4, rng)
    # drawing val on its own would differ
    assert fs_val != generate_fewshot(val, 4, random.Random(5))
    _, fs_val_1shot = sample_fewshot_splits(train, val, 1, 5)
    assert len(fs_val_1shot) == 3  # min(K, 4) = 1 per class


@pytest.mark.parametrize('num_shots', [0, -1])
def test_all_shots_keeps_everything(num_shots):
    train, val = _items([3, 4]), _items([2, 2])
    assert sample_fewshot_splits(train, val, num_shots, 1) == (train, val)
    assert sample_fewshot_splits(train, None, num_shots, 1) == (train, None)


def test_subsample_classes_uses_train_labels_and_relabels():
    train = _items([2, 2, 2, 2, 2], interleave=False)
    train = [it for it in train if it.label != 2]  # labels 0, 1, 3, 4
    test = _items([1, 1, 1, 1, 1], interleave=False)
    base_train, base_test = subsample_classes(train, test, subsample='base')
    assert {it.label for it in base_train} == {0, 1}
    assert [it.classname for it in base_test] == ['class_0', 'class_1']
    new_train, new_test = subsample_classes(train, test, subsample='new')
    assert [it.classname for it in new_test] == ['class_3', 'class_4']
    assert [it.label for it in new_test] == [0, 1]
    # odd class count: ceil(n / 2) base classes
    odd = _items([1, 1, 1], interleave=False)
    assert len(subsample_classes(odd, subsample='base')[0]) == 2
    assert len(subsample_classes(odd, subsample='new')[0]) == 1
    assert subsample_classes(odd, subsample='all')[0] == odd
    with pytest.raises(ValueError, match='subsample'):
        subsample_classes(odd, subsample='novel')


def test_to_datums_rejects_bad_items():
    assert to_datums([['a.jpg', 1, 'x']]) == [Datum('a.jpg', 1, 'x')]
    with pytest.raises(ValueError):
        to_datums([['a.jpg', 1]])
    with pytest.raises(ValueError):
        to_datums([['a.jpg', 1.5, 'x']])
