"""PromptSRC vs the authors' PromptSRC on every PromptSRC reference case.

Each case of method PromptSRC in ``../shared/reference/baselines`` (and
``$HICROPL_REFERENCE_DIR/baselines``) is rebuilt through the normal paths
(tiny CLIP written to a local file and loaded as ``pretrained``, the model
built from the registry with the case's templates, loss weights and depths,
SGD by MMEngine, GPA by :class:`GaussianEpochAverage`) and EVERY array of
the case is compared within the case's own tolerances: tokens, frozen text
and image features, zero-shot logits, three SGD steps (logits, features,
every loss term, gradients), the final prompts, two evaluation forwards, the
GPA weights and the prompts after the GPA run (3 epochs of one step each).
"""
import os.path as osp

import pytest
import torch

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from projects.hicropl.models import gaussian_epoch_weights, promptsrc_official_to_ours
from projects.hicropl.testing import (ArrayChecker, ReferenceCase, build_baseline_model,
                                      case_inputs, check_learner_config, check_text_prompts,
                                      find_baseline_cases, missing_cases_message,
                                      run_baseline_parity, written_class_prompts)

CASES = find_baseline_cases('PromptSRC')
LOSS_NAMES = ['loss_ce', 'loss_scl_text', 'loss_scl_image', 'loss_scl_logits']


def build_case_model(case: ReferenceCase, tmp_path) -> torch.nn.Module:
    cfg = case.config['TRAINER.PROMPTSRC']
    return build_baseline_model(
        case, tmp_path,
        dict(type='PromptSRCPromptLearner',
             n_ctx_text=cfg['N_CTX_TEXT'],
             n_ctx_vision=cfg['N_CTX_VISION'],
             text_depth=cfg['PROMPT_DEPTH_TEXT'],
             vision_depth=cfg['PROMPT_DEPTH_VISION'],
             ctx_init=cfg['CTX_INIT']),
        name_map=promptsrc_official_to_ours,
        losses=[
            dict(type='LogitsLoss'),
            dict(type='FrozenFeatureL1Loss', target='text', loss_weight=cfg['TEXT_LOSS_WEIGHT']),
            dict(type='FrozenFeatureL1Loss', target='image', loss_weight=cfg['IMAGE_LOSS_WEIGHT']),
            dict(type='ZeroShotKLLoss', reduction='numel'),
        ],
        class_text=dict(type='TemplateTextEmbeddings', templates=case.config['templates'],
                        average='raw'))


@pytest.mark.parity
@pytest.mark.parametrize('folder', CASES, ids=[osp.basename(c) for c in CASES])
def test_promptsrc_parity(folder, tmp_path, one_torch_thread):
    case = ReferenceCase(folder)
    assert case.method == 'PromptSRC'
    cfg = case.config['TRAINER.PROMPTSRC']
    model = build_case_model(case, tmp_path)
    ours = {n: p for n, p in model.named_parameters() if p.requires_grad}
    # authors' name -> our parameter
    trainable = {n: ours[promptsrc_official_to_ours(n)]
                 for n in case.meta['learnable_parameter_names']}
    assert sorted(ours) == sorted(promptsrc_official_to_ours(n) for n in trainable)
    check_learner_config(case, model.prompt_learner)
    check = ArrayChecker(case)

    written = written_class_prompts(model)
    check('tokenized_prompts', written)
    assert torch.equal(model.class_tokens, written)
    images, samples = case_inputs(case, check)

    # frozen features: 60-template ensemble of raw text features, plain image tower
    with torch.no_grad():
        raw = [model.backbone.encode_text(model.backbone.tokenize(sentences)).mean(0)
               for sentences in model.class_text.sentences(model.classnames)]
        check('fixed_text_features_raw', torch.stack(raw))
        check('zs_image_features_raw', model.backbone.encode_image(images))
    check('fixed_text_features', model.frozen_text_features)

    # GPA run: the same trajectory, each step ending one of 3 epochs
    gpa = MODELS.build(dict(type='GaussianEpochAverage', model=model, mean=cfg['GPA_MEAN'],
                            std=cfg['GPA_STD']))

    def on_train_step(step, out, losses):
        for name, value in losses.items():
            check(f'step{step}/{name}', value)
        if step == 1:
            check('zs_image_features', out.frozen_image)
            check('zs_logits', out.zero_shot_logits)
            check_text_prompts(case, check, model)

    run_baseline_parity(case, model, check, images, samples, trainable,
                        loss_names=LOSS_NAMES, ordered_losses=True,
                        on_train_step=on_train_step,
                        after_update=lambda step: gpa.update_parameters(model))
    averaged = dict(gpa.module.named_parameters())
    for name in trainable:
        check(f'gpa/final/{name}', averaged[promptsrc_official_to_ours(name)])
    check('gpa_weights', torch.tensor(gaussian_epoch_weights(
        case.config['OPTIM.MAX_EPOCH'], cfg['GPA_MEAN'], cfg['GPA_STD']), dtype=torch.float64))
    check('gpa/weights_3_epochs', torch.tensor(gaussian_epoch_weights(
        3, cfg['GPA_MEAN'], cfg['GPA_STD']), dtype=torch.float64))
    check.assert_all_passed()


@pytest.mark.parity
def test_promptsrc_cases_found():
    """The shared reference folder must provide PromptSRC cases (no silent pass)."""
    assert CASES, missing_cases_message('PromptSRC')
