"""Everything is checked before training starts (issue 11, point 2): the
train, val and test datasets and the class texts are built by
``projects.hicropl.engine.preflight`` from the merged config; a bad input is
one UserError naming the split and the fix, and tools/train.py stops before
the runner exists (no work directory)."""
import json
import logging
import os.path as osp
import sys

import pytest
from mmengine.logging import MMLogger

from projects.hicropl.datasets import DatasetNotFoundError
from projects.hicropl.engine.preflight import preflight
from projects.hicropl.errors import ConfigError, DataError, UserError

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(__file__)),
                            'test_robustness'))
from robustness_helpers import (WarningCapture, demo_root,  # noqa: E402
                                load_tiny_config, load_tool,
                                write_tiny_config)


@pytest.fixture(scope='module')
def root(tmp_path_factory):
    return demo_root(tmp_path_factory.mktemp('preflight'))


@pytest.fixture
def cfg(root, tmp_path):
    return load_tiny_config(tmp_path, root)


def split_file(root):
    return osp.join(root, 'split_zhou_HiCroPLDemo.json')


def class_name(root, label):
    """The demo's name of a label (names are the generator's business)."""
    split = json.load(open(split_file(root)))
    return next(c for _, lab, c in split['train'] if lab == label)


def write_copy(root, tmp_path, edit, name='split_edited.json'):
    """A copy of the demo split, edited, beside the original."""
    split = json.load(open(split_file(root)))
    edit(split)
    path = osp.join(root, name)
    with open(path, 'w') as f:
        json.dump(split, f)
    return name


def test_good_config_passes_and_records_shots(cfg):
    meta = preflight(cfg)
    assert set(meta) == {'train', 'val', 'test'}
    # 4 shots of each of the 5 base classes
    assert meta['train']['shots_per_class'] == (4, ) * 5


def test_bad_test_split_is_named_before_training(root, tmp_path):
    """Today: training runs all epochs, then the test split fails."""
    config = write_tiny_config(
        tmp_path, root, epochs=1,
        extra="test_dataloader['dataset']['split_file'] = 'nope.json'\n")
    work = tmp_path / 'work'
    train = load_tool('train')
    with pytest.raises(DatasetNotFoundError) as err:
        train.main([config, '--work-dir', str(work)])
    msg = str(err.value)
    assert msg.startswith('The test split (test_dataloader.dataset)')
    assert "split file 'nope.json'" in msg and 'not found' in msg
    assert not work.exists()  # the runner was never built


def test_label_gap_is_refused_by_loader_and_preflight(root, tmp_path, cfg):
    def gap(split):  # labels 0..9 -> 0..10 without 3
        for items in split.values():
            for item in items:
                item[1] += item[1] >= 3
    name = write_copy(root, tmp_path, gap, 'split_gap.json')
    for s in ('train', 'val', 'test'):
        cfg[f'{s}_dataloader'].dataset.update(
            split_file=name, subsample_classes='all')
    with pytest.raises(DataError, match='0..n-1 without gaps') as err:
        preflight(cfg)
    assert str(err.value).startswith('The train split')
    assert 'missing: [3]' in str(err.value)


def test_names_that_become_one_prompt_are_refused(root, tmp_path, cfg):
    second = class_name(root, 1)
    assert ' ' in second
    clash_name = second.replace(' ', '_')  # e.g. 'green_square'

    def clash(split):  # label 0 is renamed like label 1, with '_'
        for items in split.values():
            for item in items:
                if item[1] == 0:
                    item[2] = clash_name
    name = write_copy(root, tmp_path, clash, 'split_clash.json')
    for s in ('train', 'val', 'test'):
        cfg[f'{s}_dataloader'].dataset.split_file = name
    with pytest.raises(DataError) as err:
        preflight(cfg)
    msg = str(err.value)
    assert msg.startswith('The train split')
    assert f'{clash_name!r} and {second!r}' in msg
    assert 'same prompt' in msg and 'Rename' in msg


def test_batch_larger_than_training_set_with_drop_last(root, tmp_path):
    """Today: zero iterations per epoch, a checkpoint, exit status 0."""
    config = write_tiny_config(
        tmp_path, root, epochs=1,
        extra="train_dataloader.update(batch_size=64, drop_last=True)\n")
    work = tmp_path / 'work'
    with pytest.raises(ConfigError) as err:
        load_tool('train').main([config, '--work-dir', str(work)])
    msg = str(err.value)
    assert 'train_dataloader.batch_size=64' in msg and '20 training' in msg
    assert 'drop_last=False' in msg and 'at most 20' in msg
    assert not work.exists()


def test_batch_larger_without_drop_last_is_fine(cfg):
    cfg.train_dataloader.batch_size = 64
    preflight(cfg)


def test_more_shots_than_a_class_warns_once_with_real_counts(root, cfg):
    for s in ('train', 'val', 'test'):
        cfg[f'{s}_dataloader'].dataset.num_shots = 6  # 8 train images each
    cfg.train_dataloader.dataset.num_shots = 12
    capture = WarningCapture()
    logger = MMLogger.get_current_instance()
    logger.addHandler(capture)
    try:
        meta = preflight(cfg)
    finally:
        logger.removeHandler(capture)
    shots = [m for m in capture.messages if 'num_shots=12' in m]
    assert len(shots) == 1, capture.messages
    assert f'{class_name(root, 0)!r} gets 8' in shots[0]
    assert '5 of 5 classes' in shots[0]
    assert 'num_shots=8' in shots[0]
    assert meta['train']['shots_per_class'] == (8, ) * 5


def descriptions(cfg):
    return cfg.model.class_text.descriptions


def test_malformed_description_json_names_file_and_line(cfg, tmp_path):
    path = tmp_path / 'broken.json'
    path.write_text('{\n  "red circle": ["a red disc."],\n  "x": [oops]\n}\n')
    cfg.model.class_text.descriptions = str(path)
    with pytest.raises(DataError) as err:
        preflight(cfg)
    msg = str(err.value)
    assert str(path) in msg and 'line 3' in msg
    assert msg.count(str(path)) == 1


def test_description_key_near_miss_is_pointed_at(root, cfg, tmp_path):
    second = class_name(root, 1)
    near = second.replace(' ', '_')
    table = json.load(open(descriptions(cfg)))
    table[near] = table.pop(second)
    path = tmp_path / 'near.json'
    path.write_text(json.dumps(table))
    cfg.model.class_text.update(descriptions=str(path),
                                on_missing='template')
    with pytest.raises(DataError) as err:
        preflight(cfg)
    msg = str(err.value)
    assert f'{second!r} (the file has {near!r})' in msg
    assert 'rename these keys' in msg
    assert msg.startswith('The classes of the train split')


def test_description_longer_than_context_is_refused(root, cfg, tmp_path):
    third = class_name(root, 2)
    table = json.load(open(descriptions(cfg)))
    long = ' '.join(['very'] * 80) + f' {third}.'
    table[third] = table[third] + [long]
    path = tmp_path / 'long.json'
    path.write_text(json.dumps(table))
    cfg.model.class_text.descriptions = str(path)
    with pytest.raises(DataError) as err:
        preflight(cfg)
    msg = str(err.value)
    assert f'class {third!r}' in msg and long in msg
    assert '77 tokens' in msg and 'Shorten' in msg


def test_long_description_is_refused_at_encoding_too(cfg, tmp_path):
    """The same rule where the embeddings are computed (a model used
    without the tools): no silent truncation."""
    from mmpretrain.registry import MODELS
    table = {'a': ['word ' * 100]}
    path = tmp_path / 'long.json'
    path.write_text(json.dumps(table))
    model_cfg = cfg.model.copy()
    model_cfg.class_text.descriptions = str(path)
    model = MODELS.build(model_cfg)
    with pytest.raises(DataError, match="class 'a'"):
        model.set_classnames(['a'])


def test_errors_are_user_errors_of_their_builtin_kind():
    assert issubclass(DatasetNotFoundError, UserError)
    assert issubclass(DatasetNotFoundError, FileNotFoundError)
    err = DatasetNotFoundError('one message')  # registry re-raise form
    assert str(err) == 'one message'
    assert logging  # noqa: used by WarningCapture's level
