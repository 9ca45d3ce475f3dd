"""BaseNovelAccuracy: restricted top-1 per group, HM, joint accuracy, the
base/novel split from the dataset metainfo."""
import math

import pytest
import torch
from mmengine.evaluator import Evaluator

import projects.hicropl  # noqa: F401
from mmpretrain.registry import DATASETS, METRICS
from mmpretrain.structures import DataSample
from projects.hicropl.evaluation import BaseNovelAccuracy, harmonic_mean
from projects.hicropl.testing.coop_layouts import make_pets

DEFAULT_ARGS = dict(type='BaseNovelAccuracy')

# 3 base classes (0-2), 2 novel (3, 4). Row i is image i.
SCORES = torch.tensor([
    [.50, .10, .05, .30, .05],  # label 0: base top-1 0 (ok), joint 0 (ok)
    [.10, .20, .05, .60, .05],  # label 1: base top-1 1 (ok), joint 3 (wrong)
    [.40, .05, .30, .20, .05],  # label 2: base top-1 0 (wrong)
    [.30, .05, .05, .20, .40],  # label 3: novel top-1 4 (wrong)
    [.40, .05, .05, .20, .30],  # label 4: novel top-1 4 (ok), joint 0 (wrong)
])
LABELS = torch.tensor([0, 1, 2, 3, 4])


def test_calculate_restricts_each_group_to_its_classes():
    m = BaseNovelAccuracy.calculate(SCORES, LABELS, num_base_classes=3)
    assert m['base'] == pytest.approx(200 / 3)
    assert m['novel'] == pytest.approx(50.0)
    assert m['hm'] == pytest.approx(2 * (200 / 3) * 50 / (200 / 3 + 50))
    assert m['all'] == pytest.approx(20.0)  # only image 0 right jointly


def test_harmonic_mean():
    assert harmonic_mean(80.0, 60.0) == pytest.approx(2 * 80 * 60 / 140)
    assert harmonic_mean(0.0, 0.0) == 0.0


def test_evaluator_reads_the_split_from_dataset_meta():
    metric = METRICS.build(DEFAULT_ARGS)
    evaluator = Evaluator(metric)
    evaluator.dataset_meta = dict(classes=list('abcde'), num_base_classes=3)
    evaluator.process([
        DataSample().set_gt_label(int(label)).set_pred_score(score)
        for score, label in zip(SCORES, LABELS)
    ])
    metrics = evaluator.evaluate(len(LABELS))
    assert set(metrics) == {'b2n/base', 'b2n/novel', 'b2n/hm', 'b2n/all'}
    assert metrics['b2n/novel'] == pytest.approx(50.0)
    # An explicit argument wins over the metainfo.
    metric = METRICS.build(dict(DEFAULT_ARGS, num_base_classes=2,
                                prefix='x'))
    evaluator = Evaluator(metric)
    evaluator.dataset_meta = dict(num_base_classes=3)
    evaluator.process([
        DataSample().set_gt_label(int(label)).set_pred_score(score)
        for score, label in zip(SCORES, LABELS)
    ])
    metrics = evaluator.evaluate(len(LABELS))
    assert metrics['x/base'] == pytest.approx(100.0)  # labels 0, 1 only


def test_errors_name_the_fix():
    metric = METRICS.build(DEFAULT_ARGS)
    metric.dataset_meta = dict(classes=list('abcde'))  # e.g. subsample 'base'
    metric.process(None, [
        DataSample().set_gt_label(0).set_pred_score(SCORES[0]).to_dict()
    ])
    with pytest.raises(ValueError, match="subsample_classes='all'"):
        metric.evaluate(1)
    with pytest.raises(ValueError, match='no novel-class images'):
        BaseNovelAccuracy.calculate(SCORES[:3], LABELS[:3], 3)
    with pytest.raises(ValueError, match='must be in 1..4'):
        BaseNovelAccuracy.calculate(SCORES, LABELS, 5)
    with pytest.raises(ValueError, match='pred_score'):
        metric.process(None, [DataSample().set_gt_label(0).set_pred_label(
            0).to_dict()])


@pytest.mark.parametrize('subsample, expected', [('all', 3), ('base', None),
                                                 ('new', None)])
def test_coop_metainfo_has_the_base_novel_cut(tmp_path, subsample, expected):
    """5 Pets classes: ceil(5 / 2) = 3 base classes, the cut of
    subsample_classes; only a test set with all classes carries it."""
    make_pets(tmp_path / 'oxford_pets')
    dataset = DATASETS.build(dict(
        type='CoOpOxfordPets', data_root=str(tmp_path / 'oxford_pets'),
        split='test', num_shots=4, subsample_classes=subsample))
    assert dataset.metainfo.get('num_base_classes') == expected
    assert dataset.metainfo['dataset_name'] == 'OxfordPets'
    if expected:
        base = DATASETS.build(dict(
            type='CoOpOxfordPets', data_root=str(tmp_path / 'oxford_pets'),
            split='test', num_shots=4, subsample_classes='base'))
        assert list(dataset.metainfo['classes'][:expected]) == list(
            base.metainfo['classes'])
        assert expected == math.ceil(len(dataset.metainfo['classes']) / 2)
