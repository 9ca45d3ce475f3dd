"""PromptSRC on a tiny CLIP: prompt shapes and insertion, the regularisers'
formulas and needs, gradients only where they belong (fp64), frozen tensors
untouched, and the Gaussian prompt aggregation."""
import copy
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import build_optim_wrapper

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from projects.hicropl.models import gaussian_epoch_weights, promptsrc_official_to_ours
from projects.hicropl.models.utils import Features
from projects.hicropl.testing import tiny_clip_arch

CLASSNAMES = ['red_fox', 'hot air balloon', 'owl', 'sea turtle']
TEMPLATES = ['a photo of a {}.', 'a drawing of the {}.', 'itap of a {}.']
LOSSES = [
    dict(type='LogitsLoss'),
    dict(type='FrozenFeatureL1Loss', target='text', loss_weight=25.0),
    dict(type='FrozenFeatureL1Loss', target='image', loss_weight=10.0),
    dict(type='ZeroShotKLLoss'),
]


def build_model(losses=LOSSES, **learner):
    torch.manual_seed(0)
    learner = dict(dict(type='PromptSRCPromptLearner', n_ctx_text=4, n_ctx_vision=2,
                        text_depth=3, vision_depth=2), **learner)
    return MODELS.build(
        dict(type='PromptCLIPClassifier',
             backbone=dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None),
             prompt_learner=learner, losses=losses,
             class_text=dict(type='TemplateTextEmbeddings', templates=TEMPLATES, average='raw'),
             classnames=CLASSNAMES))


def batch(n=4, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    images = torch.randn(n, 3, 32, 32, generator=g, dtype=dtype)
    return images, [DataSample().set_gt_label(i % len(CLASSNAMES)) for i in range(n)]


def test_shapes_init_and_names():
    model = build_model()
    clip, learner = model.backbone, model.prompt_learner
    assert [tuple(p.shape) for p in learner.text_prompts] == [(4, clip.text_width)] * 3
    assert [tuple(p.shape) for p in learner.visual_prompts] == [(2, clip.vision_width)] * 2
    assert learner.class_prompt_template() == 'a photo of a {}.'
    tokens = clip.tokenize(['a photo of a'])
    assert torch.equal(learner.text_prompts[0].detach(), clip.embed_tokens(tokens)[0, 1:5])
    prompts = learner()
    assert len(prompts.text) == 3 and len(prompts.visual) == 2 and not prompts.text_per_image
    images, _ = batch(3)
    assert model(images).shape == (3, len(CLASSNAMES))
    assert set(model.state_dict()) == {
        *(f'prompt_learner.text_prompts.{i}' for i in range(3)),
        *(f'prompt_learner.visual_prompts.{i}' for i in range(2))}
    # init words only for n_ctx_text <= 4 (authors' rule); no visual prompts at depth 0
    long = build_model(n_ctx_text=6, vision_depth=0)
    assert long.prompt_learner.class_prompt_template() == 'X X X X X X {}.'
    assert len(long.prompt_learner.visual_prompts) == 0 and long(images).shape == (3, 4)
    short = build_model(n_ctx_text=2)  # 'of a' stay as words after the context
    assert short.prompt_learner.class_prompt_template() == 'a photo of a {}.'
    assert promptsrc_official_to_ours('prompt_learner.ctx') == 'prompt_learner.text_prompts.0'
    assert promptsrc_official_to_ours('image_encoder.transformer.resblocks.3.VPT_shallow') == \
        'prompt_learner.visual_prompts.3'
    assert promptsrc_official_to_ours('image_encoder.conv1.weight') is None


def test_validation():
    for bad, match in [(dict(text_depth=0), 'text_depth'), (dict(text_depth=4), 'text_depth'),
                       (dict(vision_depth=4), 'vision_depth'), (dict(n_ctx_text=0), 'n_ctx_text'),
                       (dict(n_ctx_vision=0), 'n_ctx_vision')]:
        with pytest.raises(ValueError, match=match):
            build_model(**bad)
    for bad, match in [(dict(type='FrozenFeatureL1Loss', target='logits'), 'target'),
                       (dict(type='ZeroShotKLLoss', reduction='mean'), 'reduction')]:
        with pytest.raises(ValueError, match=match):
            MODELS.build(bad)


def test_needs_and_frozen_features():
    """Each part declares what it needs; the classifier computes exactly that."""
    parts = [MODELS.build(cfg) for cfg in LOSSES]
    assert [set(p.needs) for p in parts] == [set(), {'frozen_text'}, {'frozen_image'},
                                              {'zero_shot_logits'}]
    model = build_model()
    images, _ = batch()
    with torch.no_grad():
        out = model.forward_features(images)
        frozen_image = F.normalize(model.backbone.encode_image(images), dim=-1)
    torch.testing.assert_close(out.frozen_image, frozen_image)
    torch.testing.assert_close(out.zero_shot_logits, model.backbone.logit_scale.exp() *
                               frozen_image @ model.frozen_text_features.t())
    ce_only = build_model(losses=[dict(type='LogitsLoss')])
    assert ce_only.needs == frozenset()
    with torch.no_grad():
        out = ce_only.forward_features(images)
    assert out.frozen_image is None and out.frozen_text is None and out.zero_shot_logits is None


def test_loss_formulas():
    g = torch.Generator().manual_seed(3)
    f = Features(image_raw=None, text_raw=None, logit_scale=torch.tensor(0.0),
                 image=torch.randn(5, 8, generator=g), text=torch.randn(3, 8, generator=g),
                 frozen_image=torch.randn(5, 8, generator=g), frozen_text=torch.randn(3, 8, generator=g),
                 logits=torch.randn(5, 3, generator=g), zero_shot_logits=torch.randn(5, 3, generator=g))
    labels = torch.zeros(5, dtype=torch.long)
    text = MODELS.build(dict(type='FrozenFeatureL1Loss', target='text', loss_weight=25.))(f, labels)
    torch.testing.assert_close(text['loss_scl_text'], 25 * (f.text - f.frozen_text).abs().mean())
    image = MODELS.build(dict(type='FrozenFeatureL1Loss', target='image', loss_weight=10.))(f, labels)
    torch.testing.assert_close(image['loss_scl_image'], 10 * (f.image - f.frozen_image).abs().mean())
    p, p_zs = f.logits.softmax(1), f.zero_shot_logits.softmax(1)
    kl = (p_zs * (p_zs.log() - p.log())).sum()  # KL(zero-shot || prompted), summed
    numel = MODELS.build(dict(type='ZeroShotKLLoss'))(f, labels)['loss_scl_logits']
    torch.testing.assert_close(numel, kl / 15)
    batchmean = MODELS.build(dict(type='ZeroShotKLLoss', reduction='batchmean',
                                  loss_weight=2.))(f, labels)['loss_scl_logits']
    torch.testing.assert_close(batchmean, 2 * kl / 5)


def test_gradients_and_frozen_weights():
    """fp64: every row of every prompt tensor gets a non-zero gradient from the
    full loss; frozen tensors get none and SGD steps leave them unchanged."""
    model = build_model().double()
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    frozen_buffers = copy.deepcopy(dict(model.backbone.named_buffers()))
    optim = build_optim_wrapper(model, dict(optimizer=dict(
        type='SGD', lr=0.0025, momentum=0.9, weight_decay=5e-4)))
    images, samples = batch(dtype=torch.float64)
    model.train()
    for _ in range(2):
        losses = model.loss(images, samples)
        assert list(losses) == ['loss_ce', 'loss_scl_text', 'loss_scl_image', 'loss_scl_logits']
        optim.update_params(sum(losses.values()))
    losses = model.loss(images, samples)
    sum(losses.values()).backward()
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert len(trainable) == 5
    for name, param in trainable.items():
        assert param.grad is not None, name
        assert (param.grad.abs().sum(-1) > 0).all(), name
    for name, param in model.named_parameters():
        if not param.requires_grad:
            assert param.grad is None, name
            assert torch.equal(param, frozen[name]), name
    for name, buf in model.backbone.named_buffers():
        assert torch.equal(buf, frozen_buffers[name]), name


def test_eval_is_pure_and_cached():
    model = build_model().eval()
    before = copy.deepcopy(model.state_dict())
    images, _ = batch()
    with torch.no_grad():
        first = model(images)
        assert model._eval_text_features is not None
        again = model(images)
    assert torch.equal(first, again)
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key


@pytest.mark.parametrize('epochs,mean,std', [(5, 3, 1), (6, 15, 1), (45, 40, 1)])
def test_gaussian_prompt_aggregation(epochs, mean, std):
    """After E epoch updates the averaged prompts are sum_e w_e P(e) (Eq. 7),
    also when early weights underflow to 0 (the last case); only trainable
    tensors are averaged."""
    model = build_model()
    gpa = MODELS.build(dict(type='GaussianEpochAverage', model=model, mean=mean, std=std))
    assert set(gpa.avg_parameters) == {n for n, p in model.named_parameters() if p.requires_grad}
    snapshots = []
    for epoch in range(epochs):
        with torch.no_grad():
            for p in model.prompt_learner.parameters():
                p.add_(torch.randn_like(p))
        snapshots.append({n: p.detach().clone() for n, p in model.prompt_learner.named_parameters()})
        gpa.update_parameters(model)
    weights = gaussian_epoch_weights(epochs, mean, std)
    assert math.isclose(sum(weights), 1.0)
    averaged = dict(gpa.module.prompt_learner.named_parameters())
    for name, value in averaged.items():
        expected = sum(w * s[name].double() for w, s in zip(weights, snapshots))
        torch.testing.assert_close(value.double(), expected, rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match='std'):
        MODELS.build(dict(type='GaussianEpochAverage', model=model, mean=1, std=0))
