"""CoCoOpPromptLearner vs the authors' CoCoOp on every CoCoOp reference case.

Each case of method CoCoOp in ``../shared/reference/baselines`` (and
``$HICROPL_REFERENCE_DIR/baselines``) is rebuilt through the normal paths
(tiny CLIP written to a local file and loaded as ``pretrained``, the model
built from the registry, SGD by MMEngine) and EVERY array of the case is
compared within the case's own tolerances (``case.json`` tolerance groups):
tokens, the meta-net bias and the shifted per-image contexts, three SGD
steps (logits, per-image class features, loss, gradients), the final
parameters and two evaluation forwards.
"""
import os.path as osp

import pytest
import torch

import projects.hicropl  # noqa: F401
from projects.hicropl.testing import (ArrayChecker, ReferenceCase, build_baseline_model,
                                      case_inputs, check_learner_config, find_baseline_cases,
                                      missing_cases_message, run_baseline_parity,
                                      written_class_prompts)

CASES = find_baseline_cases('CoCoOp')


def build_case_model(case: ReferenceCase, tmp_path, text_chunk_images: int) -> torch.nn.Module:
    cfg = case.config['TRAINER.COCOOP']
    return build_baseline_model(  # our parameter names are the authors'
        case, tmp_path,
        dict(type='CoCoOpPromptLearner', n_ctx=cfg['N_CTX'], ctx_init=cfg['CTX_INIT']),
        text_chunk_images=text_chunk_images)


@pytest.mark.parity
@pytest.mark.parametrize('text_chunk_images', [1, 3])
@pytest.mark.parametrize('folder', CASES, ids=[osp.basename(c) for c in CASES])
def test_cocoop_parity(folder, text_chunk_images, tmp_path, one_torch_thread):
    """Chunks of 1 and 3 images (3 does not divide the batch of 4) give the
    authors' numbers: chunking only bounds the memory of one text call."""
    case = ReferenceCase(folder)
    assert case.method == 'CoCoOp'
    model = build_case_model(case, tmp_path, text_chunk_images)
    learner = model.prompt_learner
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert sorted(trainable) == sorted(case.meta['learnable_parameter_names'])
    check_learner_config(case, learner)
    check = ArrayChecker(case)

    written = written_class_prompts(model)
    check('tokenized_prompts', written)
    assert torch.equal(model.class_tokens, written)
    images, samples = case_inputs(case, check)

    def check_prompts(prefix):
        with torch.no_grad():
            frozen = model.frozen_features(images)['frozen_image']
            if f'{prefix}/meta_net_bias' in case.arrays:
                check(f'{prefix}/meta_net_bias', learner.meta_net(frozen))
            check(f'{prefix}/ctx_shifted', learner(frozen_image=frozen).text[0])

    # text_features_raw of a step is [B, C, D]: per image
    run_baseline_parity(case, model, check, images, samples, trainable,
                        on_train_step=lambda step, out, losses: check_prompts(f'step{step}'),
                        on_eval=lambda j, out: check_prompts(f'eval{j}'))
    assert model._eval_text_features is None  # image-conditioned: never cached
    check.assert_all_passed()


@pytest.mark.parity
def test_cocoop_cases_found():
    """The shared reference folder must provide CoCoOp cases (no silent pass)."""
    assert CASES, missing_cases_message('CoCoOp')
