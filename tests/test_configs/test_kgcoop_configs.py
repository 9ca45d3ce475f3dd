"""KgCoOp configs: CoOp's learner with the authors' KgCoOp defaults, one per
protocol and dataset, the dataset's hand-crafted prompt, and the same
data/protocol as the HiCroPL config of that protocol and dataset."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
KGCOOP = sorted(glob.glob(osp.join(REPO, 'configs', 'kgcoop', '*', '*.py')))
TEMPLATES = {'dtd': '{} texture.', 'eurosat': 'a centered satellite photo of {}.',
             'oxford_pets': 'a photo of a {}, a type of pet.',
             'ucf101': 'a photo of a person doing {}.', 'imagenet_a': 'a photo of a {}.'}


def test_every_hicropl_protocol_config_has_a_kgcoop_one():
    hicropl = {osp.relpath(p, osp.join(REPO, 'configs', 'hicropl'))
               for p in glob.glob(osp.join(REPO, 'configs', 'hicropl', '*', '*.py'))
               if '/custom/' not in p and '/ablations/' not in p}
    assert hicropl == {osp.relpath(p, osp.join(REPO, 'configs', 'kgcoop')) for p in KGCOOP}


@pytest.mark.parametrize('path', KGCOOP, ids=lambda p: osp.relpath(p, REPO))
def test_kgcoop_config(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports.imports == ['projects.hicropl']
    learner = cfg.model.prompt_learner
    assert (learner.type, learner.n_ctx, learner.ctx_init, learner.class_specific,
            learner.class_token_position) == ('CoOpPromptLearner', 4, 'a photo of a', False, 'end')
    assert cfg.model.head.type == 'CosineHead'
    assert [(loss.type, loss.get('loss_weight')) for loss in cfg.model.losses] == [
        ('LogitsLoss', None), ('KnowledgeGuidedTextLoss', 8.0)]
    assert cfg.model.class_text.type == 'TemplateTextEmbeddings'
    dataset = osp.basename(path)[:-3].rsplit('_', 1)[0] if 'shot' in path else osp.basename(path)[:-3]
    if dataset in TEMPLATES:
        assert cfg.model.class_text.templates == TEMPLATES[dataset]
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.momentum, opt.weight_decay) == ('SGD', 0.002, 0.9, 5e-4)
    assert cfg.train_cfg.max_epochs == cfg.param_scheduler.T_max == 100
    other = Config.fromfile(path.replace('/kgcoop/', '/hicropl/'))
    assert cfg.protocol == other.protocol
    assert cfg.test_dataloader == other.test_dataloader
    assert cfg.test_evaluator == other.test_evaluator
    if '/domain_generalization/' in path:  # test-only targets
        assert cfg.get('train_dataloader') is None
        return
    if '/cross_dataset/' in path and 'imagenet' not in path:
        return
    assert cfg.train_dataloader.batch_size == 128
    other.train_dataloader.batch_size = 128
    assert cfg.train_dataloader.dataset == other.train_dataloader.dataset
