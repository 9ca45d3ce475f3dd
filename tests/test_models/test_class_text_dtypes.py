"""Frozen class text embeddings of fp64 / bf16 / fp16 backbones: per-class
sums are accumulated in at least float32, the result comes back in the
backbone's dtype and agrees with the float32 result to the dtype's
rounding."""
import copy

import pytest
import torch

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from projects.hicropl.testing import clip_steps, eps_of, rounding_tolerance, tiny_clip_arch

CLASSES = ['red_fox', 'snowy owl', 'golden retriever']
TEMPLATES = dict(type='TemplateTextEmbeddings',
                 templates=['a photo of a {}.', 'a drawing of a {}.'])


@pytest.fixture(scope='module')
def clip():
    return MODELS.build(dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None))


def test_float64_backbone(clip):
    reference = MODELS.build(TEMPLATES)(clip, CLASSES)
    embed = MODELS.build(TEMPLATES)
    embed(clip, CLASSES)  # cached for the float32 tower
    clip64 = copy.deepcopy(clip).to(torch.float64)
    got = embed(clip64, CLASSES)  # the same instance: no stale float32 entry
    assert got.dtype == torch.float64
    # The float32 result carries the rounding of the fp32 text tower.
    torch.testing.assert_close(got, reference.double(), rtol=0,
                               atol=rounding_tolerance(1.0, clip_steps(clip, 'text')))
    # ... and the float64 one only that of fp64: recomputed, not a cast of it.
    fresh = MODELS.build(TEMPLATES)(copy.deepcopy(clip).to(torch.float64), CLASSES)
    torch.testing.assert_close(got, fresh, rtol=0, atol=rounding_tolerance(
        1.0, clip_steps(clip, 'text'), torch.float64))


def rounded_ops(clip) -> int:
    """Roundings along the longest path of the text tower when every
    operation accumulates in float32 and rounds its output once to the
    half-precision dtype (CPU and GPU matmul, LayerNorm and attention
    kernels do): per block LayerNorm, QKV, attention, output projection,
    residual add, LayerNorm, MLP in, activation, MLP out, residual add;
    then positional add, final LayerNorm, projection and normalisation."""
    return 10 * clip.text_layers + 4


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_half_precision_backbone(clip, dtype):
    reference = MODELS.build(TEMPLATES)(clip, CLASSES)
    got = MODELS.build(TEMPLATES)(copy.deepcopy(clip).to(dtype), CLASSES)
    assert got.dtype == dtype and got.shape == reference.shape
    # Unit-norm rows: each rounding changes a row by at most eps relative to
    # its norm (1); first order, the changes add up.
    tol = rounded_ops(clip) * eps_of(dtype)
    distance = (got.double() - reference.double()).norm(dim=1)
    assert distance.max() <= tol, (distance, tol)
    # The bound tells the classes apart (a wrong row would exceed it).
    assert torch.cdist(reference, reference).fill_diagonal_(2.0).min() > tol


def test_half_precision_classifier_runs():
    """The whole classifier in bfloat16: frozen class features in the
    backbone dtype combine with the prompted ones."""
    torch.manual_seed(0)
    model = MODELS.build(
        dict(type='PromptCLIPClassifier',
             backbone=dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None),
             prompt_learner=dict(type='HiCroPLPromptLearner', n_ctx=4, depth=3,
                                 cross_layer=1, num_heads=4),
             class_text=TEMPLATES)).eval().to(torch.bfloat16)
    model.set_classnames(CLASSES)
    assert model.frozen_text_features.dtype == torch.bfloat16
    with torch.no_grad():
        logits = model(torch.randn(2, 3, 32, 32).to(torch.bfloat16))
    assert logits.dtype == torch.bfloat16 and logits.shape == (2, 3)
    assert torch.isfinite(logits.float()).all()
