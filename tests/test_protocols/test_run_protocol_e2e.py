"""End to end: the base-to-novel protocol trained and tested through
tools/run_protocol.py (tools/train.py + tools/test.py), and cross-dataset
evaluation of a trained checkpoint with tools/test.py and another dataset's
config, on generated data with a tiny random CLIP."""
import os
import os.path as osp
import subprocess
import sys

import mmengine
import pytest
import torch
from protocol_helpers import (CONFIGS, REPO, demo_data, demo_descriptions,
                              load_tool, pets_data, read_json,
                              write_tiny_config)

from projects.hicropl.engine import safe_torch_load
from projects.hicropl.testing.coop_layouts import PETS

pytestmark = pytest.mark.e2e


def run_cli(tool, *args, cwd):
    env = dict(os.environ, OMP_NUM_THREADS='1')
    env.pop('PYTHONPATH', None)  # the tools find the repository themselves
    result = subprocess.run(
        [sys.executable, str(REPO / 'tools' / f'{tool}.py'), *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    return result.stdout + result.stderr


def test_base2novel_protocol_train_then_test(tmp_path):
    """Train on the base classes with per-epoch validation, test the best
    checkpoint once on all classes; tools/test.py on that checkpoint gives
    the recorded numbers; --test-only --last tests the last epoch."""
    config = write_tiny_config(
        tmp_path / 'b2n.py', CONFIGS / 'base2novel' / 'oxford_pets.py',
        demo_data(tmp_path / 'demo'), demo_descriptions(tmp_path / 'demo'),
        max_epochs=2)
    work_dir = tmp_path / 'work'
    run_cli('run_protocol', config, '--work-dir', str(work_dir), '--seed',
            '2', cwd=str(tmp_path))

    record = read_json(work_dir / 'results.json')
    assert (record['protocol'], record['dataset'], record['seed'],
            record['num_shots'], record['setting']) == (
                'base2novel', 'Demo', 2, 16, 'HiCroPL')
    assert record['selection'] == 'best'
    # what produced the numbers: backbone, weights, real shots, version
    from projects.hicropl.version import __version__
    assert record['plugin_version'] == __version__
    assert record['backbone'] is not None and 'pretrained' in record
    assert record['shots_per_class'] and all(
        0 < n <= 16 for n in record['shots_per_class'])
    assert record['paper_data'] is False  # generated data, not the paper's
    assert record['checkpoint'].startswith('best_accuracy_top1_epoch_')
    assert record['checkpoint'] == osp.basename(
        open(work_dir / 'best_checkpoint').read())
    (evaluation, ) = record['evaluations']
    assert evaluation['role'] == 'test'
    metrics = evaluation['metrics']
    assert set(metrics) == {'b2n/base', 'b2n/novel', 'b2n/hm', 'b2n/all'}

    # The same checkpoint through tools/test.py: the recorded numbers.
    out = tmp_path / 'metrics.json'
    load_tool('test').main([
        config, str(work_dir / record['checkpoint']), '--work-dir',
        str(tmp_path / 'check'), '--seed', '2', '--out', str(out),
        '--out-item', 'metrics'])
    assert read_json(out) == metrics

    # The last epoch on request, without training again.
    last = load_tool('run_protocol').main(
        [config, '--work-dir', str(work_dir), '--seed', '2', '--test-only',
         '--last'])
    assert (last['selection'], last['checkpoint'], last['epoch']) == (
        'last', 'epoch_2.pth', 2)
    assert set(last['evaluations'][0]['metrics']) == set(metrics)


def test_cross_dataset_without_retraining(tmp_path):
    """A model trained on one dataset (6 demo classes) is tested with the
    cross-dataset config of another (5 Oxford Pets breeds, real Pets loader):
    the classifier is rebuilt for the target's class names, the prompts come
    from the checkpoint."""
    target = write_tiny_config(
        tmp_path / 'target_pets.py', CONFIGS / 'cross_dataset' /
        'oxford_pets.py', pets_data(tmp_path / 'oxford_pets'),
        str(tmp_path / 'oxford_pets' / 'descriptions.json'))
    source = write_tiny_config(
        tmp_path / 'source.py', CONFIGS / 'cross_dataset' / 'imagenet.py',
        demo_data(tmp_path / 'demo'), demo_descriptions(tmp_path / 'demo'),
        max_epochs=1, with_val=False, extra=f'eval_targets = [{target!r}]')
    work_dir = tmp_path / 'work'
    record = load_tool('run_protocol').main(
        [source, '--work-dir', str(work_dir), '--seed', '1'])
    assert (record['protocol'], record['selection'],
            record['checkpoint']) == ('cross_dataset', 'last', 'epoch_1.pth')
    source_eval, target_eval = record['evaluations']
    assert (source_eval['role'], source_eval['dataset']) == ('source', 'Demo')
    assert (target_eval['role'], target_eval['dataset'],
            target_eval['protocol']) == ('target', 'OxfordPets',
                                         'cross_dataset')

    checkpoint = work_dir / 'epoch_1.pth'
    trained = safe_torch_load(str(checkpoint))
    assert len(trained['meta']['classnames']) == 6  # demo classes only
    preds = tmp_path / 'preds.pkl'
    run_cli('test', target, str(checkpoint), '--work-dir',
            str(tmp_path / 'target_test'), '--out', str(preds),
            cwd=str(tmp_path))
    samples = mmengine.load(str(preds))
    assert len(samples) == 3 * len(PETS)  # 3 test images per breed
    scores = torch.stack([s['pred_score'] for s in samples])
    labels = torch.cat([s['gt_label'] for s in samples])
    assert scores.shape[1] == len(PETS)  # the target's classes
    accuracy = (scores.argmax(1) == labels).float().mean().item() * 100
    assert accuracy == pytest.approx(target_eval['metrics']['accuracy/top1'])
