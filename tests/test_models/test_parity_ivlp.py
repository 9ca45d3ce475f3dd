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
from mmengine.optim import build_optim_wrapper

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from projects.hicropl.models.prompt_learners.ivlp_names import ivlp_official_to_ours
from projects.hicropl.testing import (ReferenceCase, find_baseline_cases, recipe_arch,
                                      recipe_state_dict)

CASES = find_baseline_cases('IVLP')


def build_case_model(case: ReferenceCase, tmp_path) -> torch.nn.Module:
    weights = osp.join(tmp_path, 'tiny_clip_openai_format.pt')
    torch.save(recipe_state_dict(case.recipe), weights)
    cfg = case.config['TRAINER.IVLP']
    model = MODELS.build(
        dict(
            type='PromptCLIPClassifier',
            backbone=dict(type='PromptedCLIP', arch=recipe_arch(case.recipe), pretrained=weights),
            prompt_learner=dict(
                type='IVLPPromptLearner',
                n_ctx_text=cfg['N_CTX_TEXT'],
                n_ctx_vision=cfg['N_CTX_VISION'],
                ctx_init=cfg['CTX_INIT'],
                text_depth=cfg['PROMPT_DEPTH_TEXT'],
                vision_depth=cfg['PROMPT_DEPTH_VISION']),
            head=dict(type='CosineHead'),
            losses=[dict(type='LogitsLoss')],
            classnames=case.meta['classnames']))
    with torch.no_grad():
        params = dict(model.named_parameters())
        for name, value in case.learner_recipe().items():
            params[ivlp_official_to_ours(name)].copy_(torch.from_numpy(value))
    return model


@pytest.mark.parity
@pytest.mark.parametrize('folder', CASES, ids=[osp.basename(c) for c in CASES])
def test_ivlp_parity(folder, tmp_path, one_torch_thread):
    case = ReferenceCase(folder)
    assert case.method == 'IVLP'
    model = build_case_model(case, tmp_path)
    learner = model.prompt_learner
    # authors' name -> our parameter, for every learnable tensor of theirs
    theirs = case.meta['learnable_parameter_names']
    ours = {n: p for n, p in model.named_parameters() if p.requires_grad}
    trainable = {name: ours[ivlp_official_to_ours(name)] for name in theirs}
    assert len(set(map(id, trainable.values()))) == len(ours) == len(theirs)
    if case.config.get('n_ctx_used') is not None:
        assert learner.n_ctx == case.config['n_ctx_used']
    if case.config.get('prompt_prefix') is not None:
        assert learner.prompt_prefix == case.config['prompt_prefix']
    errors, checked = [], set()

    def check(key, got):
        checked.add(key)
        problem = case.mismatch(key, got)
        if problem:
            errors.append(problem)

    check('tokenized_prompts', model.class_tokens)
    images = torch.from_numpy(case['images'])
    labels = torch.from_numpy(case['labels'])
    check('images', images)
    check('labels', labels)
    samples = [DataSample().set_gt_label(int(label)) for label in labels]

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
        check(f'{s}/text_features_raw', out.text_raw)
        check(f'{s}/image_features', out.image)
        check(f'{s}/text_features', out.text)
        if step == 1:
            length = case['step1/text_prompts'].shape[1]
            with torch.no_grad():
                embeds = model.backbone.embed_text(model.class_tokens, learner().text[0])
            check('step1/text_prompts', embeds[:, :length])
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
    assert not errors, '\n'.join(errors)
    assert checked == set(case.arrays), sorted(set(case.arrays) ^ checked)


@pytest.mark.parity
def test_ivlp_cases_found():
    """The shared reference folder must provide IVLP cases (no silent pass)."""
    assert CASES, 'no IVLP case found in ../shared/reference/baselines'


def test_official_names():
    assert ivlp_official_to_ours('prompt_learner.ctx') == 'prompt_learner.ctx'
    assert ivlp_official_to_ours('image_encoder.VPT') == 'prompt_learner.visual_prompts.0'
    assert ivlp_official_to_ours('image_encoder.transformer.resblocks.3.VPT_shallow') == (
        'prompt_learner.visual_prompts.3')
    assert ivlp_official_to_ours('text_encoder.transformer.resblocks.1.VPT_shallow') == (
        'prompt_learner.text_prompts.0')
    assert ivlp_official_to_ours('text_encoder.positional_embedding') is None
