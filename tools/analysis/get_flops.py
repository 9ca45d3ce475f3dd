#!/usr/bin/env python
"""Inference FLOPs and trainable / total parameters of a config's model.

The paper's Table 8 compares methods by test-time GFLOPs and the number of
learned parameters. A CLIP classifier of this plugin (any method)
classifies a batch in parts:

* the text tower over the ``C`` class prompts (once per class list for
  pure learners, whose class features are cached during an evaluation;
  every batch for learners that are not pure, e.g.
  ``HiCroPLOfficialPromptLearner``; every image when the class prompts
  depend on the image, e.g. CoCoOp's; never for frozen class features, e.g.
  zero-shot CLIP's, computed once per class list);
* the prompt learner, every batch;
* per image: the image towers (prompted, and frozen when some part needs
  the frozen features) and the logits; ``per_image_gflops`` is what one
  more image adds to a batch, the number the model zoo lists.

A model without trainable parameters that is fitted on features
(``fit``, e.g. the linear probe) is fitted on random features first.

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
    """The config's model on ``num_classes`` synthetic classes (eval).

    A model fitted in one go on features (``fit``, e.g. the linear probe)
    is fitted on random features first (one per class, its ``C`` as
    configured), so that it can predict; its parameter count and FLOPs do
    not depend on what it was fitted on."""
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
    model = MODELS.build(model_cfg)
    model.set_classnames([f'class {i}' for i in range(num_classes)])
    if not any(p.requires_grad for p in model.parameters()) and callable(
            getattr(model, 'fit', None)):
        generator = torch.Generator().manual_seed(0)
        size = model.backbone.image_size
        size = (size, size) if isinstance(size, int) else tuple(size)
        with torch.no_grad():
            dim = model.eval().extract_feat(torch.zeros(1, 3, *size)).shape[-1]
        features = torch.randn(num_classes, dim, generator=generator)
        labels = torch.arange(num_classes)
        model.fit(features, labels, features, labels)
        notes.append('fitted on random features (one per class) to predict.')
    return model.eval(), notes


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
    # what a checkpoint holds (trained or fitted tensors; no frozen CLIP)
    counts['saved'] = sum(v.numel() for v in model.state_dict().values()
                          if isinstance(v, torch.Tensor))
    return counts


def inference_flops(model, batch_size: int) -> Dict[str, float]:
    """GFLOPs of one evaluation batch and of its parts.

    Returns:
        dict: ``batch_gflops`` (everything, cold text cache),
        ``per_image_gflops`` (what each image adds: the FLOPs of a batch of
        ``batch_size + 1`` images minus those of ``batch_size``, i.e. the
        image towers and logits, and the text tower too when the class
        prompts depend on the image), ``text_gflops`` (text tower over the
        class prompts, once per class list for pure learners; 0 without
        prompted class prompts or when they depend on the image) and
        ``prompt_learner_gflops`` (the prompt learner, when it reads no
        frozen features; else 0: it runs per image).
    """
    from projects.hicropl.utils import count_flops
    size = model.backbone.image_size
    size = (size, size) if isinstance(size, int) else tuple(size)

    def predict_flops(num_images: int) -> float:
        images = torch.zeros(num_images, 3, *size)
        model.train().eval()  # empty the per-evaluation text cache
        return count_flops(lambda: model(images, mode='predict'))

    learner = getattr(model, 'prompt_learner', None)
    prompts = text = 0
    with torch.no_grad():
        batch = predict_flops(batch_size)
        per_image = predict_flops(batch_size + 1) - batch
        if learner is not None and not learner.needs:
            prompts = count_flops(learner)
            prompt_set = learner()
            if not prompt_set.text_per_image:
                text = count_flops(
                    lambda: model.encode_class_prompts(prompt_set))
    return dict(
        batch_gflops=batch / 1e9,
        text_gflops=text / 1e9,
        prompt_learner_gflops=prompts / 1e9,
        per_image_gflops=per_image / 1e9)


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
            ('  prompt learner', 'prompt_learner_gflops'),
            ('  per image (image towers, logits)', 'per_image_gflops'))
    for label, key in rows:
        print(f'{label:<44}{flops[key]:>14.4f} GFLOPs')
    print(split)
    for part, num in params.items():
        label = {'saved': 'checkpoint values (trained or fitted)'}.get(
            part, (part if part in ('trainable', 'total') else f'  {part}')
            + ' parameters')
        print(f'{label:<44}{num:>16,}')
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
