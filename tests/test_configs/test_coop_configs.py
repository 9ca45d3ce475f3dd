"""CoOp configs: the authors' defaults, one per protocol and dataset, and the
same data/protocol as the HiCroPL config of that protocol and dataset."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
COOP = sorted(glob.glob(osp.join(REPO, 'configs', 'coop', '*', '*.py')))


def test_every_hicropl_protocol_config_has_a_coop_one():
    hicropl = {osp.relpath(p, osp.join(REPO, 'configs', 'hicropl'))
               for p in glob.glob(osp.join(REPO, 'configs', 'hicropl', '*', '*.py'))
               if '/custom/' not in p and '/ablations/' not in p}
    assert hicropl == {osp.relpath(p, osp.join(REPO, 'configs', 'coop')) for p in COOP}


@pytest.mark.parametrize('path', COOP, ids=lambda p: osp.relpath(p, REPO))
def test_coop_config(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports.imports == ['projects.hicropl']
    learner = cfg.model.prompt_learner
    assert (learner.type, learner.n_ctx, learner.ctx_init, learner.class_specific,
            learner.class_token_position) == ('CoOpPromptLearner', 16, '', False, 'end')
    assert cfg.model.head.type == 'CosineHead' and 'class_text' not in cfg.model
    assert [loss.type for loss in cfg.model.losses] == ['LogitsLoss']
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.momentum, opt.weight_decay) == ('SGD', 0.002, 0.9, 5e-4)
    name = osp.basename(path)
    epochs = 50
    if '/fewshot/' in path and not name.startswith('imagenet'):
        shots = int(name.split('_')[-1][:-len('shot.py')])
        epochs = {1: 50, 2: 50, 4: 100, 8: 100, 16: 200}[shots]
        assert cfg.train_dataloader.dataset.num_shots == shots
    assert cfg.train_cfg.max_epochs == cfg.param_scheduler.T_max == epochs
    # switching the method changes the model and the schedule, nothing else
    other = Config.fromfile(path.replace('/coop/', '/hicropl/'))
    assert cfg.protocol == other.protocol
    assert cfg.test_dataloader == other.test_dataloader
    assert cfg.test_evaluator == other.test_evaluator
    if '/domain_generalization/' in path:  # test-only targets
        assert cfg.get('train_dataloader') is None
        return
    assert cfg.train_dataloader.batch_size == 32
    assert cfg.train_dataloader.dataset == other.train_dataloader.dataset
