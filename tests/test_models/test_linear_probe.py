"""Linear probe: the logistic-regression objective and its optimum, CoOp's
search of C, and the classifier on a tiny CLIP (fit, predict, checkpoint
round trip, frozen backbone untouched)."""
import copy
import math

import pytest
import torch
import torch.nn.functional as F

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from projects.hicropl.models.utils.logistic_regression import (COOP_C_GRID,
                                                               fit_logistic_regression,
                                                               search_c)
from projects.hicropl.testing import tiny_clip_arch


def blobs(n=60, d=5, k=3, seed=0, spread=1.5):
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(k, d, generator=g, dtype=torch.float64) * spread
    labels = torch.arange(n) % k
    return centers[labels] + torch.randn(n, d, generator=g, dtype=torch.float64), labels


def objective(x, y, weight, bias, C):
    """scikit-learn's scaled objective: mean CE + ||W||^2 / (2 C N)."""
    return F.cross_entropy(x @ weight.t() + bias, y) + (weight ** 2).sum() / (2 * C * len(y))


@pytest.mark.parametrize('C', [1e-2, 1.0, 1e2])
def test_fit_is_the_regularised_optimum(C):
    """Stationarity of the objective (its gradient ~ 0 at the returned
    point), and the same optimum as plain gradient descent on it."""
    x, y = blobs()
    # tol 1e-10: L-BFGS then stops on the relative objective change (64 eps)
    weight, bias = fit_logistic_regression(x, y, 3, C, tol=1e-10)
    w, b = weight.clone().requires_grad_(), bias.clone().requires_grad_()
    objective(x, y, w, b, C).backward()
    assert max(w.grad.abs().max(), b.grad.abs().max()) < 1e-6
    assert abs(bias.sum()) < 1e-6  # b stays in the zero-sum subspace from zeros
    if C == 1e-2:  # well conditioned: gradient descent converges to it
        w = torch.zeros_like(weight, requires_grad=True)
        b = torch.zeros_like(bias, requires_grad=True)
        ones = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1)
        # step 1/L: L bounds the Hessian (softmax CE: <= 1/2 per feature pair)
        step = 1 / (0.5 * torch.linalg.eigvalsh(ones.t() @ ones / len(x)).max() + 1 / (C * len(x)))
        for _ in range(3000):
            loss = objective(x, y, w, b, C)
            gw, gb = torch.autograd.grad(loss, (w, b))
            with torch.no_grad():
                w -= step * gw
                b -= step * gb
        torch.testing.assert_close(weight, w.detach(), rtol=0, atol=1e-6)
        torch.testing.assert_close(bias, b.detach(), rtol=0, atol=1e-6)


def test_regularisation_strength_orders_the_fits():
    x, y = blobs()
    norms = [fit_logistic_regression(x, y, 3, C)[0].norm() for C in (1e-4, 1e-2, 1.0, 1e2)]
    assert norms == sorted(norms)
    with pytest.raises(ValueError, match='C must be'):
        fit_logistic_regression(x, y, 3, 0.0)


def test_search_follows_coops_bisection():
    """A validation accuracy peaked at C = 10**0.3: the grid keeps the first
    best (1.0), then 8 bisection steps in log10(C) as CoOp's code does."""
    def fit(c):
        return torch.tensor([c], dtype=torch.float64), torch.tensor([0.0])

    def accuracy(w, b):
        return -abs(math.log10(w.item()) - 0.3)

    result = search_c(fit, accuracy)
    left, right, best = 0.1, 10.0, None  # the trace, written out
    for _ in range(8):
        if accuracy(torch.tensor([left]), 0) < accuracy(torch.tensor([right]), 0):
            best, left, right = right, (math.log10(left) + math.log10(right)) / 2, math.log10(right)
        else:
            best, left, right = left, math.log10(left), (math.log10(left) + math.log10(right)) / 2
        left, right = 10 ** left, 10 ** right
    assert result['C'] == best and abs(math.log10(best) - 0.3) < 0.1
    assert result['weight'].item() == best
    assert result['fits'] <= len(COOP_C_GRID) + 16


def build_model(**kwargs):
    return MODELS.build(dict(
        type='LinearProbeClassifier',
        backbone=dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None), **kwargs))


def images(n, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, 32, 32, generator=g)


def test_classifier_fit_predict_and_checkpoint():
    model = build_model(c_grid=(1e2, 1.0, 1e-2), search_steps=2).eval()
    backbone = copy.deepcopy(model.backbone.clip.state_dict())
    assert model.state_dict().keys() == {'weight', 'bias', 'C'}
    assert model.weight.shape == (0, model.backbone.embed_dim)
    with pytest.raises(RuntimeError, match='not fitted'):
        model(images(2, 0))
    model.set_classnames(['a', 'b', 'c'])
    train, val = images(12, 1), images(6, 2)
    labels, val_labels = torch.arange(12) % 3, torch.arange(6) % 3
    features = model.extract_feat(train)
    assert features.shape == (12, model.backbone.embed_dim) and not features.requires_grad
    info = model.fit(features, labels, model.extract_feat(val), val_labels)
    assert set(info) == {'C', 'val_accuracy', 'fits'} and float(model.C) == info['C']
    assert model.weight.shape == (3, model.backbone.embed_dim) and model.bias.shape == (3, )
    with torch.no_grad():
        logits = model(train)
        samples = model.predict(val, [DataSample() for _ in range(6)])
    torch.testing.assert_close(logits, features @ model.weight.t() + model.bias)
    accuracy = sum(int(s.pred_label) == int(t) for s, t in zip(samples, val_labels)) / 6
    assert accuracy == pytest.approx(info['val_accuracy'])
    assert 'loss_ce' in model.loss(train, [DataSample().set_gt_label(int(t)) for t in labels])
    # checkpoint round trip into a fresh (unfitted) model
    fresh = build_model()
    fresh.load_state_dict(model.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(fresh(train), logits)
    with pytest.raises(ValueError, match='fitted on 3 classes'):
        fresh.set_classnames(['a', 'b'])
    for key, value in model.backbone.clip.state_dict().items():
        assert torch.equal(value, backbone[key]), key
    assert not any(p.requires_grad for p in model.parameters())


def test_fixed_c_and_missing_validation():
    model = build_model(C=0.5)
    x, y = torch.randn(9, model.backbone.embed_dim), torch.arange(9) % 3
    assert model.fit(x, y) == dict(C=0.5)
    with pytest.raises(ValueError, match='validation features'):
        build_model().fit(x, y)
