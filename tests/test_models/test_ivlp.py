"""IVLP prompt learner on a tiny CLIP: shapes, the authors' word init,
prompts inserted where their code inserts them, gradients only where they
belong (fp64, so a true zero is told from rounding noise), frozen tensors
untouched."""
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
             prompt_learner=dict(dict(type='IVLPPromptLearner', text_depth=3, vision_depth=2),
                                 **learner),
             classnames=CLASSNAMES))


def batch(n=4, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    images = torch.randn(n, 3, 32, 32, generator=g, dtype=dtype)
    return images, [DataSample().set_gt_label(i % len(CLASSNAMES)) for i in range(n)]


def test_shapes_and_init():
    model = build_model(n_ctx_text=3, n_ctx_vision=5, ctx_init='')
    learner, clip = model.prompt_learner, model.backbone
    assert learner.ctx.shape == (3, clip.text_width)
    assert [tuple(p.shape) for p in learner.text_prompts] == [(3, clip.text_width)] * 2
    assert [tuple(p.shape) for p in learner.visual_prompts] == [(5, clip.vision_width)] * 2
    assert learner.class_prompt_template() == 'X X X {}.'
    prompts = learner()
    assert len(prompts.text) == 3 and len(prompts.visual) == 2 and not prompts.text_per_image
    images, _ = batch(3)
    assert model(images).shape == (3, len(CLASSNAMES))
    assert set(model.state_dict()) == {
        'prompt_learner.ctx', 'prompt_learner.text_prompts.0', 'prompt_learner.text_prompts.1',
        'prompt_learner.visual_prompts.0', 'prompt_learner.visual_prompts.1'}


def test_word_init_as_the_authors():
    """n_t <= 4: ctx = embeddings of the first n_t tokens, prefix = the WHOLE
    init (leftover words stay as fixed tokens); n_t > 4: random, 'X' prefix."""
    model = build_model(n_ctx_text=2, ctx_init='a_photo of a')
    learner, clip = model.prompt_learner, model.backbone
    assert learner.prompt_prefix == 'a photo of a'
    tokens = clip.tokenize(['a photo of a'])
    assert torch.equal(learner.ctx.detach(), clip.embed_tokens(tokens)[0, 1:3])
    assert torch.equal(model.class_tokens[:, :5], tokens[:, :5].expand(4, 5))
    long = build_model(n_ctx_text=5, ctx_init='a photo of a').prompt_learner
    assert long.prompt_prefix == 'X X X X X'
    assert long.ctx.detach().std() < 0.05  # N(0, 0.02), not word embeddings


def test_prompts_reach_the_layers_they_belong_to():
    """The image tower sees the visual prompts only where they are inserted:
    vision_depth 0 is the plain tower; a text prompt of layer l changes the
    text features, the image features stay."""
    model = build_model(vision_depth=0)
    assert model.prompt_learner().visual == []
    images, _ = batch(2)
    with torch.no_grad():
        plain = model.backbone.encode_image(images)
        assert torch.equal(model.backbone.encode_image(images, model.prompt_learner().visual),
                           plain)
        text = model.encode_class_prompts(model.prompt_learner())
        model.prompt_learner.text_prompts[1].add_(1.0)
        assert not torch.allclose(model.encode_class_prompts(model.prompt_learner()), text)


@pytest.mark.parametrize('learner', [dict(), dict(n_ctx_text=2, n_ctx_vision=3, ctx_init=''),
                                     dict(text_depth=1, vision_depth=3)])
def test_gradients_and_frozen_weights(learner):
    """In fp64 every row of every prompt gets a non-zero gradient; frozen
    tensors get none and SGD steps leave them (and the buffers) unchanged."""
    model = build_model(**learner).double()
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    frozen_buffers = copy.deepcopy(dict(model.backbone.named_buffers()))
    optim = build_optim_wrapper(model, dict(optimizer=dict(
        type='SGD', lr=0.0025, momentum=0.9, weight_decay=5e-4)))
    images, samples = batch(dtype=torch.float64)
    model.train()
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    depth_t, depth_v = model.prompt_learner.text_depth, model.prompt_learner.vision_depth
    assert len(trainable) == depth_t + depth_v
    assert all(n.startswith('prompt_learner.') for n in trainable)
    for _ in range(2):
        losses = model.loss(images, samples)
        assert set(losses) == {'loss_ce'}
        optim.update_params(sum(losses.values()))
    sum(model.loss(images, samples).values()).backward()
    for name, param in trainable.items():
        assert param.grad is not None, name
        assert (param.grad.abs().sum(-1) > 0).all(), name
    for name, param in model.named_parameters():
        if not param.requires_grad:
            assert param.grad is None, name
            assert torch.equal(param, frozen[name]), name
    for name, buf in model.backbone.named_buffers():
        assert torch.equal(buf, frozen_buffers[name]), name


def test_validation():
    for bad, match in [(dict(text_depth=0), 'text_depth'), (dict(text_depth=4), 'text_depth'),
                       (dict(vision_depth=4), 'vision_depth'), (dict(n_ctx_text=0), 'n_ctx_text'),
                       (dict(n_ctx_vision=0), 'n_ctx_vision')]:
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
