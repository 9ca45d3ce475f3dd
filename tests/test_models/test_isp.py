"""ISP (interpretation of the abstract) on a tiny CLIP: shapes, what each
switch (self-structural, cross-structural, sample probing) changes, the
sample-probing loss on hand-computed tensors, gradients of every trainable
tensor (fp64) and frozen tensors untouched."""
import copy
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import build_optim_wrapper

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from projects.hicropl.models.utils import Features
from projects.hicropl.testing import tiny_clip_arch
from projects.hicropl.testing.tolerance import rounding_tolerance

CLASSNAMES = ['red_fox', 'hot air balloon', 'owl', 'sea turtle']


def build_model(probing=True, **learner):
    torch.manual_seed(0)
    return MODELS.build(
        dict(type='PromptCLIPClassifier',
             backbone=dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None),
             prompt_learner=dict(dict(type='ISPPromptLearner', depth=3, n_ctx_text=2,
                                      n_ctx_vision=3), **learner),
             class_text=dict(type='TemplateTextEmbeddings', templates='a photo of a {}.'),
             losses=[dict(type='SampleProbingLoss', enabled=probing)],
             classnames=CLASSNAMES))


def batch(n=4, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    images = torch.randn(n, 3, 32, 32, generator=g, dtype=dtype)
    return images, [DataSample().set_gt_label(i % len(CLASSNAMES)) for i in range(n)]


def prompts_of(model, images):
    frozen = model.frozen_features(images)
    learner = model.prompt_learner
    return learner(**{k: frozen[k] for k in learner.needs})


def test_shapes():
    model = build_model()
    learner, clip = model.prompt_learner, model.backbone
    assert learner.needs == {'frozen_text', 'frozen_image'}
    images, _ = batch(3)
    prompts = prompts_of(model, images)
    assert [tuple(p.shape) for p in prompts.text] == [(2, clip.text_width)] * 3
    assert [tuple(p.shape) for p in prompts.visual] == [(3, 3, clip.vision_width)] * 3
    assert model(images).shape == (3, len(CLASSNAMES))
    assert set(model.state_dict()) == {
        n for n, _ in learner.named_parameters(prefix='prompt_learner')}


def test_without_modules_the_prompts_are_the_parameters():
    """Both structural modules off: IVLP's independent deep prompts, no
    frozen features read."""
    model = build_model(probing=False, self_structural=False, cross_structural=False)
    learner = model.prompt_learner
    assert learner.needs == frozenset() and model.needs == frozenset()
    prompts = learner()
    assert prompts.text[0] is learner.ctx
    assert all(a is b for a, b in zip(prompts.text[1:], learner.text_prompts))
    assert all(a is b for a, b in zip(prompts.visual, learner.visual_prompts))
    assert not any(n.startswith(('text_self', 'visual_self', 'text_cross', 'visual_cross'))
                   for n, _ in learner.named_parameters())


def test_self_structural_switch():
    """On: the visual prompts depend on the image (its frozen embedding) and
    the text prompts on the class set; off: on neither."""
    images, _ = batch(2)
    for enabled in (True, False):
        model = build_model(self_structural=enabled)
        with torch.no_grad():
            prompts = prompts_of(model, images)
            if enabled:
                assert not torch.equal(prompts.visual[1][0], prompts.visual[1][1])
            else:
                assert prompts.visual[1].dim() == 2  # one prompt for every image
            model.set_classnames(CLASSNAMES[:2])
            other = prompts_of(model, images)
        assert torch.equal(prompts.text[1], other.text[1]) is not enabled


def test_cross_structural_switch():
    """On: a layer's text prompt moves with that layer's visual prompt and
    vice versa; off: each tower's prompts ignore the other's."""
    images, _ = batch(2)
    for enabled in (True, False):
        model = build_model(cross_structural=enabled)
        learner = model.prompt_learner
        with torch.no_grad():
            before = prompts_of(model, images)
            visual = learner.visual_prompts[1].clone()
            learner.visual_prompts[1].add_(1.0)  # visual prompt of layer 1
            moved_visual = prompts_of(model, images)
            learner.visual_prompts[1].copy_(visual)
            learner.text_prompts[0].add_(1.0)  # text prompt of layer 1
            moved_text = prompts_of(model, images)
        assert torch.equal(before.text[1], moved_visual.text[1]) is not enabled
        assert torch.equal(before.visual[1], moved_text.visual[1]) is not enabled
        assert torch.equal(before.text[2], moved_visual.text[2])  # other layers untouched
        assert torch.equal(before.visual[2], moved_text.visual[2])


def features(**kwargs):
    return Features(image_raw=None, text_raw=None, logit_scale=torch.tensor(0.), **kwargs)


def test_sample_probing_loss_by_hand():
    """w_i = (1 - p_i)^gamma / mean_j (1 - p_j)^gamma, p_i the frozen CLIP's
    probability of the true class; loss = mean_i w_i CE_i."""
    zero_shot = torch.tensor([[math.log(3.), 0.], [0., 0.]])  # p_true: 0.75, 0.5
    logits = torch.tensor([[0., math.log(4.)], [math.log(2.), 0.]])
    labels = torch.tensor([0, 1])
    ce = torch.tensor([math.log(5.), math.log(3.)])  # -log(1/5), -log(1/3)
    f = features(logits=logits, zero_shot_logits=zero_shot)
    # gamma 1: difficulties 0.25, 0.5 -> weights 2/3, 4/3
    out = MODELS.build(dict(type='SampleProbingLoss'))(f, labels)['loss_ce']
    assert out.item() == pytest.approx((2 / 3 * ce[0] + 4 / 3 * ce[1]).item() / 2, rel=1e-6)
    # gamma 2: 1/16, 1/4 -> weights 0.4, 1.6
    out = MODELS.build(dict(type='SampleProbingLoss', gamma=2.0, loss_weight=3.0))(
        f, labels)['loss_ce']
    assert out.item() == pytest.approx(3.0 * (0.4 * ce[0] + 1.6 * ce[1]).item() / 2, rel=1e-6)
    # off, or gamma 0: plain cross-entropy (no frozen features needed when off)
    off = MODELS.build(dict(type='SampleProbingLoss', enabled=False))
    assert off.needs == frozenset()
    plain = F.cross_entropy(logits, labels)
    assert torch.equal(off(features(logits=logits), labels)['loss_ce'], plain)
    flat = MODELS.build(dict(type='SampleProbingLoss', gamma=0.0))(f, labels)['loss_ce']
    assert flat.item() == pytest.approx(plain.item(), rel=1e-6)


def test_sample_probing_switch_in_the_model():
    """On, the classifier computes the frozen logits and the loss differs
    from plain cross-entropy; off, it is plain cross-entropy."""
    images, samples = batch()
    on, off = build_model(probing=True), build_model(probing=False)
    assert 'zero_shot_logits' in on.needs
    labels = torch.tensor([s.gt_label.item() for s in samples])
    with torch.no_grad():
        features_on = on.forward_features(images)
        loss_on = on.compute_losses(features_on, samples)['loss_ce']
        features_off = off.forward_features(images)
        loss_off = off.compute_losses(features_off, samples)['loss_ce']
    # the same sum of N per-sample terms in another order: N eps |loss| apart at most
    plain = F.cross_entropy(features_off.logits, labels)
    tol = rounding_tolerance(plain.abs().item(), steps=labels.numel())
    assert (loss_off - plain).abs().item() <= tol
    plain_on = F.cross_entropy(features_on.logits, labels)
    assert (loss_on - plain_on).abs().item() > 1000 * tol


@pytest.mark.parametrize('learner', [dict(), dict(self_structural=False),
                                     dict(cross_structural=False)])
def test_gradients_and_frozen_weights(learner):
    """In fp64 every trainable tensor gets a non-zero gradient; frozen
    tensors get none and SGD steps leave them and the buffers unchanged."""
    model = build_model(**learner).double()
    model.set_classnames(CLASSNAMES[::-1])  # frozen class text in fp64
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    frozen_buffers = copy.deepcopy(dict(model.backbone.named_buffers()))
    optim = build_optim_wrapper(model, dict(optimizer=dict(
        type='SGD', lr=0.0025, momentum=0.9, weight_decay=5e-4)))
    images, samples = batch(dtype=torch.float64)
    model.train()
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith('prompt_learner.') for n in trainable)
    for _ in range(2):
        optim.update_params(sum(model.loss(images, samples).values()))
    sum(model.loss(images, samples).values()).backward()
    for name, param in trainable.items():
        assert param.grad is not None, name
        assert param.grad.abs().sum() > 0, name
    for name, param in model.named_parameters():
        if not param.requires_grad:
            assert param.grad is None, name
            assert torch.equal(param, frozen[name]), name
    for name, buf in model.backbone.named_buffers():
        assert torch.equal(buf, frozen_buffers[name]), name


def test_validation():
    for bad, match in [(dict(depth=0), 'depth'), (dict(depth=4), 'depth'),
                       (dict(n_ctx_text=0), 'n_ctx_text'), (dict(n_ctx_vision=0), 'n_ctx_vision')]:
        with pytest.raises(ValueError, match=match):
            build_model(**bad)
    with pytest.raises(ValueError, match='gamma'):
        MODELS.build(dict(type='SampleProbingLoss', gamma=-1.0))
