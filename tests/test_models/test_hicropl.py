"""HiCroPL prompt learner, classifier and consistency loss on a tiny CLIP."""
import copy

import pytest
import torch

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from projects.hicropl.models.utils import Features
from projects.hicropl.testing import (clip_steps, rounding_tolerance, softmax_tolerance,
                                      tiny_clip_arch)

CLASSNAMES = ['red_fox', 'snowy owl', 'golden_retriever', 'sea turtle']


def build_model(tmp_path=None, **learner):
    torch.manual_seed(0)
    learner_cfg = dict(type='HiCroPLPromptLearner', n_ctx=4, depth=3, cross_layer=1,
                       num_heads=4)
    learner_cfg.update(learner)
    return MODELS.build(
        dict(
            type='PromptCLIPClassifier',
            backbone=dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None),
            prompt_learner=learner_cfg,
            class_text=dict(type='TemplateTextEmbeddings',
                            templates=['a photo of a {}.', 'a drawing of a {}.']),
            classnames=CLASSNAMES,
            head=dict(type='FusedFrozenHead'),
            losses=[dict(type='LogitsLoss'),
                    dict(type='ConsistencyLoss', loss_weight=12.0)]))


def batch(n=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    images = torch.randn(n, 3, 32, 32, generator=g)
    samples = [DataSample().set_gt_label(i % len(CLASSNAMES)) for i in range(n)]
    return images, samples


@pytest.mark.parametrize('depth,k,n_ctx', [(1, 0, 2), (1, 1, 2), (2, 1, 4), (3, 0, 3),
                                           (3, 3, 1), (3, 2, 5)])
def test_learner_shapes(depth, k, n_ctx):
    model = build_model(depth=depth, cross_layer=k, n_ctx=n_ctx)
    learner = model.prompt_learner
    assert len(learner.text_prompts) == len(learner.visual_prompts) == depth
    assert len(learner.text_proxies) == k and len(learner.visual_proxies) == depth - k
    assert (learner.text_to_visual is None) == (k == 0)
    assert (learner.visual_to_text is None) == (k == depth)
    prompts = learner()
    assert [tuple(t.shape) for t in prompts.text] == [(n_ctx, 48)] * depth
    assert [tuple(v.shape) for v in prompts.visual] == [(n_ctx, 64)] * depth
    # mapped layers are mapper outputs, the others the parameters themselves
    for i in range(depth):
        assert (prompts.visual[i] is learner.visual_prompts[i]) == (i >= k)
        assert (prompts.text[i] is learner.text_prompts[i]) == (i < k)
    images, _ = batch(2)
    assert model(images).shape == (2, len(CLASSNAMES))


def test_learner_validation():
    for bad, match in [(dict(cross_layer=4), 'cross_layer'), (dict(depth=4), 'depth=4'),
                       (dict(n_ctx=0), 'n_ctx'), (dict(num_heads=5), 'num_heads'),
                       (dict(ctx_init='a photo of a', n_ctx=5), 'ctx_init')]:
        with pytest.raises(ValueError, match=match):
            build_model(**bad)


def test_ctx_init_and_prefix():
    model = build_model(ctx_init='a photo of a', n_ctx=2)
    learner = model.prompt_learner
    assert learner.prompt_prefix == 'a photo of a'
    tokens = model.backbone.tokenize(['a photo of a'])
    expected = model.backbone.embed_tokens(tokens)[0, 1:3]
    torch.testing.assert_close(learner.text_prompts[0].detach(), expected)
    assert build_model().prompt_learner.prompt_prefix == 'X X X X'


def _single_source_keys(learner):
    """Key projections of mappers that attend to ONE proxy: the softmax over
    a single key is 1 whatever the key, so their true gradient is 0."""
    mappers = [(learner.text_to_visual, len(learner.text_proxies)),
               (learner.visual_to_text, len(learner.visual_proxies))]
    return {id(p) for mapper, sources in mappers if mapper is not None and sources == 1
            for p in mapper.linear_k.parameters()}


@pytest.mark.parametrize('depth,k', [(3, 1), (3, 2), (2, 1), (1, 0), (1, 1), (3, 0), (3, 3)])
def test_paper_every_parameter_gets_gradient(depth, k):
    # In fp64 a gradient whose true value is 0 holds rounding noise of at
    # most `noise` (both towers, forward and backward, at the scale of the
    # largest gradient), far below any real gradient of this model.
    model = build_model(depth=depth, cross_layer=k).double()
    images, samples = batch()
    losses = model.loss(images.double(), samples)
    sum(losses.values()).backward()
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    assert all(n.startswith('prompt_learner.') for n, _ in trainable)
    assert all(p.grad is not None for _, p in trainable)
    scale = max(p.grad.abs().max().item() for _, p in trainable)
    noise = rounding_tolerance(scale, 2 * clip_steps(model.backbone, 'both'), torch.float64)
    zero = _single_source_keys(model.prompt_learner)
    assert len(zero) == 2 * ((k == 1) + (depth - k == 1))
    missing = [n for n, p in trainable if id(p) not in zero and not p.grad.abs().max() > noise]
    assert not missing, f'no gradient: {missing}'
    nonzero = [n for n, p in trainable if id(p) in zero and p.grad.abs().max() > noise]
    assert not nonzero, f'gradient where the math gives none: {nonzero}'
    assert all(p.grad is None for n, p in model.named_parameters() if not p.requires_grad)


def test_paper_eval_is_pure_and_batch_independent():
    model = build_model().eval()
    before = copy.deepcopy(model.state_dict())
    images, samples = batch(8)
    with torch.no_grad():
        full = torch.cat([s.pred_score[None] for s in model.predict(images)])
        model.train().eval()  # drops the per-evaluation text cache
        parts = [model.predict(images[i:i + 3]) for i in range(0, 8, 3)]
        split = torch.cat([s.pred_score[None] for p in parts for s in p])
        reversed_ = torch.cat([s.pred_score[None] for s in model.predict(images.flip(0))])
    # other batch shapes run other kernels: scores differ by rounding only
    logits = model(images)
    tol = softmax_tolerance(rounding_tolerance(logits, clip_steps(model.backbone, 'both')))
    torch.testing.assert_close(full, split, rtol=0, atol=tol)
    torch.testing.assert_close(full, reversed_.flip(0), rtol=0, atol=tol)
    top2 = full.topk(2, dim=1).values
    clear = (top2[:, 0] - top2[:, 1]) > 2 * tol  # no tie that rounding may flip
    assert torch.equal(full.argmax(1)[clear], split.argmax(1)[clear])
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_cached_eval_text_features_equal_recomputation():
    model = build_model().eval()
    images, _ = batch(4)
    with torch.no_grad():
        first = model(images)
        assert model._eval_text_features is not None
        cached = model(images)
        model._eval_text_features = None
        recomputed = model(images)
    assert torch.equal(first, cached)
    torch.testing.assert_close(cached, recomputed, rtol=0, atol=0)


def test_parts_declare_needs_and_frozen_features_follow():
    model = build_model()
    assert model.needs == {'frozen_image', 'frozen_text'}
    assert model.frozen_text_features.shape == (len(CLASSNAMES), model.backbone.embed_dim)
    cfg = dict(type='PromptCLIPClassifier',
               backbone=dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None),
               prompt_learner=dict(type='HiCroPLPromptLearner', n_ctx=2, depth=2,
                                   cross_layer=1, num_heads=4),
               classnames=CLASSNAMES)
    plain = MODELS.build(cfg)  # CosineHead + cross-entropy: nothing frozen
    assert plain.needs == frozenset() and plain.frozen_text_features.numel() == 0
    images, samples = batch(2)
    for classifier, image_tower_calls in ((plain, 1), (model, 2)):
        calls = []
        encode_image = classifier.backbone.encode_image
        classifier.backbone.encode_image = lambda *a: calls.append(1) or encode_image(*a)
        classifier.forward_features(images)
        assert len(calls) == image_tower_calls  # the frozen tower runs only when needed
    features = plain.forward_features(images)
    assert features.frozen_image is None and features.frozen_text is None
    assert set(plain.loss(images, samples)) == {'loss_ce'}
    with pytest.raises(ValueError, match='class_text'):
        MODELS.build(dict(cfg, head=dict(type='FusedFrozenHead')))


def test_official_mutates_and_has_no_mapper_gradient():
    model = build_model(type='HiCroPLOfficialPromptLearner')
    learner = model.prompt_learner
    # identical start values across layers / proxies (authors' Q1)
    assert torch.equal(learner.visual_prompts[0], learner.visual_prompts[2])
    images, samples = batch()
    v0 = learner.visual_prompts[0].detach().clone()
    sum(model.loss(images, samples).values()).backward()
    assert not torch.equal(v0, learner.visual_prompts[0])  # written in place
    graded = {n for n, p in learner.named_parameters() if p.grad is not None}
    assert graded == {f'text_prompts.{i}' for i in range(3)} | {
        f'visual_prompts.{i}' for i in range(3)}
    model.eval()
    with torch.no_grad():
        a, b = model(images), model(images)
    assert not torch.allclose(a, b)  # evaluation changes the model (Q4)


def test_set_classnames_errors_and_reuse():
    model = build_model()
    with pytest.raises(ValueError, match='empty'):
        model.set_classnames([])
    with pytest.raises(ValueError, match='Duplicate'):
        model.set_classnames(['a', 'b', 'a'])
    with pytest.raises(ValueError, match='do not fit'):
        model.set_classnames(['word ' * 80])
    model.set_classnames(['zebra', 'lion'])
    images, _ = batch(2)
    assert model(images).shape == (2, 2)


@pytest.mark.parametrize('criterion', ['cosine', 'l1', 'mse'])
def test_consistency_loss(criterion):
    loss = MODELS.build(dict(type='ConsistencyLoss', criterion=criterion, loss_weight=2.0))
    a, b = torch.randn(5, 8), torch.randn(5, 8)
    expected = {
        'cosine': 1 - torch.nn.functional.cosine_similarity(a, b).mean(),
        'l1': (a - b).abs().mean(),
        'mse': ((a - b)**2).mean(),
    }[criterion]
    features = Features(image_raw=a, text_raw=a, logit_scale=torch.tensor(0.),
                        text=a, frozen_text=b, image=a, frozen_image=a)
    out = loss(features, torch.zeros(5, dtype=torch.long))
    torch.testing.assert_close(out['loss_text_consistency'], 2 * expected)
    # 1 - cos(a, a) for unit-scale vectors: a dot product and two norms of
    # length 8 in fp32 round to at most 3 * 8 eps, times the loss weight
    zero_tol = 2.0 * rounding_tolerance(1.0, 3 * a.shape[1])
    torch.testing.assert_close(out['loss_image_consistency'], torch.tensor(0.), atol=zero_tol,
                               rtol=0)
    with pytest.raises(ValueError, match='criterion'):
        MODELS.build(dict(type='ConsistencyLoss', criterion='huber'))
