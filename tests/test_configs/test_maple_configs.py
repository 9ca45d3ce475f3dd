"""MaPLe configs: the authors' defaults, one per protocol and dataset, and the
same data/protocol as the HiCroPL config of that protocol and dataset."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from projects.hicropl.testing.config_expectations import scaled_depth

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MAPLE = sorted(glob.glob(osp.join(REPO, 'configs', 'maple', '*', '*.py')))


def test_every_hicropl_protocol_config_has_a_maple_one():
    hicropl = {osp.relpath(p, osp.join(REPO, 'configs', 'hicropl'))
               for p in glob.glob(osp.join(REPO, 'configs', 'hicropl', '*', '*.py'))
               if '/custom/' not in p and '/ablations/' not in p}
    assert hicropl == {osp.relpath(p, osp.join(REPO, 'configs', 'maple')) for p in MAPLE}


@pytest.mark.parametrize('path', MAPLE, ids=lambda p: osp.relpath(p, REPO))
def test_maple_config(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports.imports == ['projects.hicropl']
    cross = '/cross_dataset/' in path or '/domain_generalization/' in path
    learner = cfg.model.prompt_learner
    assert (learner.type, learner.n_ctx, learner.ctx_init, learner.depth,
            learner.identical_projection_init) == (
                'MaPLePromptLearner', 2, 'a photo of a', scaled_depth(cfg, 3 if cross else 9),
                True)
    assert cfg.model.head.type == 'CosineHead' and 'class_text' not in cfg.model
    assert [loss.type for loss in cfg.model.losses] == ['LogitsLoss']
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.momentum, opt.weight_decay) == (
        'SGD', 0.0026 if cross else 0.0035, 0.9, 5e-4)
    assert cfg.train_cfg.max_epochs == cfg.param_scheduler.T_max == (2 if cross else 5)
    assert cfg.auto_scale_lr.base_batch_size == 4
    # switching the method changes the model, the schedule and the batch, nothing else
    other = Config.fromfile(path.replace('/maple/', '/hicropl/'))
    assert cfg.protocol == other.protocol
    assert cfg.test_dataloader == other.test_dataloader
    assert cfg.test_evaluator == other.test_evaluator
    if '/domain_generalization/' in path:  # test-only targets
        assert cfg.get('train_dataloader') is None
        return
    if '/cross_dataset/' in path and not path.endswith('imagenet.py'):
        return  # test-only target
    assert cfg.train_dataloader.batch_size == 4
    assert cfg.train_dataloader.dataset == other.train_dataloader.dataset
