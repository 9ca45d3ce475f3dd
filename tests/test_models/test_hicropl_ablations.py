"""The HiCroPL ablation switches (paper Tables 4-7, 11-13, Fig. 4) change
what they say, on a tiny CLIP."""
import json

import pytest
import torch
import torch.nn.functional as F

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from projects.hicropl.models.prompt_learners.blocks import MeanProxy, MLPProxy
from projects.hicropl.models.utils import Features
from projects.hicropl.testing import rounding_tolerance, tiny_clip_arch

CLASSNAMES = ['red_fox', 'snowy owl', 'golden_retriever']


def build_learner(**kwargs):
    torch.manual_seed(0)
    clip = MODELS.build(dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None))
    cfg = dict(type='HiCroPLPromptLearner', n_ctx=3, depth=3, cross_layer=1, num_heads=4)
    cfg.update(kwargs)
    return MODELS.build(cfg, default_args=dict(clip=clip))


def depends(output, source):
    """Whether ``output`` depends on ``source`` (exact: None or all-zero
    gradients mean no path, slices of a concatenation give exact zeros)."""
    if not output.requires_grad:
        return False
    (grad, ) = torch.autograd.grad(output.sum(), source, retain_graph=True,
                                   allow_unused=True)
    return grad is not None and bool(grad.abs().max() > 0)


def dependency(learner):
    """``{(target tower, layer): {(source tower, layer), ...}}`` of the
    prompts the towers get on the learnable prompts of the other tower."""
    prompts = learner()
    out = {}
    for tower, given, others, other in (('visual', prompts.visual, learner.text_prompts, 'text'),
                                        ('text', prompts.text, learner.visual_prompts, 'visual')):
        for i, p in enumerate(given):
            out[(tower, i)] = {(other, j) for j, src in enumerate(others) if depends(p, src)}
    return out


def test_default_flow_text_to_image_then_image_to_text():
    dep = dependency(build_learner(depth=3, cross_layer=1))
    assert dep[('visual', 0)] == {('text', 0)}
    assert dep[('visual', 1)] == dep[('visual', 2)] == set() == dep[('text', 0)]
    assert dep[('text', 1)] == dep[('text', 2)] == {('visual', 1), ('visual', 2)}


def test_flow_reversed_order():
    """Table 4, I->T | T->I: layers 0..k-1 image -> text, then text -> image."""
    learner = build_learner(depth=3, cross_layer=1, first_flow='i2t')
    dep = dependency(learner)
    assert dep[('text', 0)] == {('visual', 0)}
    assert dep[('visual', 1)] == dep[('visual', 2)] == {('text', 1), ('text', 2)}
    assert dep[('visual', 0)] == dep[('text', 1)] == dep[('text', 2)] == set()
    assert len(learner.visual_proxies) == 1 and len(learner.text_proxies) == 2


@pytest.mark.parametrize('k,direction', [(0, 'i2t'), (3, 't2i')])
def test_single_direction_in_all_layers(k, direction):
    """Table 4, unidirectional: k = 0 (image -> text) or k = depth."""
    dep = dependency(build_learner(depth=3, cross_layer=k))
    text_in = any(dep[('visual', i)] for i in range(3))
    visual_in = any(dep[('text', i)] for i in range(3))
    assert (text_in, visual_in) == ((False, True) if direction == 'i2t' else (True, False))


def test_flow_off_visual_prompts_get_nothing_from_text():
    """Table 11 without BKF: no proxies, no mapper; perturbing the text
    prompts leaves every visual prompt as it is (and vice versa)."""
    learner = build_learner(depth=3, cross_layer=1, knowledge_flow=False)
    assert learner.text_to_visual is None and learner.visual_to_text is None
    assert len(learner.text_proxies) == len(learner.visual_proxies) == 0
    dep = dependency(learner)
    assert all(not sources for sources in dep.values())
    before = [v.detach().clone() for v in learner().visual]
    with torch.no_grad():
        for p in learner.text_prompts:
            p.add_(torch.randn_like(p))
    after = learner().visual
    assert all(torch.equal(a, b) for a, b in zip(before, after))


def test_single_scale_mapper_reads_its_own_layer_only():
    """Table 6: single-scale maps each layer from the same layer's proxy,
    multi-scale from the proxies of all layers of the direction."""
    multi = dependency(build_learner(depth=3, cross_layer=2))
    assert multi[('visual', 0)] == multi[('visual', 1)] == {('text', 0), ('text', 1)}
    single = dependency(build_learner(depth=3, cross_layer=2, text_to_visual_scale='single'))
    assert single[('visual', 0)] == {('text', 0)} and single[('visual', 1)] == {('text', 1)}
    assert single[('text', 2)] == multi[('text', 2)] == {('visual', 2)}
    both = dependency(build_learner(depth=3, cross_layer=1, text_to_visual_scale='single',
                                    visual_to_text_scale='single'))
    assert both[('text', 1)] == {('visual', 1)} and both[('text', 2)] == {('visual', 2)}


def test_mean_proxy_is_the_mean_of_the_layer_prompts():
    """Table 7, averaging: each proxy token is the mean of its layer's
    prompts; the mapper gets exactly those tokens."""
    learner = build_learner(depth=3, cross_layer=2, proxy='mean')
    assert all(isinstance(p, MeanProxy) for p in learner.text_proxies)
    assert sum(p.numel() for p in learner.text_proxies.parameters()) == 0
    seen = []
    learner.text_to_visual.register_forward_hook(lambda m, args, out: seen.append(args[1]))
    learner()
    expected = torch.stack([learner.text_prompts[i].mean(0) for i in range(2)])
    torch.testing.assert_close(seen[0], expected, rtol=0, atol=0)


def test_mlp_proxy_shapes_and_formula():
    """Table 7, MLP: a 2-layer token-mixing MLP, [m, W] -> [1, W]."""
    learner = build_learner(depth=3, cross_layer=1, proxy='mlp', n_ctx=3)
    proxy = learner.text_proxies[0]
    assert isinstance(proxy, MLPProxy)
    assert proxy.fc_1.weight.shape == (3, 3) and proxy.fc_2.weight.shape == (1, 3)
    prompts = torch.randn(3, 48, dtype=torch.float64)
    proxy = proxy.double()
    out = proxy(prompts)
    assert out.shape == (1, 48)
    hidden = F.gelu(prompts.t() @ proxy.fc_1.weight.t() + proxy.fc_1.bias)
    expected = (hidden @ proxy.fc_2.weight.t() + proxy.fc_2.bias).t()
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-12)
    assert dependency(build_learner(proxy='mlp'))[('visual', 0)] == {('text', 0)}


def test_mapper_activation_switch():
    """QuickGELU (the authors' code) by default, GELU as Eq. 10 writes it."""
    assert type(build_learner().text_to_visual.ffn.act).__name__ == 'QuickGELU'
    gelu = build_learner(mapper_act_cfg=dict(type='GELU'))
    assert isinstance(gelu.text_to_visual.ffn.act, torch.nn.GELU)
    assert isinstance(gelu.visual_to_text.ffn.act, torch.nn.GELU)


@pytest.mark.parametrize('bad', [dict(first_flow='both'), dict(proxy='max'),
                                 dict(text_to_visual_scale='two'),
                                 dict(visual_to_text_scale='x')])
def test_bad_switch_names_the_fix(bad):
    name = next(iter(bad))
    with pytest.raises(ValueError, match=f'model.prompt_learner.{name}'):
        build_learner(**bad)


def test_eq4_literal_logits_use_prompted_features_only():
    """Eq. 4 read literally: logits from the prompted features; the fused
    features (what Eq. 5 regularises) are those of the default head."""
    g = torch.Generator().manual_seed(0)
    image_raw, text_raw = torch.randn(4, 8, generator=g), torch.randn(3, 8, generator=g)
    frozen_image = F.normalize(torch.randn(4, 8, generator=g), dim=-1)
    frozen_text = F.normalize(torch.randn(3, 8, generator=g), dim=-1)
    features = Features(image_raw=image_raw, text_raw=text_raw, logit_scale=torch.tensor(2.0),
                        frozen_image=frozen_image, frozen_text=frozen_text)
    fused = MODELS.build(dict(type='FusedFrozenHead'))(features)
    head = MODELS.build(dict(type='FusedFrozenHead', logits_from='prompted'))
    literal = head(features)
    expected = torch.tensor(2.0).exp() * (
        F.normalize(image_raw, dim=-1) @ F.normalize(text_raw, dim=-1).t())
    torch.testing.assert_close(literal.logits, expected)
    assert torch.equal(literal.image, fused.image) and torch.equal(literal.text, fused.text)
    assert not torch.allclose(literal.logits, fused.logits)
    loss = MODELS.build(dict(type='ConsistencyLoss'))
    labels = torch.zeros(4, dtype=torch.long)
    assert loss(literal, labels) == loss(fused, labels)
    torch.testing.assert_close(head.image_features(image_raw, frozen_image),
                               F.normalize(image_raw, dim=-1), rtol=0, atol=0)
    with pytest.raises(ValueError, match='model.head.logits_from'):
        MODELS.build(dict(type='FusedFrozenHead', logits_from='frozen'))


def _description_model(tmp_path):
    table = {'red fox': ['a red fox in the snow.', 'an orange fox.', 'a fox with a bushy tail.'],
             'snowy owl': ['a white owl.', 'an owl with yellow eyes.'],
             'golden retriever': ['a golden dog.']}
    path = tmp_path / 'descriptions.json'
    path.write_text(json.dumps(table))
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='PromptCLIPClassifier',
        backbone=dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None),
        prompt_learner=dict(type='HiCroPLPromptLearner', n_ctx=2, depth=2, cross_layer=1,
                            num_heads=4),
        class_text=dict(type='RandomDescriptionTextEmbeddings', descriptions=str(path)),
        head=dict(type='FusedFrozenHead'), classnames=CLASSNAMES,
        losses=[dict(type='LogitsLoss'), dict(type='ConsistencyLoss')]))
    return model, table


def test_random_description_draws_from_each_class_own_descriptions(tmp_path):
    """Table 12, CoPrompt's frozen text: per class and step one of that
    class' descriptions (each drawn sometimes); evaluation: the average."""
    model, table = _description_model(tmp_path)
    clip = model.backbone
    # every sentence in one tower call, as the class text encodes them
    sentences = [table[c.replace('_', ' ')] for c in CLASSNAMES]
    with torch.no_grad():
        flat = F.normalize(clip.encode_text(clip.tokenize(sum(sentences, []))), dim=-1)
    own = flat.split([len(s) for s in sentences])
    images = torch.randn(2, 3, 32, 32)
    drawn = [set() for _ in CLASSNAMES]
    torch.manual_seed(1)
    for _ in range(40):
        frozen = model.frozen_features(images)['frozen_text']
        assert frozen.shape == (3, clip.embed_dim)
        for c, row in enumerate(frozen):
            match = [i for i, s in enumerate(own[c]) if torch.equal(row, s)]
            assert len(match) == 1, f'class {c}: not one of its own descriptions'
            drawn[c].add(match[0])
    assert [len(d) for d in drawn] == [3, 2, 1]
    model.eval()
    averaged = model.frozen_features(images)['frozen_text']
    assert torch.equal(averaged, model.frozen_text_features)
    mean = torch.stack([F.normalize(o.mean(0), dim=-1) for o in own])
    # sums of <= 3 unit vectors and two L2 norms of length D, another order
    tol = rounding_tolerance(1.0, 2 * clip.embed_dim + 3)
    torch.testing.assert_close(averaged, mean, rtol=0, atol=tol)
