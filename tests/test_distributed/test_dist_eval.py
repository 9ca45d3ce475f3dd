"""Evaluation on 2 CPU processes (gloo) gives the single-process metrics.

7 images (not divisible by 2 ranks: MMEngine's ``DefaultSampler`` pads
rank 1 with a repeated image and the evaluator's ``collect_results`` drops
it), evaluated as MMEngine's ``ValLoop`` does (``val_step`` per batch,
``Evaluator.process``, ``Evaluator.evaluate(len(dataset))``), with and
without class-sharded text encoding (HiCroPLPromptLearner: the class text
features are encoded once per evaluation, sharded or not).
"""
import math

import pytest
import torch
from mmengine.dataset import DefaultSampler, pseudo_collate
from mmengine.evaluator import BaseMetric, Evaluator
from torch.utils.data import DataLoader

from dist_models import CLASSNAMES, build_classifier, count_text_rows, global_batch
from dist_launch import WORLD_SIZE, run_distributed
from projects.hicropl.testing import score_tolerance
from mmpretrain.evaluation import Accuracy, SingleLabelMetric

pytestmark = pytest.mark.distributed

NUM_IMAGES = 7
BATCH_SIZE = 2


class Predictions(BaseMetric):
    """Every sample's label, prediction and scores, in dataset order."""

    default_prefix = 'samples'

    def process(self, data_batch, data_samples) -> None:
        for sample in data_samples:
            self.results.append((int(sample['gt_label']),
                                 int(sample['pred_label']),
                                 sample['pred_score'].tolist()))

    def compute_metrics(self, results) -> dict:
        labels, preds, scores = zip(*results)
        return dict(labels=list(labels), preds=list(preds),
                    scores=list(scores))


def dataset():
    images, samples = global_batch(0, NUM_IMAGES)
    return [dict(inputs=x.to(torch.uint8), data_samples=s)
            for x, s in zip(images, samples)]


def evaluate(model) -> dict:
    """What MMEngine's ValLoop does, on this process's share of the data."""
    data = dataset()
    loader = DataLoader(
        data,
        batch_size=BATCH_SIZE,
        sampler=DefaultSampler(data, shuffle=False),
        collate_fn=pseudo_collate)
    evaluator = Evaluator([
        Accuracy(topk=(1, 2)),
        SingleLabelMetric(average=None, num_classes=len(CLASSNAMES)),
        Predictions()
    ])
    model.eval()
    for batch in loader:
        with torch.no_grad():
            outputs = model.val_step(batch)
        evaluator.process(outputs, batch)
    return evaluator.evaluate(len(data))


def eval_worker(rank, world_size, folder):
    init = torch.load(folder / 'init.pt', weights_only=True)
    results = {}
    for shard in (True, False):
        model = build_classifier(shard=shard)
        model.load_state_dict(init)
        calls = count_text_rows(model)
        results[shard] = dict(metrics=evaluate(model), text_calls=calls)
    torch.save(results, folder / f'rank{rank}.pt')


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp('dist_eval')
    model = build_classifier(shard=False)
    torch.save(model.state_dict(), folder / 'init.pt')
    single = evaluate(model)
    run_distributed(eval_worker, folder)
    ranks = [torch.load(folder / f'rank{r}.pt', weights_only=False)
             for r in range(WORLD_SIZE)]
    return single, ranks


def test_single_process_reference_is_informative(runs):
    """Each image is identified by its scores (a random CLIP predicts the
    same class for all of them), so a dropped, duplicated or reordered
    prediction shows."""
    single, _ = runs
    assert len(single['samples/preds']) == NUM_IMAGES
    assert single['samples/labels'] == [
        int(s.gt_label) for s in global_batch(0, NUM_IMAGES)[1]]
    top = sorted(max(scores) for scores in single['samples/scores'])
    assert min(b - a for a, b in zip(top, top[1:])) > 1e-4


@pytest.mark.parametrize('shard', [True, False])
def test_distributed_metrics_equal_single_process(runs, shard):
    single, ranks = runs
    for rank in ranks:  # every rank gets the metrics
        metrics = rank[shard]['metrics']
        assert metrics.keys() == single.keys()
        assert metrics['samples/labels'] == single['samples/labels']
        assert metrics['samples/preds'] == single['samples/preds']
        torch.testing.assert_close(metrics['samples/scores'],
                                   single['samples/scores'],
                                   rtol=0, atol=score_tolerance(build_classifier().backbone))
        for key in single:
            if not key.startswith('samples/'):
                torch.testing.assert_close(
                    torch.as_tensor(metrics[key]),
                    torch.as_tensor(single[key]))


@pytest.mark.parametrize('shard', [True, False])
def test_class_text_encoded_once_per_evaluation(runs, shard):
    _, ranks = runs
    rows = math.ceil(len(CLASSNAMES) / WORLD_SIZE) if shard else len(
        CLASSNAMES)
    for rank in ranks:
        assert [n for n, _ in rank[shard]['text_calls']] == [rows]
