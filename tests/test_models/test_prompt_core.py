"""The method-agnostic core: class-prompt layouts, context slots anywhere in
the text tower, per-class and per-image text prompts, the eval text cache."""
import pytest
import torch
import torch.nn as nn

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from projects.hicropl.models.prompt_learners import BasePromptLearner, PromptSet
from projects.hicropl.models.utils import ClassPromptError, build_class_prompts
from projects.hicropl.testing import tiny_clip_arch

torch.manual_seed(0)
CLIP = MODELS.build(dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None))
W = CLIP.text_width
CLASSNAMES = ['red_fox', 'hot air balloon', 'owl']
# Features of a 3-layer tiny tower are O(1); two fp32 evaluations of the same
# math in another order differ by a few ulps per layer (<< 1e-5).
TOL = dict(rtol=0, atol=1e-5)


def layout(position, n_ctx=4, template=None):
    template = template or ' '.join(['X'] * n_ctx + ['{}.'])
    return build_class_prompts(CLIP.tokenizer, template, CLASSNAMES, n_ctx, position,
                               CLIP.context_length)


def test_layouts_match_coop_token_order():
    """CoOp's layouts: the reordered tokens are those of the prompt written in
    that order, and the context slots are where the placeholders went."""
    x_id = int(CLIP.tokenize(['X'])[0, 1])
    for position, n_ctx, text in [('end', 4, 'X X X X {}.'), ('middle', 4, 'X X {} X X.'),
                                  ('middle', 5, 'X X {} X X X.'), ('front', 3, '{} X X X.')]:
        tokens, ctx_index = layout(position, n_ctx)
        expected = CLIP.tokenize([text.format(c.replace('_', ' ')) for c in CLASSNAMES])
        assert torch.equal(tokens, expected), position
        assert ctx_index.shape == (len(CLASSNAMES), n_ctx)
        assert (tokens.gather(1, ctx_index) == x_id).all()
        assert (tokens == x_id).sum() == len(CLASSNAMES) * n_ctx
    with pytest.raises(ClassPromptError, match='class_token_position'):
        layout('left')
    with pytest.raises(ClassPromptError, match='do not fit'):
        build_class_prompts(CLIP.tokenizer, 'X {}.', ['word ' * 80], 1, 'end', 77)


def test_context_slots_anywhere():
    """The scatter path (``ctx_index``) with the default slots equals the
    slice path; other slots put the prompt elsewhere."""
    tokens, ctx_index = layout('end')
    prompts = [torch.randn(4, W), None, torch.randn(4, W)]
    with torch.no_grad():
        sliced = CLIP.encode_text(tokens, prompts)
        scattered = CLIP.encode_text(tokens, prompts, ctx_index)
        torch.testing.assert_close(scattered, sliced, **TOL)
        embeds = CLIP.embed_text(tokens, prompts[0], ctx_index)
        torch.testing.assert_close(embeds[:, 1:5], prompts[0].expand(3, -1, -1), rtol=0, atol=0)
        middle, middle_index = layout('middle')
        embeds = CLIP.embed_text(middle, prompts[0], middle_index)
        for c in range(len(CLASSNAMES)):
            assert torch.equal(embeds[c, middle_index[c]], prompts[0])
        moved = CLIP.encode_text(middle, prompts, middle_index)
        assert not torch.allclose(moved, sliced, **TOL)


def test_per_class_prompts_and_gradients():
    """[C, n, W] text prompts: row c of the prompt is class c's context, and
    only it receives class c's gradient."""
    tokens, ctx_index = layout('front', 3)
    ctx = torch.randn(3, 3, W, requires_grad=True)
    features = CLIP.encode_text(tokens, [ctx], ctx_index)
    with torch.no_grad():
        for c in range(3):
            alone = CLIP.encode_text(tokens[c:c + 1], [ctx[c]], ctx_index[c:c + 1])
            torch.testing.assert_close(features[c:c + 1], alone, **TOL)
    features[1].sum().backward()
    assert ctx.grad[1].abs().sum() > 0
    assert ctx.grad[0].abs().sum() == 0 and ctx.grad[2].abs().sum() == 0


@MODELS.register_module(force=True)
class ImageConditionedTestLearner(BasePromptLearner):
    """A per-image text prompt: a shared context shifted by a projection of
    the frozen image features (CoCoOp's shape of computation)."""
    needs = frozenset({'frozen_image'})

    def __init__(self, clip, n_ctx=2):
        super().__init__()
        self.n_ctx = n_ctx
        self.ctx = nn.Parameter(torch.randn(n_ctx, clip.text_width) * 0.02)
        self.shift = nn.Linear(clip.embed_dim, clip.text_width)

    def check_classnames(self, classnames):
        if 'forbidden' in classnames:
            raise ValueError('forbidden class')

    def forward(self, frozen_image):
        ctx = self.ctx + self.shift(frozen_image)[:, None]  # shape = [B, n, W]
        return PromptSet(text=[ctx], visual=[], text_per_image=True)


def test_image_conditioned_prompts_are_chunked():
    cfg = dict(type='PromptCLIPClassifier',
               backbone=dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None),
               prompt_learner=dict(type='ImageConditionedTestLearner'),
               classnames=CLASSNAMES)
    torch.manual_seed(1)
    one = MODELS.build(dict(cfg, text_chunk_images=1))
    two = MODELS.build(dict(cfg, text_chunk_images=2))
    two.load_state_dict(one.state_dict())
    calls = []
    encode_text = one.backbone.encode_text
    one.backbone.encode_text = lambda *a: calls.append(a[0].shape[0]) or encode_text(*a)
    images = torch.randn(3, 3, 32, 32)
    features = one.forward_features(images)
    assert features.text.shape == (3, len(CLASSNAMES), one.backbone.embed_dim)
    assert calls == [len(CLASSNAMES)] * 3  # one image's class prompts per call
    torch.testing.assert_close(two.forward_features(images).logits, features.logits, **TOL)
    # image b is scored against its own class features
    prompts = one.prompt_learner(frozen_image=features.frozen_image)
    with torch.no_grad():
        own = encode_text(one.class_tokens, [prompts.text[0][1]])
    torch.testing.assert_close(features.text_raw[1], own, **TOL)
    one.eval()
    with torch.no_grad():
        one(images)
    assert one._eval_text_features is None  # never cached: depends on the image
    samples = [DataSample().set_gt_label(i) for i in range(3)]
    one.train()
    sum(one.loss(images, samples).values()).backward()
    learner = one.prompt_learner
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in learner.parameters())
    with pytest.raises(ValueError, match='forbidden'):  # the learner vets class lists
        one.set_classnames(['owl', 'forbidden'])
    assert one.classnames == CLASSNAMES
