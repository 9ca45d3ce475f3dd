"""Acceptance: train the demo, save, reload through tools/test.py and
through the inferencers: identical predictions from a lean checkpoint."""
import subprocess
import sys

import mmengine
import numpy as np
import pytest
from mmengine.config import Config

from mmpretrain import ImageClassificationInferencer
from model_zoo_helpers import REPO_ROOT
from projects.hicropl.apis import OpenVocabularyInferencer
from projects.hicropl.engine import safe_torch_load
from projects.hicropl.testing import score_tolerance

CONFIG = str(REPO_ROOT / 'configs' / 'hicropl' / 'hicropl_demo.py')
pytestmark = pytest.mark.e2e


def options(data_root):
    return {
        'train_dataloader.dataset.data_root': data_root,
        'val_dataloader.dataset.data_root': data_root,
        'test_dataloader.dataset.data_root': data_root,
        # a new folder: generate the demo data there
        'train_dataloader.dataset.generate': True,
        'val_dataloader.dataset.generate': True,
        'test_dataloader.dataset.generate': True,
        'model.class_text.descriptions': f'{data_root}/descriptions.json',
        'train_cfg.max_epochs': 1,
    }


def run_tool(tool, *args, cwd):
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / 'tools' / tool), *args],
        cwd=cwd, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, \
        result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def test_train_save_test_and_infer_give_identical_predictions(tmp_path):
    data_root = str(tmp_path / 'data')
    work_dir = str(tmp_path / 'work')
    opts = ['--cfg-options'] + [
        f'{k}={v}' for k, v in options(data_root).items()]
    run_tool('train.py', CONFIG, '--work-dir', work_dir, *opts, cwd=tmp_path)
    checkpoint = (tmp_path / 'work' / 'last_checkpoint').read_text().strip()

    saved = safe_torch_load(checkpoint)  # weights_only=True
    trainable = [k for k in saved['state_dict']]
    assert trainable
    assert all(k.startswith('prompt_learner.') for k in trainable)
    meta = saved['meta']
    assert meta['backbone']['pretrained'] is None  # demo: random CLIP
    assert meta['hicropl_version'] and meta['prompt_learner'] == 'HiCroPLPromptLearner'
    classes = meta['classnames']
    assert len(classes) == 5  # the base classes
    assert list(meta['dataset_meta']['classes']) == classes

    out = str(tmp_path / 'predictions.pkl')
    run_tool('test.py', CONFIG, checkpoint, '--work-dir', work_dir, '--out',
             out, *opts, cwd=tmp_path)
    predictions = mmengine.load(out)
    paths = [p['img_path'] for p in predictions]
    expected = np.stack([p['pred_score'].numpy() for p in predictions])

    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(options(data_root))
    batch_size = cfg.test_dataloader.batch_size
    for inferencer in (ImageClassificationInferencer(cfg, checkpoint),
                       OpenVocabularyInferencer(cfg, checkpoint)):
        assert list(inferencer.classes) == classes
        results = inferencer(paths, batch_size=batch_size)
        got = np.stack([r['pred_scores'] for r in results])
        # the same math in other batches: fp32 rounding only
        tol = score_tolerance(inferencer.model.backbone)
        np.testing.assert_allclose(got, expected, rtol=0, atol=tol)
        top2 = np.sort(expected, axis=1)[:, -2:]
        clear = top2[:, 1] - top2[:, 0] > 2 * tol  # no tie rounding may flip
        np.testing.assert_array_equal(got.argmax(1)[clear], expected.argmax(1)[clear])
