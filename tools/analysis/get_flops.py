#!/usr/bin/env python
"""Inference FLOPs and trainable / total parameters of a config's model.

The paper's Table 8 compares methods by test-time GFLOPs and the number of
learned parameters. A prompt-learned CLIP classifies a batch in two parts:

* the text tower over the ``C`` class prompts (once per class list for
  pure learners, whose class features are cached during an evaluation;
  every batch for learners that are not pure, e.g.
  ``HiCroPLOfficialPromptLearner``);
* the prompt learner (LKPs and mappers), every batch;
* per image: the prompted image tower, the frozen image tower (HiCroPL
  fuses frozen features) and the logits.

All are measured by running the model (``predict`` mode, no gradient) under
``torch.utils.flop_counter.FlopCounterMode`` (one multiply-add = 2 FLOPs;
convolutions, matrix products and fused attention are counted, element-wise
operations are not)::

    python tools/analysis/get_flops.py \\
        configs/hicropl/base2novel/imagenet.py --random-weights \\
        --num-classes 1000

``--random-weights`` builds the architecture without loading CLIP weights
(no download; FLOPs and parameters do not depend on the weights). The class
names are synthetic; when the config's description file is missing, the
frozen class text uses a template (the FLOPs of the per-class frozen text are
not part of inference: it is computed once per class list). The last line is
one JSON object with all numbers.
"""
import argparse
import json
import os.path as osp
import sys
from collections import OrderedDict
from typing import Dict

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402

from projects.hicropl.utils.cli import (add_debug_argument,  # noqa: E402
                                        run_main)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Inference FLOPs and parameter counts of a model')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--random-weights',
        action='store_true',
        help='build the backbone without pretrained weights (no download)')
    parser.add_argument(
        '--num-classes',
        type=int,
        default=1000,
        help='number of (synthetic) classes. Defaults to 1000 (ImageNet).')
    parser.add_argument(
        '--batch-size', type=int, default=1, help='images per batch')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def build_model(cfg: Config, random_weights: bool, num_classes: int):
    """The config's model on ``num_classes`` synthetic classes (eval)."""
    import projects.hicropl  # noqa: F401
    from mmpretrain.registry import MODELS
    model_cfg = cfg.model.copy()
    notes = []
    if random_weights:
        model_cfg.backbone = dict(model_cfg.backbone, pretrained=None)
    class_text = model_cfg.get('class_text') or {}
    descriptions = class_text.get('descriptions')
    if class_text.get('type') == 'DescriptionTextEmbeddings' and not (
            descriptions and osp.isfile(descriptions)):
        model_cfg.class_text = dict(type='TemplateTextEmbeddings')
        notes.append(f'description file {descriptions!r} not found: frozen '
                     'class text from a template (not part of inference).')
    model_cfg.classnames = [f'class {i}' for i in range(num_classes)]
    return MODELS.build(model_cfg).eval(), notes


def parameter_counts(model) -> Dict[str, int]:
    """Trainable parameters per prompt-learner part, trainable, total."""
    counts: Dict[str, int] = OrderedDict()
    for name, param in model.named_parameters():
        if param.requires_grad:
            part = '.'.join(name.split('.')[:2])
            counts[part] = counts.get(part, 0) + param.numel()
    counts['trainable'] = sum(
        p.numel() for p in model.parameters() if p.requires_grad)
    counts['total'] = sum(p.numel() for p in model.parameters())
    return counts


def inference_flops(model, batch_size: int) -> Dict[str, float]:
    """GFLOPs of one evaluation batch and of its parts.

    Returns:
        dict: ``batch_gflops`` (everything, cold text cache),
        ``text_gflops`` (text tower over the class prompts: once per class
        list for pure learners), ``prompt_learner_gflops`` (every batch) and
        ``per_image_gflops`` (image towers and logits).
    """
    from projects.hicropl.utils import count_flops
    size = model.backbone.image_size
    size = (size, size) if isinstance(size, int) else tuple(size)
    images = torch.zeros(batch_size, 3, *size)
    learner = model.prompt_learner
    with torch.no_grad():
        prompts = count_flops(learner)
        text_prompts = learner().text
        text = count_flops(lambda: model.backbone.encode_text(
            model.class_tokens, text_prompts))
        model.train().eval()  # empty the per-evaluation text cache
        batch = count_flops(lambda: model(images, mode='predict'))
    return dict(
        batch_gflops=batch / 1e9,
        text_gflops=text / 1e9,
        prompt_learner_gflops=prompts / 1e9,
        per_image_gflops=(batch - text - prompts) / batch_size / 1e9)


def main(argv=None) -> Dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model, notes = build_model(cfg, args.random_weights, args.num_classes)
    params = parameter_counts(model)
    flops = inference_flops(model, args.batch_size)
    split = '=' * 64
    print(split)
    print(f'Config:  {args.config}')
    print(f'Classes: {args.num_classes}, batch: {args.batch_size}, image '
          f'size: {tuple(model.backbone.image_size)}')
    print(split)
    rows = (('batch (class prompts + prompts + images)', 'batch_gflops'),
            ('  text tower over the class prompts', 'text_gflops'),
            ('  prompt learner (LKPs + mappers)', 'prompt_learner_gflops'),
            ('  per image (both image towers, logits)', 'per_image_gflops'))
    for label, key in rows:
        print(f'{label:<44}{flops[key]:>14.4f} GFLOPs')
    print(split)
    for part, num in params.items():
        label = part if part in ('trainable', 'total') else f'  {part}'
        print(f'{label + " parameters":<44}{num:>16,}')
    print(split)
    for note in notes:
        print('Note:', note)
    print('FLOPs: one multiply-add = 2 FLOPs (GMACs = GFLOPs / 2); '
          'element-wise operations are not counted.')
    result = dict(flops, params=params, num_classes=args.num_classes,
                  batch_size=args.batch_size)
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    run_main(main)
