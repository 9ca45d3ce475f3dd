"""HISF and ISP configs: their defaults, one per protocol and dataset, and the
same data/protocol as the HiCroPL config of that protocol and dataset."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from projects.hicropl.testing.config_expectations import scaled_depth

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
METHODS = ('hisf', 'isp')
CONFIGS = sorted(p for m in METHODS for p in glob.glob(osp.join(REPO, 'configs', m, '*', '*.py')))


@pytest.mark.parametrize('method', METHODS)
def test_every_hicropl_protocol_config_has_one(method):
    hicropl = {osp.relpath(p, osp.join(REPO, 'configs', 'hicropl'))
               for p in glob.glob(osp.join(REPO, 'configs', 'hicropl', '*', '*.py'))
               if '/custom/' not in p and '/ablations/' not in p}
    ours = {osp.relpath(p, osp.join(REPO, 'configs', method))
            for p in glob.glob(osp.join(REPO, 'configs', method, '*', '*.py'))}
    assert hicropl == ours


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_config(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports.imports == ['projects.hicropl']
    learner, opt = cfg.model.prompt_learner, cfg.optim_wrapper.optimizer
    assert cfg.model.head.type == 'CosineHead'
    assert cfg.model.class_text.type == 'TemplateTextEmbeddings'
    if '/hisf/' in path:  # preprint Sec. 3.2-3.4, 4.1
        assert (learner.type, learner.n_ctx, learner.depth, learner.fusion_layers) == (
            'HISFPromptLearner', 2, scaled_depth(cfg, 9), None)
        assert [(loss.type, loss.get('loss_weight')) for loss in cfg.model.losses] == [
            ('LogitsLoss', None), ('LabelEmbeddingLoss', 1.0), ('SemanticAlignmentLoss', 1.0)]
        assert (opt.type, opt.lr, cfg.train_cfg.max_epochs) == ('SGD', 0.0035, 50)
    else:
        assert (learner.type, learner.n_ctx_text, learner.n_ctx_vision, learner.depth,
                learner.self_structural, learner.cross_structural) == (
                    'ISPPromptLearner', 4, 4, scaled_depth(cfg, 9), True, True)
        assert [(loss.type, loss.enabled) for loss in cfg.model.losses] == [
            ('SampleProbingLoss', True)]
        assert (opt.type, opt.lr, cfg.train_cfg.max_epochs) == ('SGD', 0.0025, 20)
    assert cfg.train_cfg.max_epochs == cfg.param_scheduler.T_max
    assert cfg.auto_scale_lr.base_batch_size == 4
    # switching the method changes the model, the schedule and the batch, nothing else
    method = '/hisf/' if '/hisf/' in path else '/isp/'
    other = Config.fromfile(path.replace(method, '/hicropl/'))
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
