"""`HiCroPLOfficialPromptLearner` vs the authors' code on every reference case.

Each case of ``../shared/reference/cases`` (and ``$HICROPL_REFERENCE_DIR``)
is rebuilt through the normal paths (tiny CLIP written to a local file and
loaded as ``pretrained``, the description JSON read by the description
loader, the model built from the registry, the optimizer by MMEngine), then
compared array by array in the README's suggested order.
"""
import os.path as osp

import pytest
import torch
from mmengine.optim import build_optim_wrapper

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from projects.hicropl.models.prompt_learners.official_names import \
    official_to_ours
from projects.hicropl.testing import (find_reference_cases, recipe_arch,
                                      recipe_state_dict)
from projects.hicropl.testing.reference import ReferenceCase

CASES = find_reference_cases()


def build_case_model(case: ReferenceCase, tmp_path) -> torch.nn.Module:
    weights = osp.join(tmp_path, 'tiny_clip_openai_format.pt')
    torch.save(recipe_state_dict(case.recipe), weights)
    cfg = case.config
    model = MODELS.build(
        dict(
            type='PromptCLIPClassifier',
            backbone=dict(
                type='PromptedCLIP',
                arch=recipe_arch(case.recipe),
                pretrained=weights),
            prompt_learner=dict(
                type='HiCroPLOfficialPromptLearner',
                n_ctx=cfg['N_CTX'],
                ctx_init=cfg['CTX_INIT'],
                depth=cfg['PROMPT_DEPTH'],
                cross_layer=cfg['CROSS_LAYER'],
                num_heads=cfg['mapper_and_lkp_heads']),
            class_text=dict(
                type='DescriptionTextEmbeddings',
                descriptions=case.descriptions_file),
            classnames=case.meta['classnames'],
            head=dict(type='FusedFrozenHead'),
            losses=[
                dict(type='LogitsLoss'),
                dict(
                    type='ConsistencyLoss',
                    criterion='cosine',
                    loss_weight=cfg['LAMBD'])
            ]))
    with torch.no_grad():
        params = dict(model.named_parameters())
        for name, value in case.learner_recipe().items():
            params[official_to_ours(name)].copy_(torch.from_numpy(value))
    return model


class Recorder:
    """Prompts as the towers saw them (cloned when produced)."""

    def __init__(self, learner):
        self.last = None
        learner.register_forward_hook(self._hook)

    def _hook(self, module, args, output):
        self.last = (torch.stack([t.detach().clone() for t in output.text]),
                     torch.stack([v.detach().clone() for v in output.visual]))


@pytest.mark.parity
@pytest.mark.parametrize('folder', CASES, ids=[osp.basename(c) for c in CASES])
def test_official_parity(folder, tmp_path, one_torch_thread):
    case = ReferenceCase(folder)
    cfg = case.config
    model = build_case_model(case, tmp_path)
    recorder = Recorder(model.prompt_learner)
    errors = []

    def check(key, got):
        problem = case.mismatch(key, got)
        if problem:
            errors.append(problem)

    # Inputs and frozen features.
    check('tokenized_prompts', model.class_tokens)
    sentences = model.class_text.sentences(case.meta['classnames'])
    check('description_tokens',
          model.backbone.tokenize([s for c in sentences for s in c]))
    check('description_class_index',
          torch.tensor([i for i, c in enumerate(sentences) for _ in c]))
    check('fixed_text_features', model.frozen_text_features)
    images = torch.from_numpy(case['images'])
    labels = torch.from_numpy(case['labels'])
    samples = [DataSample().set_gt_label(int(label)) for label in labels]
    with torch.no_grad():
        frozen_raw = model.backbone.encode_image(images)
    check('zs_image_features_raw', frozen_raw)
    check('zs_image_features', torch.nn.functional.normalize(frozen_raw,
                                                             dim=-1))
    assert not errors, '\n'.join(errors)

    # Three Adam steps on the same batch, with MMEngine's optimizer build.
    opt = case.meta['optimizer']
    optim_wrapper = build_optim_wrapper(
        model,
        dict(
            optimizer=dict(
                type='Adam',
                lr=opt['lr'],
                betas=tuple(opt['betas']),
                eps=opt['eps'],
                weight_decay=opt['weight_decay'],
                foreach=False)))
    model.train()
    lam = cfg['LAMBD']
    for step in (1, 2, 3):
        out = model.forward_features(images)
        losses = model.compute_losses(out, samples)
        total = sum(losses.values())
        s = f'step{step}'
        check(f'{s}/loss', total)
        check(f'{s}/loss_ce', losses['loss_ce'])
        check(f'{s}/loss_text_consistency',
              losses['loss_text_consistency'] / lam)
        check(f'{s}/loss_image_consistency',
              losses['loss_image_consistency'] / lam)
        check(f'{s}/logits', out.logits)
        check(f'{s}/image_features', out.image)
        check(f'{s}/text_features', out.text)
        check(f'{s}/image_features_prompted_raw', out.image_raw)
        check(f'{s}/text_features_prompted_raw', out.text_raw)
        optim_wrapper.backward(total)
        if step == 1:
            check('step1/prompts_text_used', recorder.last[0])
            check('step1/prompts_visual_used', recorder.last[1])
            learner = model.prompt_learner
            check('step1/grad_text',
                  torch.stack([p.grad for p in learner.text_prompts]))
            check('step1/grad_visual',
                  torch.stack([p.grad for p in learner.visual_prompts]))
            no_grad = [
                n for n, p in learner.named_parameters() if p.grad is None
            ]
            expected = len(case.meta['quirks_verified']
                           ['params_with_grad_None_at_each_step']['1'])
            assert len(no_grad) == expected  # Q3: mappers/LKPs get none
        optim_wrapper.step()
        optim_wrapper.zero_grad()

    params = dict(model.named_parameters())
    for key in case.arrays:
        if key.startswith('final/'):
            check(key, params[official_to_ours(key[len('final/'):])])

    # Two consecutive evaluations (they differ: Q4).
    model.eval()
    with torch.no_grad():
        for j in (1, 2):
            out = model.forward_features(images)
            check(f'eval{j}/logits', out.logits)
            check(f'eval{j}/image_features_prompted_raw',
                  out.image_raw)
            check(f'eval{j}/text_features_prompted_raw',
                  out.text_raw)
            if j == 1:
                check('eval1/prompts_text_used', recorder.last[0])
                check('eval1/prompts_visual_used', recorder.last[1])
    assert not errors, '\n'.join(errors)


@pytest.mark.parity
def test_reference_cases_found():
    """The shared reference folder must provide cases (no silent pass)."""
    assert CASES, 'no reference case found in ../shared/reference/cases'


@pytest.mark.parity
def test_unreadable_case_fails(tmp_path, monkeypatch):
    """A case folder that cannot be read is an error, never a silent skip."""
    broken = tmp_path / 'cases' / 'broken_case'
    broken.mkdir(parents=True)
    (broken / 'case.json').write_text('{"id": "broken_case"}')
    monkeypatch.setenv('HICROPL_REFERENCE_DIR', str(tmp_path))
    assert str(broken) in find_reference_cases()
    with pytest.raises(Exception):
        ReferenceCase(str(broken))
    monkeypatch.setenv('HICROPL_REFERENCE_DIR', str(tmp_path / 'missing'))
    with pytest.raises(FileNotFoundError, match='HICROPL_REFERENCE_DIR'):
        find_reference_cases()
