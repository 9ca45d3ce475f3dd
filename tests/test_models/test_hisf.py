"""HISF on a tiny CLIP: shapes, Eq. 2-8 against a hand computation, the
prompts as a function of the class set (never of the label), the losses of
Eq. 9-10 on hand-computed tensors, gradients of every trainable tensor (fp64,
so a true zero is told from rounding noise) and frozen tensors untouched."""
import copy
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import build_optim_wrapper

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from projects.hicropl.models.prompt_learners import LabelSemanticFusion
from projects.hicropl.models.utils import Features
from projects.hicropl.testing import tiny_clip_arch

CLASSNAMES = ['red_fox', 'hot air balloon', 'owl', 'sea turtle']
LOSSES = [dict(type='LogitsLoss'), dict(type='LabelEmbeddingLoss', loss_weight=0.5),
          dict(type='SemanticAlignmentLoss', loss_weight=2.0)]


def build_model(**learner):
    torch.manual_seed(0)
    return MODELS.build(
        dict(type='PromptCLIPClassifier',
             backbone=dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None),
             prompt_learner=dict(dict(type='HISFPromptLearner', depth=3), **learner),
             class_text=dict(type='TemplateTextEmbeddings', templates='a photo of a {}.'),
             losses=LOSSES, classnames=CLASSNAMES))


def batch(n=4, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    images = torch.randn(n, 3, 32, 32, generator=g, dtype=dtype)
    return images, [DataSample().set_gt_label(i % len(CLASSNAMES)) for i in range(n)]


def test_shapes_and_shared_initialisation():
    model = build_model(n_ctx=2, fusion_layers=[1])
    learner, clip = model.prompt_learner, model.backbone
    wt, wv, d = clip.text_width, clip.vision_width, clip.embed_dim
    assert [tuple(p.shape) for p in learner.shared_prompts] == [(2, wt)] * 3
    assert set(learner.text_fusions) == set(learner.visual_fusions) == {'1'}
    prompts = learner(frozen_text=model.frozen_text_features)
    assert [tuple(p.shape) for p in prompts.text] == [(2, wt)] * 3
    assert [tuple(p.shape) for p in prompts.visual] == [(2, wv)] * 3
    assert prompts.aux['label_space_prompts'].shape == (3, d)
    # Eq. 2 on the layers that do not fuse; W_t starts as the identity, so
    # the layer-0 text prompt starts as the words of ctx_init
    for layer in (0, 2):
        shared = learner.shared_prompts[layer]
        assert torch.equal(prompts.text[layer], learner.text_projections[layer](shared))
        assert torch.equal(prompts.visual[layer], learner.visual_projections[layer](shared))
    words = clip.embed_tokens(clip.tokenize(['a photo of a']))[0, 1:3]
    assert torch.allclose(prompts.text[0], words, rtol=0, atol=1e-6)
    assert learner.class_prompt_template() == 'a photo of a {}.'
    images, _ = batch(3)
    assert model(images).shape == (3, len(CLASSNAMES))
    assert set(model.state_dict()) == {
        n for n, _ in learner.named_parameters(prefix='prompt_learner')}


def test_fusion_is_equations_3_to_8():
    """LabelSemanticFusion equals Eq. 3-8 written out on small fp64 tensors."""
    torch.manual_seed(1)
    width, dim, n, classes = 6, 4, 3, 5
    fusion = LabelSemanticFusion(width, dim, bottleneck=2).double()
    prompt = torch.randn(n, width, dtype=torch.float64)
    labels = F.normalize(torch.randn(classes, dim, dtype=torch.float64), dim=-1)
    att = fusion.attention
    q = F.layer_norm(prompt, (width, ), att.norm.weight, att.norm.bias) @ att.query.weight.t()
    k = labels @ att.keys[0].weight.t()  # Eq. 4
    v = labels @ att.values[0].weight.t()  # Eq. 5
    a = torch.softmax(q @ k.t() / math.sqrt(width), dim=-1)  # Eq. 6
    fused = prompt + a @ v  # Eq. 7
    first, _, second = fusion.mlp
    hidden = F.gelu(torch.cat([fused, a @ labels], -1) @ first.weight.t() + first.bias)
    expected = fused + hidden @ second.weight.t() + second.bias  # Eq. 8
    assert torch.allclose(fusion(prompt, labels), expected, rtol=0, atol=1e-12)


def test_prompts_follow_the_class_set_not_the_label():
    """The prompts depend on the classes being scored (all of them), so a new
    class list changes them, and the same class list gives the same prompts
    whatever the images; evaluation encodes the class prompts once."""
    model = build_model().eval()
    learner = model.prompt_learner
    with torch.no_grad():
        before = learner(frozen_text=model.frozen_text_features)
        model.set_classnames(CLASSNAMES[:3])
        after = learner(frozen_text=model.frozen_text_features)
        for old, new in zip(before.text + before.visual, after.text + after.visual):
            assert not torch.equal(old, new)
        images, _ = batch()
        first = model(images)
        cached = model._eval_text_features
        assert cached is not None
        assert torch.equal(first, model(images))
        assert model._eval_text_features is cached  # encoded once


def test_label_space_prompts_are_the_frozen_text_output_map():
    """Eq. 9's P_final in the label space: each layer's final text prompt
    through the frozen ln_final and text_projection, token mean, unit norm."""
    model = build_model()
    learner, clip = model.prompt_learner, model.backbone.clip
    prompts = learner(frozen_text=model.frozen_text_features)
    mapped = clip.ln_final(torch.stack(prompts.text)) @ clip.text_projection
    expected = F.normalize(mapped.mean(-2), dim=-1)
    assert torch.allclose(prompts.aux['label_space_prompts'], expected, rtol=0, atol=1e-6)


def features(**kwargs):
    return Features(image_raw=None, text_raw=None, logit_scale=torch.tensor(0.), **kwargs)


def test_label_embedding_loss_is_equation_9():
    """L_le = 1/(N J) sum_i sum_l ||P^l - E_{y_i}||_2, times lambda_1."""
    loss = MODELS.build(dict(type='LabelEmbeddingLoss', loss_weight=0.5))
    frozen_text = torch.tensor([[1., 0.], [0., 1.], [0.6, 0.8]])
    prompts = torch.tensor([[1., 0.], [0., 1.]])  # J = 2
    labels = torch.tensor([0, 2])
    # sample 0: distances 0 and sqrt(2); sample 1: sqrt(0.16 + 0.64), sqrt(0.36 + 0.04)
    expected = 0.5 * (0 + math.sqrt(2) + math.sqrt(0.8) + math.sqrt(0.4)) / 4
    out = loss(features(frozen_text=frozen_text,
                        learner_aux={'label_space_prompts': prompts}), labels)
    assert set(out) == {'loss_le'}
    assert out['loss_le'].item() == pytest.approx(expected, rel=1e-6)


def test_semantic_alignment_loss_is_equation_10():
    """L_sa = 1/N sum_i (1 - cos(z_v^i, z_t^{y_i})), times lambda_2; also for
    per-image class features [B, C, D]."""
    loss = MODELS.build(dict(type='SemanticAlignmentLoss', loss_weight=2.0))
    image = torch.tensor([[1., 0.], [0., 2.]])
    text = torch.tensor([[1., 0.], [1., 1.]])
    labels = torch.tensor([0, 1])
    expected = 2.0 * ((1 - 1) + (1 - 1 / math.sqrt(2))) / 2
    out = loss(features(image=image, text=text), labels)
    assert out['loss_sa'].item() == pytest.approx(expected, rel=1e-6)
    per_image = torch.stack([text, text.flip(0)])  # image 1 gets [1, 0] as class 1
    out = loss(features(image=image, text=per_image), labels)
    assert out['loss_sa'].item() == pytest.approx(2.0 * (0 + 1) / 2, rel=1e-6)


@pytest.mark.parametrize('learner', [dict(), dict(fusion_layers=[0, 2], n_ctx=3, ctx_init='')])
def test_gradients_and_frozen_weights(learner):
    """In fp64 every trainable tensor gets a non-zero gradient from the
    three losses (Eq. 12); frozen tensors get none and SGD steps leave them
    and the backbone buffers unchanged."""
    model = build_model(**learner).double()
    model.set_classnames(CLASSNAMES[::-1])  # frozen label embeddings in fp64
    frozen = {n: p.detach().clone() for n, p in model.named_parameters() if not p.requires_grad}
    frozen_buffers = copy.deepcopy(dict(model.backbone.named_buffers()))
    optim = build_optim_wrapper(model, dict(optimizer=dict(
        type='SGD', lr=0.0035, momentum=0.9, weight_decay=5e-4)))
    images, samples = batch(dtype=torch.float64)
    model.train()
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(n.startswith('prompt_learner.') for n in trainable)
    for _ in range(2):
        losses = model.loss(images, samples)
        assert set(losses) == {'loss_ce', 'loss_le', 'loss_sa'}
        optim.update_params(sum(losses.values()))
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
                       (dict(n_ctx=0), 'n_ctx'), (dict(fusion_layers=[3]), 'fusion_layers'),
                       (dict(fusion_layers=[1, 1]), 'fusion_layers'),
                       (dict(bottleneck_reduction=0), 'bottleneck')]:
        with pytest.raises(ValueError, match=match):
            build_model(**bad)
