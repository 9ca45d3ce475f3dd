"""Linear-probe configs: CoOp's search of C, features with the test-time
transform, one per few-shot dataset and K (ImageNet has no val split)."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PROBE = sorted(glob.glob(osp.join(REPO, 'configs', 'linear_probe', '*', '*.py')))


def test_every_fewshot_config_with_a_val_split_has_a_probe():
    coop = {osp.basename(p) for p in glob.glob(osp.join(REPO, 'configs', 'coop', 'fewshot', '*.py'))
            if not osp.basename(p).startswith('imagenet')}
    assert coop == {osp.basename(p) for p in PROBE} and all('/fewshot/' in p for p in PROBE)


@pytest.mark.parametrize('path', PROBE, ids=lambda p: osp.relpath(p, REPO))
def test_linear_probe_config(path):
    cfg = Config.fromfile(path)
    model = cfg.model
    assert (model.type, model.normalize, model.C, model.search_steps, model.max_iter,
            model.solver_dtype) == ('LinearProbeClassifier', False, None, 8, 1000, 'float64')
    assert model.c_grid == [1e6, 1e4, 1e2, 1.0, 1e-2, 1e-4, 1e-6]
    assert cfg.train_cfg.type == 'FeatureFitLoop'
    assert cfg.train_dataloader.dataset.pipeline == cfg.test_dataloader.dataset.pipeline
    assert cfg.train_dataloader.sampler.shuffle is False
    coop = Config.fromfile(path.replace('/linear_probe/', '/coop/'))
    assert cfg.protocol == coop.protocol == 'fewshot'
    assert cfg.test_dataloader == coop.test_dataloader
    assert cfg.val_dataloader == coop.val_dataloader
    assert cfg.test_evaluator == coop.test_evaluator
    train, coop_train = dict(cfg.train_dataloader.dataset), dict(coop.train_dataloader.dataset)
    train.pop('pipeline'), coop_train.pop('pipeline')
    assert train == coop_train
