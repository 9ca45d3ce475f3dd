#!/usr/bin/env python
"""What a world CLIP knows: each attribute of the world, zero-shot and by a
linear probe.

Renders ``--images`` new pretraining scenes (another seed than the
pretraining set) and, for each attribute (colour, shape, pattern, size,
count, background, style), measures:

* **zero-shot** accuracy: the image embedding against one text embedding
  per value, the mean of the normalised embeddings of every caption that
  names the value with every colour-shape pair (prompt ensembling, so that
  the other attributes are averaged out), e.g. for ``count``
  "a photo of two red stars.", "a photo of two blue circles.", ...;
* **linear probe** accuracy: a multinomial logistic regression on the
  image embeddings of the first 75% of the scenes, tested on the rest. It
  says whether the image features hold the attribute at all, whatever the
  text tower does with it.

Example::

    python tools/world/probe_clip.py            # the shipped weights
    python tools/world/probe_clip.py --weights my_world_clip.pt
"""
import argparse
import os.path as osp
import sys
from typing import Callable, Dict, List, Sequence

import numpy as np
import torch
import torch.nn.functional as F

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import open_clip  # noqa: E402
from mmengine.config import Config  # noqa: E402

from projects.hicropl.datasets.world.captions import \
    object_phrase  # noqa: E402
from projects.hicropl.datasets.world.pretraining import \
    render_pretraining_set  # noqa: E402
from projects.hicropl.datasets.world.render import Scene  # noqa: E402
from projects.hicropl.datasets.world.vocabulary import (  # noqa: E402
    BACKGROUNDS, COLOURS, COUNTS, PATTERNS, SHAPES, SIZES, STYLES)
from projects.hicropl.errors import UserError  # noqa: E402
from projects.hicropl.utils.cli import run_main  # noqa: E402

ARCH_CONFIG = osp.join(REPO_ROOT, 'configs', '_base_', 'world_clip.py')
CLIP_MEAN = (0.48145466 * 255, 0.4578275 * 255, 0.40821073 * 255)
CLIP_STD = (0.26862954 * 255, 0.26130258 * 255, 0.27577711 * 255)

# attribute -> (its values, the scene with that value named in a caption)
_DEFAULT = dict(shape='star', colour='red', pattern='plain', size='large',
                count=1, background='grey', style='photo')
ATTRIBUTES: Dict[str, Sequence] = {
    'colour': list(COLOURS),
    'shape': list(SHAPES),
    'pattern': list(PATTERNS),
    'size': list(SIZES),
    'count': list(COUNTS),
    'background': list(BACKGROUNDS),
    'style': list(STYLES),
}


class _AllWords:
    """A stand-in random generator: ``object_phrase`` names an optional
    word (size, pattern) when its probability is positive."""

    @staticmethod
    def random():
        return 0.0


def prompt(attribute: str, value, colour: str, shape: str) -> str:
    """A caption naming ``value`` of ``attribute`` on a colour-shape
    object, in the pretraining captions' words."""
    fields = dict(_DEFAULT, colour=colour, shape=shape)
    fields[attribute] = value  # colour and shape prompts repeat: no matter
    scene = Scene(**fields)
    # the optional words are named for their own attribute only
    obj = object_phrase(scene, _AllWords(),
                        p_size=1 if attribute == 'size' else -1,
                        p_pattern=1 if attribute == 'pattern' else -1)
    if attribute == 'background':
        return f'{obj} on a {value} background.'
    return f'{STYLES[scene.style]} {obj}.'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--weights', default=osp.join(
        REPO_ROOT, 'checkpoints', 'world_clip', 'world_clip_vit-t8-48px.pt'))
    parser.add_argument('--images', type=int, default=4000)
    parser.add_argument('--seed', type=int, default=123,
                        help='seed of the scenes (the pretraining set '
                        'used 0)')
    parser.add_argument('--threads', type=int, default=1)
    return parser.parse_args(argv)


def load_world_clip(weights: str) -> torch.nn.Module:
    if not osp.isfile(weights):
        raise UserError(f'No weights file {weights}: give the file '
                        'tools/world/pretrain_clip.py --out wrote.')
    arch = Config.fromfile(ARCH_CONFIG).world_clip_arch.to_dict()
    arch.pop('_delete_', None)
    model = open_clip.model.CLIP(**arch)
    state = torch.load(weights, map_location='cpu', weights_only=True)
    model.load_state_dict({k: v.float() for k, v in state.items()})
    return model.eval()


@torch.no_grad()
def class_embeddings(model, tokenizer, attribute: str) -> torch.Tensor:
    """``(num_values, D)``: per value, the normalised mean of its prompts'
    normalised embeddings over every colour-shape pair."""
    rows = []
    for value in ATTRIBUTES[attribute]:
        texts = [prompt(attribute, value, c, s) for c in COLOURS
                 for s in SHAPES]
        emb = model.encode_text(tokenizer(texts), normalize=True).mean(0)
        rows.append(F.normalize(emb, dim=0))
    return torch.stack(rows)


def linear_probe(feats: torch.Tensor, labels: torch.Tensor,
                 num_classes: int, split: int) -> float:
    """Test accuracy of a logistic regression fitted on ``[:split]``."""
    mean, std = feats[:split].mean(0), feats[:split].std(0) + 1e-6
    x = (feats - mean) / std
    weight = torch.zeros(x.shape[1], num_classes, requires_grad=True)
    bias = torch.zeros(num_classes, requires_grad=True)
    optimizer = torch.optim.LBFGS([weight, bias], max_iter=300)

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(x[:split] @ weight + bias, labels[:split])
        loss = loss + 1e-3 * weight.pow(2).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        pred = (x[split:] @ weight + bias).argmax(1)
    return pred.eq(labels[split:]).float().mean().item()


def probe(model, images: np.ndarray, scenes: List[Scene],
          attributes: Sequence[str] = tuple(ATTRIBUTES)) -> List[Dict]:
    """One row per attribute: classes, chance, zero-shot and linear-probe
    accuracy (fractions)."""
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float()
    x = (x - torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)) / torch.tensor(
        CLIP_STD).view(1, 3, 1, 1)
    with torch.no_grad():
        feats = model.encode_image(x, normalize=True)
    tokenizer = open_clip.SimpleTokenizer(
        context_length=model.context_length)
    split = len(scenes) * 3 // 4
    rows = []
    for attribute in attributes:
        values = list(ATTRIBUTES[attribute])
        labels = torch.tensor(
            [values.index(getattr(s, attribute)) for s in scenes])
        text = class_embeddings(model, tokenizer, attribute)
        zero_shot = (feats @ text.t()).argmax(1).eq(labels).float().mean()
        rows.append(dict(
            attribute=attribute, classes=len(values),
            chance=1 / len(values), zero_shot=zero_shot.item(),
            linear_probe=linear_probe(feats, labels, len(values), split)))
    return rows


def main(argv=None, render: Callable = render_pretraining_set):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    model = load_world_clip(args.weights)
    images, scenes = render(args.images, model.visual.image_size[0],
                            args.seed)
    rows = probe(model, images, scenes)
    print(f'{args.weights}: {args.images} scenes (seed {args.seed}); '
          'linear probe fitted on 75%, tested on 25%')
    print(f'{"attribute":<12}{"classes":>8}{"chance":>9}{"zero-shot":>11}'
          f'{"linear probe":>14}')
    for r in rows:
        print(f'{r["attribute"]:<12}{r["classes"]:>8}'
              f'{100 * r["chance"]:>8.1f}%{100 * r["zero_shot"]:>10.1f}%'
              f'{100 * r["linear_probe"]:>13.1f}%')
    return rows


if __name__ == '__main__':
    run_main(main)
