"""Zero-shot CLIP (PromptCLIPClassifier without a prompt learner) on a tiny
CLIP: CLIP's logits with one template and with a template ensemble, nothing
trainable or saved, the frozen weights untouched; the templates of the
configs are CLIP's and CoOp's."""
import copy
import glob
import os.path as osp

import open_clip.zero_shot_metadata as zero_shot_metadata
import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from projects.hicropl.testing import tiny_clip_arch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLASSNAMES = ['red_fox', 'hot air balloon', 'owl', 'sea turtle']


def build_model(templates):
    return MODELS.build(
        dict(type='PromptCLIPClassifier',
             backbone=dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None),
             prompt_learner=None,
             class_text=dict(type='TemplateTextEmbeddings', templates=templates),
             losses=[], classnames=CLASSNAMES))


def clip_logits(model, images, templates):
    """CLIP's zero-shot recipe written out: per class, the mean of the
    normalised template embeddings, re-normalised; cosine logits."""
    clip = model.backbone.clip
    with torch.no_grad():
        image = F.normalize(clip.encode_image(images), dim=-1)
        text = []
        for name in CLASSNAMES:
            tokens = model.backbone.tokenize([t.format(name.replace('_', ' ')) for t in templates])
            text.append(F.normalize(F.normalize(clip.encode_text(tokens), dim=-1).mean(0), dim=-1))
        return clip.logit_scale.exp() * image @ torch.stack(text).t()


@pytest.mark.parametrize('templates', [['a photo of a {}.'],
                                       ['itap of a {}.', 'art of the {}.', '{} texture.']])
def test_logits_are_clip_zero_shot(templates):
    model = build_model(templates).eval()
    assert model.prompt_learner is None and model.state_dict() == {}
    assert not any(p.requires_grad for p in model.parameters())
    before = copy.deepcopy(dict(model.backbone.clip.state_dict()))
    images = torch.randn(3, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        logits = model(images)
        samples = model.predict(images)
    assert logits.shape == (3, len(CLASSNAMES))
    torch.testing.assert_close(logits, clip_logits(model, images, templates), rtol=0, atol=1e-4)
    assert [int(s.pred_label) for s in samples] == logits.argmax(1).tolist()
    model.set_classnames(['cat', 'dog'])  # any classes
    with torch.no_grad():
        assert model(images).shape == (3, 2)
    for key, value in model.backbone.clip.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_needs_class_text():
    with pytest.raises(ValueError, match='class_text'):
        MODELS.build(dict(type='PromptCLIPClassifier',
                          backbone=dict(type='PromptedCLIP', arch=tiny_clip_arch(),
                                        pretrained=None),
                          prompt_learner=None))


def test_ensemble_base_is_clips_imagenet_templates():
    cfg = Config.fromfile(osp.join(REPO, 'configs/_base_/models/zsclip-ensemble_vit-b16.py'))
    assert cfg.model.class_text.templates == [
        t('{}') for t in zero_shot_metadata.OPENAI_IMAGENET_TEMPLATES]


CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'zsclip', '*', '*.py')))


def test_every_protocol_and_dataset_has_both_variants():
    expected = set()
    for protocol in ('base2novel', 'cross_dataset', 'domain_generalization'):
        for path in glob.glob(osp.join(REPO, 'configs', 'coop', protocol, '*.py')):
            name = osp.relpath(path, osp.join(REPO, 'configs', 'coop'))[:-3]
            expected.add(name + '.py')
            # ImageNet's template ensembles are for real CLIP weights, not the world CLIP
            if not osp.basename(name).startswith('world_'):
                expected.add(name + '_ensemble.py')
    assert expected == {osp.relpath(p, osp.join(REPO, 'configs', 'zsclip')) for p in CONFIGS}


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, REPO))
def test_zsclip_config(path):
    cfg = Config.fromfile(path)
    assert cfg.model.prompt_learner is None and cfg.model.losses == []
    assert cfg.model.class_text.type == 'TemplateTextEmbeddings'
    templates = cfg.model.class_text.templates
    dataset = osp.basename(path)[:-3].replace('_ensemble', '')
    if not path.endswith('_ensemble.py'):
        assert len(templates) == 1
    elif dataset.startswith('imagenet'):
        assert len(templates) == 80
    else:
        assert len(templates) == 8 and templates[:7] == [
            'itap of a {}.', 'a bad photo of the {}.', 'a origami {}.',
            'a photo of the large {}.', 'a {} in a video game.', 'art of the {}.',
            'a photo of the small {}.']
    for item in ('train_dataloader', 'val_dataloader', 'val_evaluator'):
        assert cfg.get(item) is None, item
    assert cfg.test_cfg == {}
    coop = Config.fromfile(path.replace('/zsclip/', '/coop/').replace('_ensemble.py', '.py'))
    assert cfg.protocol == coop.protocol
    assert cfg.test_dataloader == coop.test_dataloader
    assert cfg.test_evaluator == coop.test_evaluator
