"""The miniature benchmark suite: datasets of the synthetic world in the
CoOp layout, generated deterministically.

==================  =======  =============================  ==================
dataset             classes  label                          role
==================  =======  =============================  ==================
WorldObjects        48       colour + shape ('red star')    base-to-novel,
                                                            few-shot, source
WorldObjectsSketch  48       as WorldObjects, sketches      domain shift
WorldObjectsPixel   48       as WorldObjects, pixel art     domain shift
WorldTextures       24       colour + pattern ('red         cross-dataset,
                             striped')                      few-shot
WorldCounts         24       count + shape ('two stars')    cross-dataset,
                                                            few-shot
==================  =======  =============================  ==================

Every colour, shape, pattern and count is known to the world CLIP; the
novel classes of WorldObjects (the second half of the labels, as CoOp
splits them) are colour-shape pairs none of the base classes has, with
each colour and each shape in both halves. The downstream images are
photos seen through another camera than the pretraining images
(:data:`DOWNSTREAM_DOMAIN`: colour cast, low contrast, noise, blur, stray
strokes), so zero-shot accuracy leaves room to improve.
"""
import json
import os
import os.path as osp
import shutil
import tempfile
from typing import Callable, Dict, List, NamedTuple, Tuple

import numpy as np

from .captions import describe
from .render import Domain, Scene, render_scene
from .vocabulary import BACKGROUNDS, COUNTS, PATTERNS, SHAPES, SIZES

IMAGE_DIR = 'images'
DESCRIPTION_FILE = 'descriptions.json'
IMAGE_SIZE = 48
SUITE_SEED = 2025

# How the downstream camera sees the world (the pretraining images have
# none of this but mild noise).
DOWNSTREAM_DOMAIN = Domain(
    tint=(1.18, 0.93, 0.66), contrast=0.62, noise=16.0, blur=0.4, clutter=5,
    jitter=30.0)

OBJECT_COLOURS = ('red', 'orange', 'yellow', 'green', 'blue', 'purple',
                  'pink', 'brown')
OBJECT_SHAPES = ('circle', 'square', 'triangle', 'star', 'heart', 'hexagon')


class WorldClass(NamedTuple):
    name: str  # class name, as prompts and descriptions use it
    words: Tuple[str, ...]  # the name's words, for descriptions
    draw: Callable[[np.random.Generator], Scene]  # one random scene


class WorldDatasetSpec(NamedTuple):
    name: str  # dataset name in results and reports
    folder: str  # folder under the suite root
    classes: Tuple[WorldClass, ...]
    description_kind: str  # see captions.describe
    domain: Domain
    counts: Dict[str, int]  # images per class per split


def _pick(rng, values) -> str:
    return str(values[rng.integers(len(values))])


def _object_classes(style: str) -> Tuple[WorldClass, ...]:
    """Colour x shape, base classes first: pair (i, j) is base when i + j is
    even, so every colour and shape has base and novel classes."""
    pairs = [(c, s) for i, c in enumerate(OBJECT_COLOURS)
             for j, s in enumerate(OBJECT_SHAPES)]
    ordered = [p for k, p in enumerate(pairs)
               if sum(divmod(k, len(OBJECT_SHAPES))) % 2 == 0]
    ordered += [p for p in pairs if p not in ordered]

    def drawer(colour, shape):
        return lambda rng: Scene(
            shape=shape, colour=colour, pattern=_pick(rng, list(PATTERNS)),
            size=_pick(rng, SIZES), count=int(rng.integers(1, 4)),
            background=_pick(rng, list(BACKGROUNDS)), style=style)

    return tuple(
        WorldClass(f'{c} {s}', (c, s), drawer(c, s)) for c, s in ordered)


def _texture_classes() -> Tuple[WorldClass, ...]:
    patterns = [p for p in PATTERNS if p != 'plain']

    def drawer(colour, pattern):
        return lambda rng: Scene(
            shape=_pick(rng, list(SHAPES)), colour=colour, pattern=pattern,
            size='large', count=int(rng.integers(1, 3)),
            background=_pick(rng, list(BACKGROUNDS)), style='photo')

    return tuple(
        WorldClass(f'{c} {p}', (c, p), drawer(c, p))
        for p in patterns for c in OBJECT_COLOURS)


def _count_classes() -> Tuple[WorldClass, ...]:
    def drawer(count, shape):
        return lambda rng: Scene(
            shape=shape, colour=_pick(rng, OBJECT_COLOURS),
            pattern=_pick(rng, list(PATTERNS)), size='small', count=count,
            background=_pick(rng, list(BACKGROUNDS)), style='photo')

    out = []
    for count, word in COUNTS.items():
        for shape, plural in SHAPES.items():
            noun = shape if count == 1 else plural
            out.append(WorldClass(f'{word} {noun}', (word, noun),
                                  drawer(count, shape)))
    return tuple(out)


# Every dataset has all three splits (the split rules want every test class
# in train); the domain-shift targets are only tested.
_SPLITS = dict(train=32, val=8, test=25)

SUITE: Dict[str, WorldDatasetSpec] = {
    spec.folder: spec
    for spec in (
        WorldDatasetSpec('WorldObjects', 'world_objects',
                         _object_classes('photo'), 'object',
                         DOWNSTREAM_DOMAIN, _SPLITS),
        WorldDatasetSpec('WorldObjectsSketch', 'world_objects_sketch',
                         _object_classes('sketch'), 'object',
                         DOWNSTREAM_DOMAIN._replace(clutter=0), _SPLITS),
        WorldDatasetSpec('WorldObjectsPixel', 'world_objects_pixel',
                         _object_classes('pixel'), 'object',
                         DOWNSTREAM_DOMAIN, _SPLITS),
        WorldDatasetSpec('WorldTextures', 'world_textures',
                         _texture_classes(), 'texture', DOWNSTREAM_DOMAIN,
                         _SPLITS),
        WorldDatasetSpec('WorldCounts', 'world_counts', _count_classes(),
                         'count', DOWNSTREAM_DOMAIN, _SPLITS),
    )
}


def split_file_name(spec: WorldDatasetSpec) -> str:
    return f'split_zhou_{spec.name}.json'


def _write(root: str, spec: WorldDatasetSpec, seed: int) -> None:
    items: Dict[str, List[list]] = {key: [] for key in spec.counts}
    for label, cls in enumerate(spec.classes):
        folder = cls.name.replace(' ', '_')
        os.makedirs(osp.join(root, IMAGE_DIR, folder))
        for split_idx, (key, count) in enumerate(spec.counts.items()):
            for i in range(count):
                rng = np.random.default_rng([seed, label, split_idx, i])
                rel = f'{folder}/{key}_{i:03d}.png'
                render_scene(cls.draw(rng), rng, IMAGE_SIZE,
                             spec.domain).save(osp.join(root, IMAGE_DIR, rel))
                items[key].append([rel, label, cls.name])
    with open(osp.join(root, split_file_name(spec)), 'w') as f:
        json.dump(items, f, indent=0)
    with open(osp.join(root, DESCRIPTION_FILE), 'w') as f:
        json.dump({c.name: describe(list(c.words), spec.description_kind)
                   for c in spec.classes}, f, indent=1)


def prepare_world_dataset(root: str, folder: str,
                          seed: int = SUITE_SEED) -> str:
    """Generate the suite dataset ``folder`` at ``root`` unless it is there.

    Written into a temporary sibling renamed at the end: an interrupted run
    leaves nothing half-written and concurrent callers are safe. The content
    is a deterministic function of ``folder`` and ``seed``.

    Returns:
        str: The absolute ``root``.
    """
    spec = SUITE[folder]
    root = osp.abspath(osp.expanduser(root))
    if osp.isfile(osp.join(root, split_file_name(spec))):
        return root
    parent = osp.dirname(root)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f'.{osp.basename(root)}.tmp-', dir=parent)
    try:
        _write(tmp, spec, seed)
        os.chmod(tmp, 0o755)
        try:
            os.rename(tmp, root)
        except OSError:
            if not osp.isfile(osp.join(root, split_file_name(spec))):
                raise
    finally:
        if osp.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    return root
