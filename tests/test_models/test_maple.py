"""MaPLe prompt learner on a tiny CLIP: shapes, the authors' init (word init,
identical projection copies), the coupling (visual prompts are linear maps of
the current text prompts, inside autograd), gradients only where they belong
(fp64, so a true zero is told from rounding noise), frozen tensors untouched."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import build_optim_wrapper

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from projects.hicropl.testing import tiny_clip_arch

CLASSNAMES = ['red_fox', 'hot air balloon', 'owl', 'sea turtle']


def build_model(**learner):
    torch.manual_seed(0)
    return MODELS.build(
        dict(type='PromptCLIPClassifier',
             backbone=dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None),
             prompt_learner=dict(dict(type='MaPLePromptLearner', depth=3), **learner),
             classnames=CLASSNAMES))


def batch(n=4, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    images = torch.randn(n, 3, 32, 32, generator=g, dtype=dtype)
    return images, [DataSample().set_gt_label(i % len(CLASSNAMES)) for i in range(n)]


def test_shapes_and_coupling():
    model = build_model(n_ctx=3, ctx_init='')
    learner, clip = model.prompt_learner, model.backbone
    wt, wv = clip.text_width, clip.vision_width
    assert learner.ctx.shape == (3, wt)
    assert [tuple(p.shape) for p in learner.compound_prompts_text] == [(3, wt)] * 2
    assert learner.proj.weight.shape == (wv, wt)
    assert [tuple(f.weight.shape) for f in learner.compound_prompt_projections] == [(wv, wt)] * 2
    assert learner.class_prompt_template() == 'X X X {}.'
    prompts = learner()
    assert len(prompts.text) == len(prompts.visual) == 3 and not prompts.text_per_image
    assert prompts.text[0] is learner.ctx
    text = [learner.ctx, *learner.compound_prompts_text]
    fs = [learner.proj, *learner.compound_prompt_projections]
    for visual, f, t in zip(prompts.visual, fs, text):
        assert torch.equal(visual, F.linear(t, f.weight, f.bias))  # [n, W_v]
    images, _ = batch(3)
    assert model(images).shape == (3, len(CLASSNAMES))
    assert set(model.state_dict()) == {n for n, _ in learner.named_parameters(prefix='prompt_learner')}


def test_init_as_the_authors():
    """The deep projections start as copies of one layer (proj is another);
    n <= 4: ctx = embeddings of the first n tokens, prefix = the WHOLE init."""
    model = build_model(n_ctx=2, ctx_init='a photo of a')
    learner, clip = model.prompt_learner, model.backbone
    first, second = learner.compound_prompt_projections
    assert torch.equal(first.weight, second.weight) and torch.equal(first.bias, second.bias)
    assert first.weight is not second.weight  # independent parameters afterwards
    assert not torch.equal(learner.proj.weight, first.weight)
    assert learner.prompt_prefix == 'a photo of a'
    tokens = clip.tokenize(['a photo of a'])
    assert torch.equal(learner.ctx.detach(), clip.embed_tokens(tokens)[0, 1:3])
    assert torch.equal(model.class_tokens[:, :5], tokens[:, :5].expand(4, 5))  # 'of a' stay
    independent = build_model(identical_projection_init=False).prompt_learner
    first, second = independent.compound_prompt_projections
    assert not torch.equal(first.weight, second.weight)
    assert build_model(n_ctx=5, ctx_init='a photo of a').prompt_learner.prompt_prefix == (
        'X X X X X')
    assert build_model(depth=1).prompt_learner().visual[0].shape == (2, clip.vision_width)


def test_image_gradient_reaches_the_text_prompts():
    """The coupling is differentiable: image features alone give the text
    prompts (through the projections) a gradient."""
    model = build_model().double()
    learner = model.prompt_learner
    images, _ = batch(2, dtype=torch.float64)
    model.backbone.encode_image(images, learner().visual).sum().backward()
    for param in (learner.ctx, *learner.compound_prompts_text):
        assert (param.grad.abs().sum(-1) > 0).all()


@pytest.mark.parametrize('learner', [dict(), dict(n_ctx=3, ctx_init=''), dict(depth=1)])
def test_gradients_and_frozen_weights(learner):
    """In fp64 every trainable tensor (every prompt row, every projection)
    gets a non-zero gradient; frozen tensors get none and SGD steps leave
    them (and the buffers) unchanged."""
    model = build_model(**learner).double()
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    frozen_buffers = copy.deepcopy(dict(model.backbone.named_buffers()))
    optim = build_optim_wrapper(model, dict(optimizer=dict(
        type='SGD', lr=0.0035, momentum=0.9, weight_decay=5e-4)))
    images, samples = batch(dtype=torch.float64)
    model.train()
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert len(trainable) == 3 * model.prompt_learner.depth
    assert all(n.startswith('prompt_learner.') for n in trainable)
    for _ in range(2):
        losses = model.loss(images, samples)
        assert set(losses) == {'loss_ce'}
        optim.update_params(sum(losses.values()))
    sum(model.loss(images, samples).values()).backward()
    for name, param in trainable.items():
        assert param.grad is not None, name
        rows = param.grad if param.grad.dim() == 2 else param.grad[:, None]
        assert (rows.abs().sum(-1) > 0).all(), name
    for name, param in model.named_parameters():
        if not param.requires_grad:
            assert param.grad is None, name
            assert torch.equal(param, frozen[name]), name
    for name, buf in model.backbone.named_buffers():
        assert torch.equal(buf, frozen_buffers[name]), name


def test_validation():
    for bad, match in [(dict(depth=0), 'depth'), (dict(depth=4), 'depth'), (dict(n_ctx=0), 'n_ctx')]:
        with pytest.raises(ValueError, match=match):
            build_model(**bad)


def test_eval_is_pure_and_cached():
    model = build_model().eval()
    before = copy.deepcopy(model.state_dict())
    images, _ = batch()
    with torch.no_grad():
        first = model(images)
        assert model._eval_text_features is not None
        assert torch.equal(first, model(images))
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key
