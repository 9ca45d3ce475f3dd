"""MaPLePromptLearner vs the authors' MaPLe on every MaPLe reference case.

Each case of method MaPLe in ``../shared/reference/baselines`` (and
``$HICROPL_REFERENCE_DIR/baselines``) is rebuilt through the normal paths
(tiny CLIP written to a local file and loaded as ``pretrained``, the model
built from the registry, SGD by MMEngine over the whole model as the
authors' Dassl builder does) and EVERY array of the case is compared within
the case's own tolerance groups: tokens, the text-tower input embeddings,
three SGD steps (logits, features, loss, the visual prompts projected from
the text prompts, gradients of every prompt and projection), the final
tensors and two evaluation forwards. Our parameter names are the authors'.
"""
import os.path as osp

import pytest
import torch

import projects.hicropl  # noqa: F401
from projects.hicropl.testing import (ArrayChecker, ReferenceCase, build_baseline_model,
                                      case_inputs, check_learner_config, check_text_prompts,
                                      find_baseline_cases, missing_cases_message,
                                      run_baseline_parity)

CASES = find_baseline_cases('MaPLe')


def build_case_model(case: ReferenceCase, tmp_path) -> torch.nn.Module:
    cfg = case.config['TRAINER.MAPLE']
    return build_baseline_model(
        case, tmp_path,
        dict(type='MaPLePromptLearner',
             n_ctx=cfg['N_CTX'],
             ctx_init=cfg['CTX_INIT'],
             depth=cfg['PROMPT_DEPTH']))


@pytest.mark.parity
@pytest.mark.parametrize('folder', CASES, ids=[osp.basename(c) for c in CASES])
def test_maple_parity(folder, tmp_path, one_torch_thread):
    case = ReferenceCase(folder)
    assert case.method == 'MaPLe'
    model = build_case_model(case, tmp_path)
    learner = model.prompt_learner
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert sorted(trainable) == sorted(case.meta['learnable_parameter_names'])
    check_learner_config(case, learner, optional=True)
    check = ArrayChecker(case)

    check('tokenized_prompts', model.class_tokens)
    images, samples = case_inputs(case, check)

    def on_train_step(step, out, losses):
        s = f'step{step}'
        with torch.no_grad():
            visual = learner().visual  # [n, W_v] per layer, as this forward used them
        check(f'{s}/shared_ctx_visual', visual[0])
        check(f'{s}/visual_deep_prompts', torch.stack(visual[1:]) if len(visual) > 1 else
              visual[0].new_zeros(0, *visual[0].shape))
        if step == 1:
            check_text_prompts(case, check, model)

    run_baseline_parity(case, model, check, images, samples, trainable,
                        on_train_step=on_train_step)
    check.assert_all_passed()


@pytest.mark.parity
def test_maple_cases_found():
    """The shared reference folder must provide MaPLe cases (no silent pass)."""
    assert CASES, missing_cases_message('MaPLe')
