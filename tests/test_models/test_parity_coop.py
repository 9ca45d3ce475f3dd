"""CoOpPromptLearner vs the authors' CoOp on every CoOp reference case.

Each case of method CoOp in ``../shared/reference/baselines`` (and
``$HICROPL_REFERENCE_DIR/baselines``) is rebuilt through the normal paths
(tiny CLIP written to a local file and loaded as ``pretrained``, the model
built from the registry, SGD by MMEngine) and EVERY array of the case is
compared within the case's own tolerances (``case.json`` tolerance groups):
tokens, the text-tower input embeddings, three SGD steps (logits, features,
loss, gradients), the final context and two evaluation forwards.
"""
import os.path as osp

import pytest
import torch

import projects.hicropl  # noqa: F401
from projects.hicropl.testing import (ArrayChecker, ReferenceCase, build_baseline_model,
                                      case_inputs, check_learner_config, check_text_prompts,
                                      find_baseline_cases, missing_cases_message,
                                      run_baseline_parity, written_class_prompts)

CASES = find_baseline_cases('CoOp')


def build_case_model(case: ReferenceCase, tmp_path) -> torch.nn.Module:
    cfg = case.config['TRAINER.COOP']
    return build_baseline_model(  # our parameter names are the authors'
        case, tmp_path,
        dict(type='CoOpPromptLearner',
             n_ctx=cfg['N_CTX'],
             ctx_init=cfg['CTX_INIT'],
             class_specific=cfg['CSC'],
             num_classes=len(case.meta['classnames']),
             class_token_position=cfg['CLASS_TOKEN_POSITION']))


@pytest.mark.parity
@pytest.mark.parametrize('folder', CASES, ids=[osp.basename(c) for c in CASES])
def test_coop_parity(folder, tmp_path, one_torch_thread):
    case = ReferenceCase(folder)
    assert case.method == 'CoOp'
    model = build_case_model(case, tmp_path)
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert sorted(trainable) == sorted(case.meta['learnable_parameter_names'])
    check_learner_config(case, model.prompt_learner)
    check = ArrayChecker(case)

    # The authors tokenize the prompt as written ('<prefix> <name>.') and
    # rearrange embeddings; we rearrange the tokens: same EOT positions.
    written = written_class_prompts(model)
    check('tokenized_prompts', written)
    assert torch.equal(model.class_tokens.argmax(-1), written.argmax(-1))
    images, samples = case_inputs(case, check)

    def on_train_step(step, out, losses):
        if step == 1:
            check_text_prompts(case, check, model, model.class_ctx_index)

    run_baseline_parity(case, model, check, images, samples, trainable,
                        on_train_step=on_train_step)
    check.assert_all_passed()


@pytest.mark.parity
def test_coop_cases_found():
    """The shared reference folder must provide CoOp cases (no silent pass)."""
    assert CASES, missing_cases_message('CoOp')
