"""The evaluation cache of the class text features follows every change of
what they are computed from, without train()/eval(): load_state_dict on the
prompt learner (what CheckpointMismatchError recommends), in-place copies,
optimizer steps and dtype conversion. Autograd in eval mode is not served
detached cached features."""
import math

import pytest
import torch

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from projects.hicropl.testing import clip_steps, rounding_tolerance, tiny_clip_arch

CLASSNAMES = ['red_fox', 'snowy owl', 'golden_retriever', 'sea turtle']


def build(seed):
    torch.manual_seed(seed)
    return MODELS.build(
        dict(type='PromptCLIPClassifier',
             backbone=dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None),
             prompt_learner=dict(type='HiCroPLPromptLearner', n_ctx=4, depth=3,
                                 cross_layer=1, num_heads=4),
             class_text=dict(type='TemplateTextEmbeddings'),
             classnames=CLASSNAMES)).eval()


def images(dtype=torch.float32):
    return torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(1)).to(dtype)


def logits_tolerance(model, logits, dtype=torch.float32):
    """Two evaluations of the same logits in another operation order: the
    rounding steps of both towers (tolerance module), of the prompt mapper
    (one attention and MLP block over the prompts of all layers; counted as
    one transformer block of the wider tower), scaled to the logits."""
    backbone = model.backbone
    width = max(backbone.text_width, backbone.vision_width)
    learner = model.prompt_learner
    mapper = 4 * width + 2 * width + learner.depth * learner.n_ctx + 4 * width
    return rounding_tolerance(logits, clip_steps(backbone, 'both') + mapper, dtype)


def other_state(model):
    return build(seed=7).prompt_learner.state_dict()


def load_submodule(model):
    model.prompt_learner.load_state_dict(other_state(model))


def copy_in_place(model):
    other = other_state(model)
    with torch.no_grad():
        for name, param in model.prompt_learner.named_parameters():
            param.copy_(other[name])


def optimizer_step(model):
    params = [p for p in model.parameters() if p.requires_grad]
    for param in params:
        param.grad = torch.full_like(param, 0.5)
    torch.optim.AdamW(params, lr=0.05).step()


@pytest.mark.parametrize('change', [load_submodule, copy_in_place, optimizer_step],
                         ids=lambda f: f.__name__)
def test_eval_logits_follow_prompt_changes(change):
    model = build(seed=0)
    with torch.no_grad():
        stale = model(images())  # fills the cache
        change(model)
        got = model(images())
    fresh = build(seed=0)
    fresh.prompt_learner.load_state_dict(model.prompt_learner.state_dict())
    with torch.no_grad():
        expected = fresh(images())
    tol = logits_tolerance(model, expected)
    torch.testing.assert_close(got, expected, rtol=0, atol=tol)
    assert (stale - expected).abs().max() > 10 * tol  # the change matters


def test_eval_logits_follow_dtype_conversion():
    model = build(seed=0)
    with torch.no_grad():
        model(images())
        model.to(torch.float64)
        got = model(images(torch.float64))
    fresh = build(seed=0).to(torch.float64)
    with torch.no_grad():
        expected = fresh(images(torch.float64))
    assert got.dtype == torch.float64
    torch.testing.assert_close(got, expected, rtol=0,
                               atol=logits_tolerance(model, expected, torch.float64))


def test_cache_is_reused_while_nothing_changes():
    model = build(seed=0)
    with torch.no_grad():
        first = model(images())
        cached = model._eval_text_features
        second = model(images())
    assert model._eval_text_features is cached  # not recomputed
    assert torch.equal(first, second)


def test_eval_with_autograd_reaches_the_prompts():
    """Detached cached features would cut the prompts out of the graph."""
    model = build(seed=0)
    for _ in range(2):
        model.zero_grad()
        model(images()).sum().backward()
        grad = model.prompt_learner.text_prompts[2].grad  # text-only layer (k=1)
        assert grad is not None and math.isfinite(grad.norm().item())
        assert grad.abs().sum() > 0
