"""Method configs load, carry the paper's settings, and run on a real dataset layout."""
import glob
import json
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

import projects.hicropl  # noqa: F401
from projects.hicropl.testing import tiny_clip_arch
from projects.hicropl.testing.coop_layouts import PETS, make_pets

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
METHOD_CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs', 'hicropl', '**', '*.py'), recursive=True))
B2N_PETS = osp.join(REPO, 'configs/hicropl/base2novel/oxford_pets.py')
XD_SOURCE = osp.join(REPO, 'configs/hicropl/cross_dataset/imagenet.py')


@pytest.mark.parametrize('path', METHOD_CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_method_config_loads(path):
    cfg = Config.fromfile(path)
    assert cfg.custom_imports.imports == ['projects.hicropl']
    assert cfg.model.type == 'PromptCLIPClassifier'
    if cfg.model.class_text.type != 'TemplateTextEmbeddings':  # Table 12 ablations: templates
        assert cfg.model.class_text.descriptions
    hooks = [h['type'] for h in cfg.custom_hooks]
    assert 'ClassNamesHook' in hooks and 'EpochSeedHook' in hooks
    assert cfg.default_hooks.checkpoint.type == 'BestCheckpointHook'
    opt = cfg.optim_wrapper.optimizer
    assert (opt.type, opt.lr, opt.eps, opt.weight_decay) == ('Adam', 0.0025, 1e-3, 5e-4)
    assert cfg.randomness.seed == 1  # the default seed


def test_paper_settings():
    b2n = Config.fromfile(B2N_PETS)
    pl = b2n.model.prompt_learner
    assert (pl.type, pl.n_ctx, pl.depth, pl.cross_layer) == ('HiCroPLPromptLearner', 16, 12, 6)
    assert b2n.model.head.type == 'FusedFrozenHead'
    assert [(loss.type, loss.get('loss_weight')) for loss in b2n.model.losses] == [
        ('LogitsLoss', None), ('ConsistencyLoss', 12.0)]
    assert (b2n.train_cfg.max_epochs, b2n.train_dataloader.batch_size) == (50, 32)
    assert b2n.model.backbone.arch == 'ViT-B-16' and b2n.model.backbone.pretrained == 'openai'
    assert b2n.train_dataloader.dataset.subsample_classes == 'base'
    xd = Config.fromfile(XD_SOURCE)
    pl = xd.model.prompt_learner
    assert (pl.n_ctx, pl.ctx_init, pl.depth, pl.cross_layer) == (2, 'a photo of a', 6, 5)
    assert (xd.train_cfg.max_epochs, xd.train_dataloader.batch_size) == (5, 32)


def test_b2n_config_trains_on_pets_layout(tmp_path):
    """The real Oxford Pets base-to-novel config, with a tiny random CLIP, on
    a generated Pets folder: one epoch on the base classes through the
    Runner, then one test over all classes (base / novel / HM)."""
    root = tmp_path / 'oxford_pets'
    make_pets(root, n_train=4, n_val=2, n_test=2)
    descriptions = tmp_path / 'oxford_pets_prompt.json'
    descriptions.write_text(json.dumps(
        {name.replace('_', ' '): [f'a photo of a {name}, a pet.'] for name, _ in PETS}))
    cfg = Config.fromfile(B2N_PETS)
    cfg.work_dir = str(tmp_path / 'work')
    cfg.model.backbone = dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None)
    cfg.model.prompt_learner.update(n_ctx=2, depth=3, cross_layer=1, num_heads=4)
    cfg.model.class_text.descriptions = str(descriptions)
    cfg.train_cfg.max_epochs = 1
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(root)
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
        cfg[loader].batch_size = 4
        pipeline = cfg[loader].dataset.pipeline
        for step in pipeline:
            if step['type'] in ('RandomResizedCrop', 'ResizeEdge'):
                step['scale'] = 32
            if step['type'] == 'CenterCrop':
                step['crop_size'] = 32
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    runner.train()
    model = runner.model
    assert model.classnames == ['abyssinian', 'american_pit_bull_terrier', 'bengal']  # base
    metrics = runner.test()
    assert model.classnames == [name for name, _ in PETS]  # all, no retraining
    assert set(metrics) == {'b2n/base', 'b2n/novel', 'b2n/hm', 'b2n/all'}
    assert all(0 <= v <= 100 for v in metrics.values())
