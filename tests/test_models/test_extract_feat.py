"""``extract_feat`` is image-only: it needs no classes and gives the image
features that prediction compares with the class features; MMPretrain's
``get_flops`` (``model.forward = model.extract_feat`` and MMEngine's
complexity analysis) runs on a model without classes."""
import pytest
import torch
from mmengine.analysis import get_model_complexity_info

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from projects.hicropl.testing import tiny_clip_arch


def build(learner='HiCroPLPromptLearner', head='FusedFrozenHead', **kwargs):
    torch.manual_seed(0)
    return MODELS.build(
        dict(type='PromptCLIPClassifier',
             backbone=dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None),
             prompt_learner=dict(type=learner, n_ctx=4, depth=3, cross_layer=2,
                                 num_heads=4),
             head=dict(type=head),
             class_text=dict(type='TemplateTextEmbeddings'),
             **kwargs)).eval()


def images():
    return torch.randn(3, 3, 32, 32, generator=torch.Generator().manual_seed(2))


@pytest.mark.parametrize('head', ['FusedFrozenHead', 'CosineHead'])
def test_without_classes_equals_prediction_features(head):
    model = build(head=head)
    assert not model.classnames
    with torch.no_grad():
        features = model.extract_feat(images())
        model.set_classnames(['red_fox', 'snowy owl'])
        predicted = model.forward_features(images())
    assert features.shape == (3, model.backbone.embed_dim)
    # The same computation (visual prompts mapped from the text prompts,
    # prompted and frozen image towers, fusion).
    assert torch.equal(features, predicted.image)
    # The visual prompts matter: not the frozen features alone.
    frozen = model.frozen_image_features(images())
    assert not torch.allclose(features, frozen, atol=1e-3)


def test_official_learner_matches_its_next_prediction():
    """The authors' learner updates its prompts in place on every forward:
    extract_feat of a copy equals the features of the model's next forward."""
    model = build('HiCroPLOfficialPromptLearner', classnames=['red_fox', 'snowy owl'])
    twin = build('HiCroPLOfficialPromptLearner')  # same seed: same prompts, no classes
    with torch.no_grad():
        features = twin.extract_feat(images())
        predicted = model.forward_features(images()).image
    assert torch.equal(features, predicted)


def test_mmpretrain_get_flops_path():
    model = build()
    model.forward = model.extract_feat  # what tools/analysis_tools/get_flops.py does
    result = get_model_complexity_info(model, (3, 32, 32), show_table=False,
                                       show_arch=False)
    # at least the two image towers' patch embeddings (2 * 16 patches * 3*8*8*64 MACs)
    assert result['flops'] >= 2 * 16 * 3 * 8 * 8 * 64
    assert result['params'] == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize('with_classes', [False, True])
def test_predict_still_needs_classes(with_classes):
    model = build(classnames=['red_fox'] if with_classes else None)
    if with_classes:
        assert model.predict(images())[0].pred_score.shape == (1, )
    else:
        with pytest.raises(RuntimeError, match='No classes set'):
            model.predict(images())
