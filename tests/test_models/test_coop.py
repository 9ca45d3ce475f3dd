"""CoOp prompt learner on a tiny CLIP: shapes, layouts as the authors build
them, gradients only where they belong, frozen tensors untouched."""
import copy

import pytest
import torch
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
             prompt_learner=dict(dict(type='CoOpPromptLearner', n_ctx=4), **learner),
             classnames=CLASSNAMES))


def batch(n=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    images = torch.randn(n, 3, 32, 32, generator=g)
    return images, [DataSample().set_gt_label(i % len(CLASSNAMES)) for i in range(n)]


def authors_embeddings(model):
    """The authors' prompt layout (reference README 10c) from the prompt as
    written: ``pre``, ``ctx``, ``suf`` rearranged per class."""
    learner = model.prompt_learner
    n = learner.n_ctx
    written = model.backbone.tokenize(
        [learner.class_prompt_template().format(c.replace('_', ' ')) for c in CLASSNAMES])
    embedding = model.backbone.embed_tokens(written)
    name_lens = model.backbone.tokenize([c.replace('_', ' ') for c in CLASSNAMES]).argmax(-1) - 1
    rows = []
    for i, name_len in enumerate(name_lens.tolist()):
        ctx = learner.ctx[i] if learner.class_specific else learner.ctx
        pre, suf = embedding[i, :1], embedding[i, 1 + n:]
        if learner.class_token_position == 'end':
            parts = [pre, ctx, suf]
        elif learner.class_token_position == 'middle':
            parts = [pre, ctx[:n // 2], suf[:name_len], ctx[n // 2:], suf[name_len:]]
        else:
            parts = [pre, suf[:name_len], ctx, suf[name_len:]]
        rows.append(torch.cat(parts))
    return torch.stack(rows)


@pytest.mark.parametrize('position', ['end', 'middle', 'front'])
@pytest.mark.parametrize('learner', [dict(n_ctx=5), dict(n_ctx=3, class_specific=True, num_classes=4),
                                     dict(ctx_init='a bird-of-paradise photo')])
def test_layout_equals_the_authors(position, learner):
    model = build_model(class_token_position=position, **learner)
    with torch.no_grad():
        ours = model.backbone.embed_text(model.class_tokens, model.prompt_learner().text[0],
                                         model.class_ctx_index)
        assert torch.equal(ours, authors_embeddings(model))  # same values, moved: bitwise


def test_shapes_and_init():
    model = build_model()
    width = model.backbone.text_width
    assert model.prompt_learner.ctx.shape == (4, width)
    assert model.prompt_learner.class_prompt_template() == 'X X X X {}.'
    prompts = model.prompt_learner()
    assert len(prompts.text) == 1 and prompts.visual == [] and not prompts.text_per_image
    images, _ = batch(3)
    assert model(images).shape == (3, len(CLASSNAMES))
    csc = build_model(n_ctx=2, class_specific=True, num_classes=4)
    assert csc.prompt_learner.ctx.shape == (4, 2, width)
    assert csc(images).shape == (3, len(CLASSNAMES))
    # word init: n = number of words, the words' token embeddings, shared context
    init = build_model(ctx_init='a_photo of a', n_ctx=16, class_specific=True, num_classes=4)
    learner = init.prompt_learner
    assert (learner.n_ctx, learner.class_specific, learner.prompt_prefix) == (
        4, False, 'a photo of a')
    tokens = init.backbone.tokenize(['a photo of a'])
    assert torch.equal(learner.ctx.detach(), init.backbone.embed_tokens(tokens)[0, 1:5])
    assert set(init.state_dict()) == {'prompt_learner.ctx'}


def test_validation():
    for bad, match in [(dict(class_token_position='left'), 'class_token_position'),
                       (dict(n_ctx=0), 'n_ctx'), (dict(class_specific=True), 'num_classes')]:
        with pytest.raises(ValueError, match=match):
            build_model(**bad)
    csc = build_model(class_specific=True, num_classes=4)
    with pytest.raises(ValueError, match='4 classes, got 2'):
        csc.set_classnames(['cat', 'dog'])
    build_model().set_classnames(['cat', 'dog'])  # a unified context takes any classes


@pytest.mark.parametrize('learner', [dict(), dict(class_specific=True, num_classes=4),
                                     dict(class_token_position='middle')])
def test_gradients_and_frozen_weights(learner):
    """Every trainable tensor gets a gradient (every class row with CSC);
    frozen tensors get none and SGD steps leave them unchanged."""
    model = build_model(**learner)
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    frozen_buffers = copy.deepcopy(dict(model.backbone.named_buffers()))
    optim = build_optim_wrapper(model, dict(optimizer=dict(
        type='SGD', lr=0.002, momentum=0.9, weight_decay=5e-4)))
    images, samples = batch()
    model.train()
    for step in range(2):
        losses = model.loss(images, samples)
        assert set(losses) == {'loss_ce'}
        optim.update_params(sum(losses.values()))
        if step == 0:
            trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
            assert list(trainable) == ['prompt_learner.ctx']
    losses = model.loss(images, samples)
    sum(losses.values()).backward()
    grad = model.prompt_learner.ctx.grad
    rows = grad if grad.dim() == 3 else grad[None]
    assert all(r.abs().sum() > 0 for r in rows)
    for name, param in model.named_parameters():
        if not param.requires_grad:
            assert param.grad is None, name
            assert torch.equal(param, frozen[name]), name
    for name, buf in model.backbone.named_buffers():
        assert torch.equal(buf, frozen_buffers[name]), name


def test_eval_is_pure_and_cached():
    model = build_model(class_token_position='front').eval()
    before = copy.deepcopy(model.state_dict())
    images, _ = batch()
    with torch.no_grad():
        first = model(images)
        assert model._eval_text_features is not None
        again = model(images)
    assert torch.equal(first, again)
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key
