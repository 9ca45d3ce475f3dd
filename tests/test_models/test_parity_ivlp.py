"""IVLPPromptLearner vs the authors' IVLP on every IVLP reference case.

Each case of method IVLP in ``../shared/reference/baselines`` (and
``$HICROPL_REFERENCE_DIR/baselines``) is rebuilt through the normal paths
(tiny CLIP written to a local file and loaded as ``pretrained``, the model
built from the registry, SGD by MMEngine over the whole model as the
authors' Dassl builder does) and EVERY array of the case is compared within
the case's own tolerance groups: tokens, the text-tower input embeddings,
three SGD steps (logits, features, loss, gradients of every prompt), the
final prompts and two evaluation forwards.
"""
import os.path as osp

import pytest
import torch

import projects.hicropl  # noqa: F401
from projects.hicropl.models.prompt_learners.ivlp_names import ivlp_official_to_ours
from projects.hicropl.testing import (ArrayChecker, ReferenceCase, build_baseline_model,
                                      case_inputs, check_learner_config, check_text_prompts,
                                      find_baseline_cases, missing_cases_message,
                                      run_baseline_parity)

CASES = find_baseline_cases('IVLP')


def build_case_model(case: ReferenceCase, tmp_path) -> torch.nn.Module:
    cfg = case.config['TRAINER.IVLP']
    return build_baseline_model(
        case, tmp_path,
        dict(type='IVLPPromptLearner',
             n_ctx_text=cfg['N_CTX_TEXT'],
             n_ctx_vision=cfg['N_CTX_VISION'],
             ctx_init=cfg['CTX_INIT'],
             text_depth=cfg['PROMPT_DEPTH_TEXT'],
             vision_depth=cfg['PROMPT_DEPTH_VISION']),
        name_map=ivlp_official_to_ours)


@pytest.mark.parity
@pytest.mark.parametrize('folder', CASES, ids=[osp.basename(c) for c in CASES])
def test_ivlp_parity(folder, tmp_path, one_torch_thread):
    case = ReferenceCase(folder)
    assert case.method == 'IVLP'
    model = build_case_model(case, tmp_path)
    # authors' name -> our parameter, for every learnable tensor of theirs
    theirs = case.meta['learnable_parameter_names']
    ours = {n: p for n, p in model.named_parameters() if p.requires_grad}
    trainable = {name: ours[ivlp_official_to_ours(name)] for name in theirs}
    assert len(set(map(id, trainable.values()))) == len(ours) == len(theirs)
    check_learner_config(case, model.prompt_learner, optional=True)
    check = ArrayChecker(case)

    check('tokenized_prompts', model.class_tokens)
    images, samples = case_inputs(case, check)

    def on_train_step(step, out, losses):
        if step == 1:
            check_text_prompts(case, check, model)

    run_baseline_parity(case, model, check, images, samples, trainable,
                        on_train_step=on_train_step)
    check.assert_all_passed()


@pytest.mark.parity
def test_ivlp_cases_found():
    """The shared reference folder must provide IVLP cases (no silent pass)."""
    assert CASES, missing_cases_message('IVLP')


def test_official_names():
    assert ivlp_official_to_ours('prompt_learner.ctx') == 'prompt_learner.ctx'
    assert ivlp_official_to_ours('image_encoder.VPT') == 'prompt_learner.visual_prompts.0'
    assert ivlp_official_to_ours('image_encoder.transformer.resblocks.3.VPT_shallow') == (
        'prompt_learner.visual_prompts.3')
    assert ivlp_official_to_ours('text_encoder.transformer.resblocks.1.VPT_shallow') == (
        'prompt_learner.text_prompts.0')
    assert ivlp_official_to_ours('text_encoder.positional_embedding') is None
