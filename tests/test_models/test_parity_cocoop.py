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
from mmengine.optim import build_optim_wrapper

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from projects.hicropl.models.utils import build_class_prompts
from projects.hicropl.testing import (ReferenceCase, find_baseline_cases, recipe_arch,
                                      recipe_state_dict)

CASES = find_baseline_cases('CoCoOp')


def build_case_model(case: ReferenceCase, tmp_path, text_chunk_images: int) -> torch.nn.Module:
    weights = osp.join(tmp_path, 'tiny_clip_openai_format.pt')
    torch.save(recipe_state_dict(case.recipe), weights)
    cfg = case.config['TRAINER.COCOOP']
    model = MODELS.build(
        dict(
            type='PromptCLIPClassifier',
            backbone=dict(type='PromptedCLIP', arch=recipe_arch(case.recipe), pretrained=weights),
            prompt_learner=dict(type='CoCoOpPromptLearner', n_ctx=cfg['N_CTX'],
                                ctx_init=cfg['CTX_INIT']),
            head=dict(type='CosineHead'),
            losses=[dict(type='LogitsLoss')],
            text_chunk_images=text_chunk_images,
            classnames=case.meta['classnames']))
    with torch.no_grad():
        params = dict(model.named_parameters())
        for name, value in case.learner_recipe().items():
            params[name].copy_(torch.from_numpy(value))  # same names as the authors'
    return model


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
    assert learner.n_ctx == case.config['n_ctx_used']
    assert learner.prompt_prefix == case.config['prompt_prefix']
    errors, checked = [], set()

    def check(key, got):
        checked.add(key)
        problem = case.mismatch(key, got)
        if problem:
            errors.append(problem)

    written, _ = build_class_prompts(
        model.backbone.tokenizer, learner.class_prompt_template(), model.classnames,
        learner.n_ctx, 'end', model.backbone.context_length)
    check('tokenized_prompts', written)
    assert torch.equal(model.class_tokens, written)
    images = torch.from_numpy(case['images'])
    labels = torch.from_numpy(case['labels'])
    check('images', images)
    check('labels', labels)
    samples = [DataSample().set_gt_label(int(label)) for label in labels]

    def check_prompts(prefix):
        with torch.no_grad():
            frozen = model.frozen_features(images)['frozen_image']
            if f'{prefix}/meta_net_bias' in case.arrays:
                check(f'{prefix}/meta_net_bias', learner.meta_net(frozen))
            check(f'{prefix}/ctx_shifted', learner(frozen_image=frozen).text[0])

    opt = case.meta['optimizer']
    optim_wrapper = build_optim_wrapper(
        model,
        dict(optimizer=dict(type='SGD', lr=opt['lr'], momentum=opt['momentum'],
                            weight_decay=opt['weight_decay'], dampening=opt['dampening'],
                            nesterov=opt['nesterov'], foreach=False)))
    model.train()
    for step in range(1, opt['steps'] + 1):
        s = f'step{step}'
        out = model.forward_features(images)
        losses = model.compute_losses(out, samples)
        assert set(losses) == {'loss_ce'}
        total = sum(losses.values())
        check(f'{s}/loss', total)
        check(f'{s}/logits', out.logits)
        check(f'{s}/image_features_raw', out.image_raw)
        check(f'{s}/text_features_raw', out.text_raw)  # [B, C, D]: per image
        check(f'{s}/image_features', out.image)
        check(f'{s}/text_features', out.text)
        check_prompts(s)
        optim_wrapper.zero_grad()
        optim_wrapper.backward(total)
        if step == 1:
            for name, param in trainable.items():
                check(f'step1/grad/{name}', param.grad)
        optim_wrapper.step()

    for name, param in trainable.items():
        check(f'final/{name}', param)

    model.eval()
    with torch.no_grad():
        for j in (1, 2):
            out = model.forward_features(images)
            check(f'eval{j}/logits', out.logits)
            check(f'eval{j}/image_features_raw', out.image_raw)
            check(f'eval{j}/text_features_raw', out.text_raw)
            check_prompts(f'eval{j}')
    assert model._eval_text_features is None  # image-conditioned: never cached
    assert not errors, '\n'.join(errors)
    assert checked == set(case.arrays), sorted(set(case.arrays) ^ checked)


@pytest.mark.parity
def test_cocoop_cases_found():
    """The shared reference folder must provide CoCoOp cases (no silent pass)."""
    assert CASES, 'no CoCoOp case found in ../shared/reference/baselines'
