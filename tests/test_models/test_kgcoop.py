"""KgCoOp on a tiny CLIP: the knowledge-guided regulariser's formula and
gradients, its needs, and CoOp's learner trained with it (gradients only
where they belong, in fp64; frozen tensors untouched)."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import build_optim_wrapper

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from projects.hicropl.models.utils import Features
from projects.hicropl.testing import tiny_clip_arch

CLASSNAMES = ['red_fox', 'hot air balloon', 'owl', 'sea turtle']
LOSSES = [dict(type='LogitsLoss'), dict(type='KnowledgeGuidedTextLoss', loss_weight=8.0)]


def build_model(losses=LOSSES, **learner):
    torch.manual_seed(0)
    return MODELS.build(
        dict(type='PromptCLIPClassifier',
             backbone=dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None),
             prompt_learner=dict(dict(type='CoOpPromptLearner', ctx_init='a photo of a'), **learner),
             class_text=dict(type='TemplateTextEmbeddings', templates='a photo of a {}.'),
             losses=losses, classnames=CLASSNAMES))


def unit_features(c=5, d=8, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    text = F.normalize(torch.randn(c, d, generator=g, dtype=dtype), dim=-1).requires_grad_()
    frozen = F.normalize(torch.randn(c, d, generator=g, dtype=dtype), dim=-1)
    return Features(image_raw=None, text_raw=None, logit_scale=torch.tensor(0.),
                    text=text, frozen_text=frozen)


def test_formula_and_gradient():
    """L = lambda / C * sum_c ||w_c - w_c^clip||^2 (Eq. 4-5) and
    dL/dw_c = 2 lambda (w_c - w_c^clip) / C."""
    f = unit_features()
    labels = torch.zeros(5, dtype=torch.long)
    loss = MODELS.build(dict(type='KnowledgeGuidedTextLoss', loss_weight=8.0))(f, labels)
    assert set(loss) == {'loss_kg'}
    expected = 8.0 * sum(torch.dot(w - w0, w - w0) for w, w0 in zip(f.text, f.frozen_text)) / 5
    torch.testing.assert_close(loss['loss_kg'], expected, rtol=1e-12, atol=0)
    (grad, ) = torch.autograd.grad(loss['loss_kg'], f.text)
    torch.testing.assert_close(grad, 2 * 8.0 * (f.text - f.frozen_text).detach() / 5,
                               rtol=1e-12, atol=0)
    assert f.frozen_text.grad is None
    # the authors' code: lambda * (1 - mean cos) = half the squared distance on unit vectors
    cosine = MODELS.build(dict(type='KnowledgeGuidedTextLoss', loss_weight=8.0,
                               criterion='cosine'))(f, labels)['loss_kg']
    torch.testing.assert_close(cosine, expected / 2, rtol=1e-12, atol=0)
    zero = Features(image_raw=None, text_raw=None, logit_scale=None, text=f.frozen_text,
                    frozen_text=f.frozen_text)
    assert MODELS.build(dict(type='KnowledgeGuidedTextLoss'))(zero, labels)['loss_kg'] == 0
    with pytest.raises(ValueError, match='criterion'):
        MODELS.build(dict(type='KnowledgeGuidedTextLoss', criterion='l1'))


def test_needs_frozen_text_only():
    """Only the hand-crafted class features are computed (no frozen image tower)."""
    assert MODELS.build(dict(type='KnowledgeGuidedTextLoss')).needs == {'frozen_text'}
    model = build_model()
    assert model.needs == {'frozen_text'}
    g = torch.Generator().manual_seed(0)
    images = torch.randn(3, 3, 32, 32, generator=g)
    with torch.no_grad():
        out = model.forward_features(images)
        hand_crafted = F.normalize(model.backbone.encode_text(model.backbone.tokenize(
            [f'a photo of a {c.replace("_", " ")}.' for c in CLASSNAMES])), dim=-1)
    assert out.frozen_image is None and out.zero_shot_logits is None
    torch.testing.assert_close(out.frozen_text, hand_crafted)
    with pytest.raises(ValueError, match='class_text'):
        MODELS.build(dict(type='PromptCLIPClassifier',
                          backbone=dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None),
                          prompt_learner=dict(type='CoOpPromptLearner'), losses=LOSSES))


def test_loss_at_init_is_zero_for_word_init():
    """With the context initialised from the hand-crafted prompt's words the
    learned class features start AT w^clip: the regulariser is 0."""
    model = build_model()
    g = torch.Generator().manual_seed(0)
    images = torch.randn(2, 3, 32, 32, generator=g)
    samples = [DataSample().set_gt_label(i) for i in range(2)]
    with torch.no_grad():
        losses = model.loss(images, samples)
    assert losses['loss_kg'].abs() < 1e-10


def test_gradients_and_frozen_weights():
    """fp64, random context: every context row gets a non-zero gradient from
    each term; frozen tensors get none and SGD steps leave them unchanged."""
    model = build_model(ctx_init='', n_ctx=4).double()
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    frozen_buffers = copy.deepcopy(dict(model.backbone.named_buffers()))
    optim = build_optim_wrapper(model, dict(optimizer=dict(
        type='SGD', lr=0.002, momentum=0.9, weight_decay=5e-4)))
    g = torch.Generator().manual_seed(0)
    images = torch.randn(4, 3, 32, 32, generator=g, dtype=torch.float64)
    samples = [DataSample().set_gt_label(i % 4) for i in range(4)]
    model.train()
    for _ in range(2):
        losses = model.loss(images, samples)
        assert list(losses) == ['loss_ce', 'loss_kg']
        optim.update_params(sum(losses.values()))
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ['prompt_learner.ctx']
    for term in ('loss_ce', 'loss_kg'):
        model.zero_grad()
        model.loss(images, samples)[term].backward()
        assert (model.prompt_learner.ctx.grad.abs().sum(-1) > 0).all(), term
    for name, param in model.named_parameters():
        if not param.requires_grad:
            assert param.grad is None, name
            assert torch.equal(param, frozen[name]), name
    for name, buf in model.backbone.named_buffers():
        assert torch.equal(buf, frozen_buffers[name]), name
