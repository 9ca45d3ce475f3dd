"""The harness shared by the baseline parity tests (CoOp, CoCoOp, IVLP,
MaPLe, PromptSRC against the authors' code).

A baseline case (``baselines/<id>`` of a reference root, see
:func:`find_baseline_cases`) is rebuilt through the normal paths: the tiny
CLIP written to a local file and loaded as ``pretrained``, the model built
from the registry, SGD by MMEngine. :class:`ArrayChecker` compares every
array of the case within the case's own tolerance groups
(:meth:`ReferenceCase.mismatch`) and, at the end, asserts that no array of
the case was left unchecked. :func:`run_baseline_parity` drives the SGD
steps and the two evaluation forwards that every baseline case records;
method-specific arrays are checked by the hooks a test passes to it.
"""
import os.path as osp
from typing import Callable, Dict, Iterable, Optional, Sequence, Tuple

import torch
from mmengine.optim import build_optim_wrapper

from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from ..models.utils import build_class_prompts
from .reference import ReferenceCase, recipe_arch, recipe_state_dict


class ArrayChecker:
    """``checker(key, tensor)`` compares ``tensor`` with the case's array
    ``key`` within its tolerance group and remembers the key;
    :meth:`assert_all_passed` fails on any mismatch and on any array of the
    case that was never checked (or any key checked that the case lacks)."""

    def __init__(self, case: ReferenceCase):
        self.case = case
        self.errors = []
        self.checked = set()

    def __call__(self, key: str, got) -> None:
        self.checked.add(key)
        problem = self.case.mismatch(key, got)
        if problem:
            self.errors.append(problem)

    def assert_all_passed(self) -> None:
        assert not self.errors, '\n'.join(self.errors)
        expected = set(self.case.arrays)
        assert self.checked == expected, sorted(expected ^ self.checked)


def build_baseline_model(case: ReferenceCase, tmp_path, prompt_learner: Dict,
                         name_map: Optional[Callable[[str], str]] = None,
                         losses: Optional[Sequence[Dict]] = None,
                         **classifier) -> torch.nn.Module:
    """A ``PromptCLIPClassifier`` on the case's tiny CLIP (saved under
    ``tmp_path`` and loaded as ``pretrained``) with ``prompt_learner``, a
    cosine head, ``losses`` (default: the logits loss) and the extra
    classifier arguments; the learnable tensors are then set to the case's
    recipe, the authors' name ``n`` going to our parameter ``name_map(n)``
    (the same name where ``name_map`` is None)."""
    weights = osp.join(tmp_path, 'tiny_clip_openai_format.pt')
    torch.save(recipe_state_dict(case.recipe), weights)
    model = MODELS.build(
        dict(
            type='PromptCLIPClassifier',
            backbone=dict(type='PromptedCLIP', arch=recipe_arch(case.recipe), pretrained=weights),
            prompt_learner=prompt_learner,
            head=dict(type='CosineHead'),
            losses=list(losses) if losses is not None else [dict(type='LogitsLoss')],
            classnames=case.meta['classnames'],
            **classifier))
    with torch.no_grad():
        params = dict(model.named_parameters())
        for name, value in case.learner_recipe().items():
            params[name_map(name) if name_map else name].copy_(torch.from_numpy(value))
    return model


def check_learner_config(case: ReferenceCase, learner, optional: bool = False) -> None:
    """The learner's context length and prompt prefix are the case's
    (``optional``: only where the case records them)."""
    for attr, key in (('n_ctx', 'n_ctx_used'), ('prompt_prefix', 'prompt_prefix')):
        if not optional or case.config.get(key) is not None:
            assert getattr(learner, attr) == case.config[key], attr


def written_class_prompts(model) -> torch.Tensor:
    """The tokens of the class prompts as the authors write them
    (``'<prefix> <name>.'``, class name at the end)."""
    learner = model.prompt_learner
    written, _ = build_class_prompts(
        model.backbone.tokenizer, learner.class_prompt_template(), model.classnames,
        learner.n_ctx, 'end', model.backbone.context_length)
    return written


def check_text_prompts(case: ReferenceCase, check: ArrayChecker, model, *embed_args) -> None:
    """``step1/text_prompts``: the text-tower input embeddings of the class
    prompts (as long as the case stores them)."""
    length = case['step1/text_prompts'].shape[1]
    with torch.no_grad():
        embeds = model.backbone.embed_text(
            model.class_tokens, model.prompt_learner().text[0], *embed_args)
    check('step1/text_prompts', embeds[:, :length])


def case_inputs(case: ReferenceCase, check: ArrayChecker) -> Tuple[torch.Tensor, list]:
    """The case's images (checked) and data samples of its labels (checked)."""
    images = torch.from_numpy(case['images'])
    labels = torch.from_numpy(case['labels'])
    check('images', images)
    check('labels', labels)
    return images, [DataSample().set_gt_label(int(label)) for label in labels]


def run_baseline_parity(case: ReferenceCase, model, check: ArrayChecker, images, samples,
                        trainable: Dict[str, torch.nn.Parameter],
                        loss_names: Iterable[str] = ('loss_ce', ),
                        ordered_losses: bool = False,
                        on_train_step: Optional[Callable] = None,
                        after_update: Optional[Callable] = None,
                        on_eval: Optional[Callable] = None) -> None:
    """SGD (the case's optimizer) for the case's steps, then two evaluation
    forwards, checking the arrays every baseline case records.

    ``trainable`` maps the case's (authors') parameter names to our
    parameters. Each step checks the loss, logits and raw/normalized features,
    then calls ``on_train_step(step, out, losses)`` before the backward pass;
    the gradients are checked after step 1, and ``after_update(step)`` runs
    after each optimizer step. The final parameters are checked, then each
    evaluation forward ``j`` (1, 2) checks logits and raw features and calls
    ``on_eval(j, out)`` (under ``torch.no_grad``). ``loss_names``: the loss
    terms expected (as a list when ``ordered_losses``, else as a set).
    """
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
        if ordered_losses:
            assert list(losses) == list(loss_names)
        else:
            assert set(losses) == set(loss_names)
        total = sum(losses.values())
        check(f'{s}/loss', total)
        check(f'{s}/logits', out.logits)
        check(f'{s}/image_features_raw', out.image_raw)
        check(f'{s}/text_features_raw', out.text_raw)
        check(f'{s}/image_features', out.image)
        check(f'{s}/text_features', out.text)
        if on_train_step is not None:
            on_train_step(step, out, losses)
        optim_wrapper.zero_grad()
        optim_wrapper.backward(total)
        if step == 1:
            for name, param in trainable.items():
                check(f'step1/grad/{name}', param.grad)
        optim_wrapper.step()
        if after_update is not None:
            after_update(step)

    for name, param in trainable.items():
        check(f'final/{name}', param)

    model.eval()
    with torch.no_grad():
        for j in (1, 2):
            out = model.forward_features(images)
            check(f'eval{j}/logits', out.logits)
            check(f'eval{j}/image_features_raw', out.image_raw)
            check(f'eval{j}/text_features_raw', out.text_raw)
            if on_eval is not None:
                on_eval(j, out)


def missing_cases_message(method: str) -> str:
    """The message of a ``*_cases_found`` test that found no case."""
    return f'no {method} case found in ../shared/reference/baselines'
