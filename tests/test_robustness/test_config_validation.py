"""Config mistakes fail at build time with one message naming the fix.

Every case starts from a real config file (the demo config with a tiny
random CLIP) and builds the model the way ``Runner`` does
(``MODELS.build(cfg.model)``); the class-list cases also go through
``Runner.train()`` (``ClassNamesHook`` sets the dataset's classes before the
first iteration)."""
import json
import uuid

import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.runner import Runner

from mmpretrain.registry import MODELS
from projects.hicropl.engine.hooks import ClassNamesHook
from projects.hicropl.testing import tiny_clip_arch
from robustness_helpers import WarningCapture, demo_root, load_tiny_config


@pytest.fixture(scope='module')
def cfg_factory(tmp_path_factory):
    folder = tmp_path_factory.mktemp('validation')
    root = demo_root(folder)

    def make():
        return load_tiny_config(folder, root, epochs=1)

    make.root = root
    make.folder = folder
    return make


def build_error(cfg, exc=ValueError):
    with pytest.raises(exc) as err:
        MODELS.build(cfg.model)
    return str(err.value)


@pytest.mark.parametrize('k', [-1, 4])
def test_cross_layer_outside_0_to_depth(cfg_factory, k):
    cfg = cfg_factory()
    cfg.model.prompt_learner.cross_layer = k
    msg = build_error(cfg)
    assert f'cross_layer (k) = {k} must be in 0..depth (0..3)' in msg
    assert 'model.prompt_learner.cross_layer' in msg


def test_depth_above_tower_layers(cfg_factory):
    cfg = cfg_factory()
    cfg.model.prompt_learner.depth = 5  # the tiny towers have 3 layers
    msg = build_error(cfg)
    assert 'depth=5 must be in 1..3' in msg and 'model.prompt_learner.depth' in msg


def test_n_ctx_over_context_length(cfg_factory):
    cfg = cfg_factory()
    cfg.model.prompt_learner.n_ctx = 80
    msg = build_error(cfg)
    assert 'n_ctx=80 must be in 1..73' in msg and 'context of 77 tokens' in msg


def test_n_ctx_plus_longest_class_prompt_over_context_length(cfg_factory):
    cfg = cfg_factory()
    cfg.model.prompt_learner.n_ctx = 60
    long_name = 'very_' * 14 + 'long_cat'
    cfg.model.classnames = ['dog', long_name]
    cfg.model.class_text = dict(type='TemplateTextEmbeddings')
    msg = build_error(cfg)
    assert long_name in msg and "'dog'" not in msg
    assert 'do not fit the text context' in msg and 'n_ctx=60' in msg


def test_class_prompt_of_exactly_the_context_length_fits(cfg_factory):
    """SOS + 60 context words + 14 x 'cat' + '.' + EOT = 77 tokens fits; one
    word more is refused (the check counts the untruncated prompt)."""
    cfg = cfg_factory()
    cfg.model.prompt_learner.n_ctx = 60
    cfg.model.class_text = dict(type='TemplateTextEmbeddings')
    cfg.model.classnames = ['dog', ' '.join(['cat'] * 14)]
    model = MODELS.build(cfg.model)
    assert int(model.class_tokens[1].argmax()) == 76  # EOT in the last slot
    cfg.model.classnames = ['dog', ' '.join(['cat'] * 15)]
    assert 'do not fit the text context' in build_error(cfg)


def test_unknown_backbone_name(cfg_factory):
    cfg = cfg_factory()
    cfg.model.backbone = dict(type='PromptedCLIP', arch='ViT-Q-99', pretrained=None)
    msg = build_error(cfg)
    assert "Unknown open_clip architecture 'ViT-Q-99'" in msg and 'list_models()' in msg


def test_unknown_pretrained_tag(cfg_factory):
    cfg = cfg_factory()
    cfg.model.backbone = dict(type='PromptedCLIP', arch='ViT-B-32', pretrained='opneai')
    msg = build_error(cfg)
    assert "pretrained='opneai' is neither an open_clip pretrained tag of ViT-B-32" in msg
    assert "'openai'" in msg  # the known tags are listed
    assert 'Fix the tag or the path' in msg


def test_pretrained_file_missing(cfg_factory, tmp_path):
    cfg = cfg_factory()
    missing = str(tmp_path / 'ViT-tiny.pt')
    cfg.model.backbone.pretrained = missing
    msg = build_error(cfg, FileNotFoundError)
    assert f'CLIP checkpoint file not found: {missing}' in msg
    assert 'must be an existing local checkpoint file' in msg


def test_pretrained_file_of_another_architecture(cfg_factory, tmp_path):
    import open_clip
    arch = tiny_clip_arch()
    arch['vision_cfg'] = dict(arch['vision_cfg'], width=96)  # another vision width
    path = tmp_path / 'other_arch.pt'
    torch.save(open_clip.model.CLIP(**arch).state_dict(), path)
    cfg = cfg_factory()
    cfg.model.backbone.pretrained = str(path)
    msg = build_error(cfg)
    assert f'The CLIP checkpoint {path} does not fit the configured architecture' in msg
    assert 'set `arch` to the architecture the file was trained with' in msg
    assert 'size mismatch' in msg


def partial_descriptions(cfg_factory, drop):
    table = json.load(open(f'{cfg_factory.root}/descriptions.json'))
    for name in drop:
        table.pop(name)
    path = cfg_factory.folder / f'partial_{uuid.uuid4().hex}.json'
    path.write_text(json.dumps(table))
    return str(path)


def test_description_json_missing_classes_error(cfg_factory):
    """Through the Runner: the training classes come from the dataset."""
    cfg = cfg_factory()
    cfg.model.class_text.descriptions = partial_descriptions(
        cfg_factory, ['red circle', 'blue triangle'])
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError) as err:
        runner.train()
    msg = str(err.value)
    assert "2 classes have no descriptions" in msg
    assert "['red circle', 'blue triangle']" in msg
    assert "on_missing='template'" in msg
    assert runner.iter == 0  # before the first iteration


def test_description_json_missing_classes_template_fallback(cfg_factory):
    cfg = cfg_factory()
    cfg.model.class_text.descriptions = partial_descriptions(cfg_factory, ['blue triangle'])
    cfg.model.class_text.on_missing = 'template'
    cfg.model.classnames = ['red_circle', 'blue_triangle']
    capture = WarningCapture()
    logger = MMLogger.get_current_instance()
    logger.addHandler(capture)
    try:
        model = MODELS.build(cfg.model)
    finally:
        logger.removeHandler(capture)
    assert model.classnames == ['red_circle', 'blue_triangle']
    warned = [m for m in capture.messages if 'No descriptions' in m]
    assert len(warned) == 1 and "['blue_triangle']" in warned[0]
    assert "'a photo of a {}.'" in warned[0]


def test_description_file_missing(cfg_factory, tmp_path):
    cfg = cfg_factory()
    cfg.model.class_text.descriptions = str(tmp_path / 'nope.json')
    cfg.model.classnames = ['red_circle']
    msg = build_error(cfg, FileNotFoundError)
    assert f'Class description file not found: {tmp_path}/nope.json' in msg
    assert 'class_text.descriptions' in msg


def test_duplicate_class_names(cfg_factory):
    cfg = cfg_factory()
    cfg.model.classnames = ['red_circle', 'green square', 'red_circle']
    msg = build_error(cfg)
    assert "Duplicate class names ['red_circle']" in msg and 'rename' in msg


def test_empty_class_list(cfg_factory):
    """A dataset without classes reaches the model through ClassNamesHook."""
    cfg = cfg_factory()
    model = MODELS.build(cfg.model)

    class Loader:
        dataset = type('D', (), {'metainfo': {'classes': ()}})()

    runner = type('R', (), {'model': model, 'train_dataloader': Loader()})()
    with pytest.raises(ValueError, match='The class list is empty'):
        ClassNamesHook().before_train(runner)
