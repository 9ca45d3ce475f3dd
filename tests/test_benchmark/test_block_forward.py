"""Exactness of the towers' speed-ups (fp32, tight tolerances).

* ``block_forward`` = open_clip's block, for all positions and for any
  subset of query positions, forward and backward;
* the prompted towers, which compute each block only where a later layer
  reads it (prompt slots are overwritten, the last layer is pooled at one
  token), give the features AND the prompt gradients of a plain
  full-length computation with open_clip's blocks, with and without
  activation checkpointing (``with_cp``);
* the projections stay single matrix products and attention is PyTorch's
  fused kernel (no batched product with a broadcast weight, which is what
  ``nn.MultiheadAttention`` does on batch-first input under autograd);
* frozen image features are computed without autograd in a training step.
"""
import open_clip
import pytest
import torch
from open_clip.transformer import CustomResidualAttentionBlock
from torch.profiler import ProfilerActivity, profile

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from projects.hicropl.models.backbones.prompted_clip import block_forward
from projects.hicropl.testing import clip_steps, rounding_tolerance, tiny_clip_arch

N_CTX = 3
TOL = dict(rtol=0, atol=2e-6)


def build_clip(**kwargs):
    torch.manual_seed(0)
    return MODELS.build(
        dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None, **kwargs))


CLIP = build_clip()


def plain_clip():
    model = open_clip.model.CLIP(**tiny_clip_arch())
    model.load_state_dict(CLIP.clip.state_dict())
    return model.eval().requires_grad_(False)


def causal(length):
    return torch.ones(length, length, dtype=torch.bool).tril()


def float_mask(allowed):
    return torch.zeros(allowed.shape).masked_fill(~allowed, float('-inf'))


# ------------------------------------------------------------- one block
@pytest.mark.parametrize('tower', ['text', 'visual'])
@pytest.mark.parametrize('queries', [None, slice(0, 5), 'index', 'per_sequence'])
def test_block_forward_equals_open_clip_block(tower, queries):
    torch.manual_seed(1)
    if tower == 'text':
        block, allowed = CLIP.clip.transformer.resblocks[1], causal(9)
    else:
        block, allowed = CLIP.clip.visual.transformer.resblocks[1], None
    x = torch.randn(4, 9, block.ln_1.normalized_shape[0], requires_grad=True)
    reference = block(x, attn_mask=None if allowed is None else float_mask(allowed))
    if queries == 'index':
        queries = torch.tensor([0, 4, 5, 8])
        expected = reference[:, queries]
    elif queries == 'per_sequence':
        queries = torch.tensor([[8], [3], [0], [6]])
        expected = reference[torch.arange(4)[:, None], queries]
    else:
        expected = reference if queries is None else reference[:, queries]
    got = block_forward(block, x, queries, allowed)
    torch.testing.assert_close(got, expected, **TOL)
    weights = torch.randn_like(got)
    (grad_expected, ) = torch.autograd.grad((expected * weights).sum(), x)
    (grad_got, ) = torch.autograd.grad((got * weights).sum(), x)
    torch.testing.assert_close(grad_got, grad_expected, **TOL)


def test_other_block_types_run_whole():
    """Blocks other than open_clip's standard one run as they are."""
    torch.manual_seed(2)
    block = CustomResidualAttentionBlock(48, 4, scale_attn=True).eval()
    x = torch.randn(2, 7, 48)
    allowed = causal(7)
    expected = block(x, attn_mask=float_mask(allowed))
    torch.testing.assert_close(
        block_forward(block, x, torch.tensor([0, 6]), allowed), expected[:, [0, 6]], **TOL)


# ------------------------------------------------------- whole towers
def reference_text(model, tokens, prompts):
    """All 77 tokens, every position in every layer, open_clip's blocks;
    ``prompts[l]`` replaces positions 1..n before layer l (l < len)."""
    x = model.token_embedding(tokens)
    for i, block in enumerate(model.transformer.resblocks):
        if i < len(prompts):
            x = torch.cat([x[:, :1], prompts[i].expand(len(tokens), -1, -1),
                           x[:, 1 + N_CTX:]], 1)
        if i == 0:
            x = x + model.positional_embedding
        x = block(x, attn_mask=model.attn_mask)
    x = model.ln_final(x)
    return x[torch.arange(len(tokens)), tokens.argmax(-1)] @ model.text_projection


def reference_image(model, images, prompts):
    """Appended visual prompts, replaced before layers l < len(prompts)."""
    visual = model.visual
    x = visual.conv1(images).flatten(2).transpose(1, 2)
    x = torch.cat([visual.class_embedding.expand(len(images), 1, -1), x], 1)
    x = x + visual.positional_embedding
    x = visual.ln_pre(torch.cat([x, prompts[0].expand(len(images), -1, -1)], 1))
    for i, block in enumerate(visual.transformer.resblocks):
        if 0 < i < len(prompts):
            x = torch.cat([x[:, :-N_CTX], prompts[i].expand(len(images), -1, -1)], 1)
        x = block(x)
    return visual.ln_post(x[:, 0]) @ visual.proj


def make_prompts(width, depth, seed):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(N_CTX, width, generator=g).requires_grad_() for _ in range(depth)]


def assert_same_features_and_grads(got, expected, prompts, tower):
    """Equal up to fp32 rounding along the tower (forward; and back for
    the gradients): projects.hicropl.testing.tolerance."""
    steps = clip_steps(CLIP, tower)
    torch.testing.assert_close(got, expected, rtol=0, atol=rounding_tolerance(expected, steps))
    weights = torch.randn(got.shape, generator=torch.Generator().manual_seed(3))
    grads = torch.autograd.grad((got * weights).sum(), prompts)
    ref_grads = torch.autograd.grad((expected * weights).sum(), prompts)
    for grad, ref in zip(grads, ref_grads):
        torch.testing.assert_close(grad, ref, rtol=0, atol=rounding_tolerance(ref, 2 * steps))


@pytest.mark.parametrize('depth', [3, 2, 1])
@pytest.mark.parametrize('with_cp', [False, True])
def test_prompted_text_tower(depth, with_cp):
    """Names of different lengths (EOT at different positions); prompts in
    some or all layers; checkpointed or not."""
    clip = build_clip(with_cp=with_cp)
    tokens = clip.tokenize(['X X X cat.', 'X X X small grey cat on a mat.', 'X X X a b c d e.'])
    prompts = make_prompts(48, depth, seed=depth)
    assert_same_features_and_grads(
        clip.encode_text(tokens, prompts), reference_text(plain_clip(), tokens, prompts),
        prompts, 'text')


@pytest.mark.parametrize('depth', [3, 2, 1])
def test_prompted_image_tower(depth):
    images = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(4))
    prompts = make_prompts(64, depth, seed=10 + depth)
    assert_same_features_and_grads(
        CLIP.encode_image(images, prompts), reference_image(plain_clip(), images, prompts),
        prompts, 'image')


def test_frozen_towers_equal_plain_open_clip():
    images = torch.randn(3, 3, 32, 32, generator=torch.Generator().manual_seed(5))
    tokens = CLIP.tokenize(['a dog.', 'a photo of a small red fox in the snow.'])
    model = plain_clip()
    with torch.no_grad():
        expected = model.encode_image(images)
        torch.testing.assert_close(CLIP.encode_image(images), expected, rtol=0,
                                   atol=rounding_tolerance(expected, clip_steps(CLIP, 'image')))
        expected = model.encode_text(tokens)
        torch.testing.assert_close(CLIP.encode_text(tokens), expected, rtol=0,
                                   atol=rounding_tolerance(expected, clip_steps(CLIP, 'text')))


# ------------------------------------------------------ kernels, autograd
def test_projections_are_matrix_products_and_attention_is_fused():
    images = torch.randn(2, 3, 32, 32)
    tokens = CLIP.tokenize(['X X X cat.', 'X X X dog.'])
    text_prompts, visual_prompts = make_prompts(48, 3, 0), make_prompts(64, 3, 1)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        loss = CLIP.encode_text(tokens, text_prompts).sum() + CLIP.encode_image(
            images, visual_prompts).sum()
        loss.backward()
    ops = {event.key for event in prof.key_averages()}
    assert 'aten::scaled_dot_product_attention' in ops
    assert 'aten::_scaled_dot_product_flash_attention_for_cpu_backward' in ops
    assert 'aten::bmm' not in ops  # no broadcast-weight batched products


def test_frozen_image_features_without_autograd():
    torch.manual_seed(0)
    model = MODELS.build(
        dict(type='PromptCLIPClassifier',
             backbone=dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None),
             prompt_learner=dict(type='HiCroPLPromptLearner', n_ctx=N_CTX, depth=3,
                                 cross_layer=1, num_heads=4),
             class_text=dict(type='TemplateTextEmbeddings'),
             classnames=['cat', 'dog'],
             head=dict(type='FusedFrozenHead'),
             losses=[dict(type='LogitsLoss'),
                     dict(type='ConsistencyLoss', loss_weight=12.0)]))
    model.train()
    features = model.forward_features(torch.randn(2, 3, 32, 32))
    assert features.frozen_image.grad_fn is None
    assert not features.frozen_image.requires_grad
    assert features.image_raw.requires_grad
    losses = model.loss(torch.randn(2, 3, 32, 32),
                        [DataSample().set_gt_label(i) for i in range(2)])
    sum(losses.values()).backward()
    assert all(p.grad is None for p in model.backbone.parameters())
