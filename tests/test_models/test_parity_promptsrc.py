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
from mmengine.optim import build_optim_wrapper

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from projects.hicropl.models import gaussian_epoch_weights, promptsrc_official_to_ours
from projects.hicropl.models.utils import build_class_prompts
from projects.hicropl.testing import (ReferenceCase, find_baseline_cases, recipe_arch,
                                      recipe_state_dict)

CASES = find_baseline_cases('PromptSRC')


def build_case_model(case: ReferenceCase, tmp_path) -> torch.nn.Module:
    weights = osp.join(tmp_path, 'tiny_clip_openai_format.pt')
    torch.save(recipe_state_dict(case.recipe), weights)
    cfg = case.config['TRAINER.PROMPTSRC']
    model = MODELS.build(
        dict(
            type='PromptCLIPClassifier',
            backbone=dict(type='PromptedCLIP', arch=recipe_arch(case.recipe), pretrained=weights),
            prompt_learner=dict(
                type='PromptSRCPromptLearner',
                n_ctx_text=cfg['N_CTX_TEXT'],
                n_ctx_vision=cfg['N_CTX_VISION'],
                text_depth=cfg['PROMPT_DEPTH_TEXT'],
                vision_depth=cfg['PROMPT_DEPTH_VISION'],
                ctx_init=cfg['CTX_INIT']),
            head=dict(type='CosineHead'),
            losses=[
                dict(type='LogitsLoss'),
                dict(type='FrozenFeatureL1Loss', target='text', loss_weight=cfg['TEXT_LOSS_WEIGHT']),
                dict(type='FrozenFeatureL1Loss', target='image',
                     loss_weight=cfg['IMAGE_LOSS_WEIGHT']),
                dict(type='ZeroShotKLLoss', reduction='numel'),
            ],
            class_text=dict(type='TemplateTextEmbeddings', templates=case.config['templates'],
                            average='raw'),
            classnames=case.meta['classnames']))
    with torch.no_grad():
        params = dict(model.named_parameters())
        for name, value in case.learner_recipe().items():
            params[promptsrc_official_to_ours(name)].copy_(torch.from_numpy(value))
    return model


@pytest.mark.parity
@pytest.mark.parametrize('folder', CASES, ids=[osp.basename(c) for c in CASES])
def test_promptsrc_parity(folder, tmp_path, one_torch_thread):
    case = ReferenceCase(folder)
    assert case.method == 'PromptSRC'
    cfg = case.config['TRAINER.PROMPTSRC']
    model = build_case_model(case, tmp_path)
    learner = model.prompt_learner
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    ours = {promptsrc_official_to_ours(n): n for n in case.meta['learnable_parameter_names']}
    assert sorted(trainable) == sorted(ours)
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

    # frozen features: 60-template ensemble of raw text features, plain image tower
    with torch.no_grad():
        raw = [model.backbone.encode_text(model.backbone.tokenize(sentences)).mean(0)
               for sentences in model.class_text.sentences(model.classnames)]
        check('fixed_text_features_raw', torch.stack(raw))
        check('zs_image_features_raw', model.backbone.encode_image(images))
    check('fixed_text_features', model.frozen_text_features)

    opt = case.meta['optimizer']
    optim_wrapper = build_optim_wrapper(
        model,
        dict(optimizer=dict(type='SGD', lr=opt['lr'], momentum=opt['momentum'],
                            weight_decay=opt['weight_decay'], dampening=opt['dampening'],
                            nesterov=opt['nesterov'], foreach=False)))
    # GPA run: the same trajectory, each step ending one of 3 epochs
    gpa = MODELS.build(dict(type='GaussianEpochAverage', model=model, mean=cfg['GPA_MEAN'],
                            std=cfg['GPA_STD']))
    model.train()
    for step in range(1, opt['steps'] + 1):
        s = f'step{step}'
        out = model.forward_features(images)
        losses = model.compute_losses(out, samples)
        assert list(losses) == ['loss_ce', 'loss_scl_text', 'loss_scl_image', 'loss_scl_logits']
        total = sum(losses.values())
        check(f'{s}/loss', total)
        for name, value in losses.items():
            check(f'{s}/{name}', value)
        check(f'{s}/logits', out.logits)
        check(f'{s}/image_features_raw', out.image_raw)
        check(f'{s}/text_features_raw', out.text_raw)
        check(f'{s}/image_features', out.image)
        check(f'{s}/text_features', out.text)
        if step == 1:
            check('zs_image_features', out.frozen_image)
            check('zs_logits', out.zero_shot_logits)
            length = case['step1/text_prompts'].shape[1]
            with torch.no_grad():
                embeds = model.backbone.embed_text(model.class_tokens, learner().text[0])
            check('step1/text_prompts', embeds[:, :length])
        optim_wrapper.zero_grad()
        optim_wrapper.backward(total)
        if step == 1:
            for name, param in trainable.items():
                check(f'step1/grad/{ours[name]}', param.grad)
        optim_wrapper.step()
        gpa.update_parameters(model)

    for name, param in trainable.items():
        check(f'final/{ours[name]}', param)
    averaged = dict(gpa.module.named_parameters())
    for name in trainable:
        check(f'gpa/final/{ours[name]}', averaged[name])
    check('gpa_weights', torch.tensor(gaussian_epoch_weights(
        case.config['OPTIM.MAX_EPOCH'], cfg['GPA_MEAN'], cfg['GPA_STD']), dtype=torch.float64))
    check('gpa/weights_3_epochs', torch.tensor(gaussian_epoch_weights(
        3, cfg['GPA_MEAN'], cfg['GPA_STD']), dtype=torch.float64))

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
def test_promptsrc_cases_found():
    """The shared reference folder must provide PromptSRC cases (no silent pass)."""
    assert CASES, 'no PromptSRC case found in ../shared/reference/baselines'
