"""PromptSRC configs: the authors' defaults, one per protocol and dataset, GPA
in every training config, and the same data/protocol as the HiCroPL config of
that protocol and dataset."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from projects.hicropl.testing.config_expectations import scaled_depth

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PROMPTSRC = sorted(glob.glob(osp.join(REPO, 'configs', 'promptsrc', '*', '*.py')))


def test_every_hicropl_protocol_config_has_a_promptsrc_one():
    hicropl = {osp.relpath(p, osp.join(REPO, 'configs', 'hicropl'))
               for p in glob.glob(osp.join(REPO, 'configs', 'hicropl', '*', '*.py'))
               if '/custom/' not in p and '/ablations/' not in p}
    assert hicropl == {osp.relpath(p, osp.join(REPO, 'configs', 'promptsrc')) for p in PROMPTSRC}


@pytest.mark.parametrize('path', PROMPTSRC, ids=lambda p: osp.relpath(p, REPO))
def test_promptsrc_config(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports.imports == ['projects.hicropl']
    learner = cfg.model.prompt_learner
    cross = '/cross_dataset/' in path or '/domain_generalization/' in path
    depth = scaled_depth(cfg, 3 if cross else 9)
    assert (learner.type, learner.n_ctx_text, learner.n_ctx_vision, learner.text_depth,
            learner.vision_depth, learner.ctx_init) == (
                'PromptSRCPromptLearner', 4, 4, depth, depth, 'a photo of a')
    assert cfg.model.head.type == 'CosineHead'
    assert (cfg.model.class_text.type, len(cfg.model.class_text.templates),
            cfg.model.class_text.average) == ('TemplateTextEmbeddings', 60, 'raw')
    losses = [(loss.type, loss.get('target'), loss.get('loss_weight')) for loss in cfg.model.losses]
    assert losses == [('LogitsLoss', None, None), ('FrozenFeatureL1Loss', 'text', 25.0),
                      ('FrozenFeatureL1Loss', 'image', 10.0), ('ZeroShotKLLoss', None, 1.0)]
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.momentum, opt.weight_decay) == ('SGD', 0.0025, 0.9, 5e-4)
    epochs = 5 if cross else 50 if '/fewshot/' in path else 20
    assert cfg.train_cfg.max_epochs == cfg.param_scheduler.T_max == epochs
    other = Config.fromfile(path.replace('/promptsrc/', '/hicropl/'))
    assert cfg.protocol == other.protocol
    assert cfg.test_dataloader == other.test_dataloader
    assert cfg.test_evaluator == other.test_evaluator
    if cfg.get('train_dataloader') is None or '/cross_dataset/' in path and 'imagenet' not in path:
        return  # test-only targets
    assert cfg.train_dataloader.batch_size == 4
    assert cfg.test_checkpoint == 'last'  # the GPA aggregate of the last epoch
    gpa = [h for h in cfg.custom_hooks if h.type == 'EpochAveragingHook']
    assert len(gpa) == 1 and gpa[0].ema_type == 'GaussianEpochAverage'
    assert (gpa[0].mean, gpa[0].std) == {20: (15, 1), 50: (30, 30), 5: (6, 10)}[epochs]
    assert [h.type for h in cfg.custom_hooks[:-1]] == [h.type for h in other.custom_hooks]
    other.train_dataloader.batch_size = 4
    assert cfg.train_dataloader.dataset == other.train_dataloader.dataset
