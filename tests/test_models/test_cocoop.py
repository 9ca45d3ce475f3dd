"""CoCoOp prompt learner on a tiny CLIP: shapes, the meta-net's per-image
context, chunked per-image text encoding, gradients only where they
belong (fp64), frozen tensors untouched."""
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


def build_model(text_chunk_images=1, **learner):
    torch.manual_seed(0)
    return MODELS.build(
        dict(type='PromptCLIPClassifier',
             backbone=dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None),
             prompt_learner=dict(dict(type='CoCoOpPromptLearner', n_ctx=4), **learner),
             text_chunk_images=text_chunk_images,
             classnames=CLASSNAMES))


def batch(n=4, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    images = torch.randn(n, 3, 32, 32, generator=g, dtype=dtype)
    return images, [DataSample().set_gt_label(i % len(CLASSNAMES)) for i in range(n)]


def test_shapes_and_dimensions_from_the_backbone():
    model = build_model()
    clip, learner = model.backbone, model.prompt_learner
    assert learner.ctx.shape == (4, clip.text_width)
    assert learner.meta_net.linear1.weight.shape == (clip.embed_dim // 16, clip.embed_dim)
    assert learner.meta_net.linear2.weight.shape == (clip.text_width, clip.embed_dim // 16)
    assert learner.needs == {'frozen_image'} and not learner.is_pure
    images, _ = batch(3)
    frozen = model.frozen_features(images)['frozen_image']
    prompts = learner(frozen_image=frozen)
    assert prompts.text_per_image and prompts.visual == []
    assert prompts.text[0].shape == (3, 4, clip.text_width)
    # Eq. 4: the same per-image bias on every context token
    bias = learner.meta_net(frozen)
    assert torch.equal(prompts.text[0], learner.ctx[None] + bias[:, None])
    features = model.forward_features(images)
    assert features.text_raw.shape == (3, len(CLASSNAMES), clip.embed_dim)
    assert features.logits.shape == (3, len(CLASSNAMES))
    assert set(model.state_dict()) == {
        'prompt_learner.ctx', 'prompt_learner.meta_net.linear1.weight',
        'prompt_learner.meta_net.linear1.bias', 'prompt_learner.meta_net.linear2.weight',
        'prompt_learner.meta_net.linear2.bias'}
    init = build_model(ctx_init='a_photo of a', n_ctx=16)
    assert (init.prompt_learner.n_ctx, init.prompt_learner.prompt_prefix) == (4, 'a photo of a')
    with pytest.raises(ValueError, match='reduction'):
        build_model(reduction=10 ** 6)


def test_logits_are_per_image_class_prompts():
    """logits[b] equal the frozen text tower on image b's own prompts (Eq. 5),
    whatever the number of images per text-tower call."""
    images, _ = batch(5)
    outs = []
    for chunk in (1, 2, 5, 8):
        model = build_model(text_chunk_images=chunk).eval()
        with torch.no_grad():
            outs.append(model.forward_features(images))
    with torch.no_grad():
        frozen = model.frozen_features(images)['frozen_image']
        shifted = model.prompt_learner(frozen_image=frozen).text[0]
        for b in range(5):
            text = F.normalize(model.backbone.encode_text(model.class_tokens, [shifted[b]]), dim=-1)
            expected = model.backbone.logit_scale.exp() * frozen[b] @ text.t()
            torch.testing.assert_close(outs[-1].logits[b], expected, rtol=0, atol=1e-4)
    for out in outs[:-1]:
        torch.testing.assert_close(out.logits, outs[-1].logits, rtol=0, atol=1e-4)
    assert model._eval_text_features is None  # never cached: depends on the image


def test_gradients_and_frozen_weights_fp64():
    """In fp64 every trainable tensor gets a non-zero gradient (a true zero
    is told from rounding noise); frozen tensors get none and SGD steps leave
    them unchanged."""
    model = build_model(text_chunk_images=3).double()
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    frozen_buffers = copy.deepcopy(dict(model.backbone.named_buffers()))
    optim = build_optim_wrapper(model, dict(optimizer=dict(
        type='SGD', lr=0.002, momentum=0.9, weight_decay=5e-4)))
    images, samples = batch(dtype=torch.float64)
    model.train()
    for _ in range(2):
        losses = model.loss(images, samples)
        assert set(losses) == {'loss_ce'}
        optim.update_params(sum(losses.values()))
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert sorted(trainable) == sorted(model.state_dict())
    optim.zero_grad()
    sum(model.loss(images, samples).values()).backward()
    for name, param in trainable.items():
        assert param.grad is not None and param.grad.abs().max() > 1e-12, name
    # every context token and every meta-net output unit takes part
    assert (model.prompt_learner.ctx.grad.abs().sum(-1) > 0).all()
    assert (model.prompt_learner.meta_net.linear2.bias.grad.abs() > 0).all()
    for name, param in model.named_parameters():
        if not param.requires_grad:
            assert param.grad is None, name
            assert torch.equal(param, frozen[name]), name
    for name, buf in model.backbone.named_buffers():
        assert torch.equal(buf, frozen_buffers[name]), name


def test_eval_changes_nothing():
    model = build_model().eval()
    before = copy.deepcopy(model.state_dict())
    images, _ = batch()
    with torch.no_grad():
        first, again = model(images), model(images)
    assert torch.equal(first, again)
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key
