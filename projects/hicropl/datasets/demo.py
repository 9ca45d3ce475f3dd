"""A generated demo dataset in CoOp layout: runs need no download.

:func:`prepare_demo_dataset` draws small JPEG images of coloured shapes and
patterns (one visually distinct class each, with per-image jitter and
noise), a CoOp split file and a description JSON in the authors' format.
:class:`HiCroPLDemoDataset` generates it on first use and then reads it
through the ordinary :class:`CoOpDataset` loader.
"""
import json
import os
import os.path as osp
import shutil
import tempfile
from typing import Dict, List, NamedTuple, Optional, Tuple

import numpy as np
from PIL import Image, ImageDraw

from mmpretrain.registry import DATASETS
from ..errors import ConfigError, DataError
from .coop_dataset import CoOpDataset

DEMO_SPLIT_FILE = 'split_zhou_HiCroPLDemo.json'
DEMO_IMAGE_DIR = 'images'
DEMO_DESCRIPTION_FILE = 'descriptions.json'
# Where the demo config keeps the dataset; generated there on first use.
DEFAULT_DEMO_ROOT = 'data/hicropl_demo'


class DemoRootError(ConfigError, FileExistsError):
    """The demo ``data_root`` exists but is not a demo dataset."""


class _DemoClass(NamedTuple):
    name: str  # the class name (split, descriptions, prompts)
    color: Tuple[int, int, int]
    pattern: str  # a key of _PATTERNS
    phrase: str  # what the pattern looks like, for descriptions


# Distinct colour *and* pattern per class. A class has one name everywhere:
# in the split file, as the description key, in the prompts and in results
# (words separated by spaces); only its image folder uses ``_``.
DEMO_CLASSES: Tuple[_DemoClass, ...] = (
    _DemoClass('red circle', (220, 30, 30), 'disc', 'round disc'),
    _DemoClass('green square', (30, 190, 50), 'square', 'square block'),
    _DemoClass('blue triangle', (40, 80, 230), 'triangle', 'triangle'),
    _DemoClass('yellow horizontal stripes', (240, 220, 30), 'hstripes',
               'pattern of horizontal stripes'),
    _DemoClass('magenta vertical stripes', (220, 40, 200), 'vstripes',
               'pattern of vertical stripes'),
    _DemoClass('cyan checkerboard', (40, 220, 220), 'checker',
               'checkerboard pattern'),
    _DemoClass('orange ring', (250, 140, 20), 'ring', 'hollow ring'),
    _DemoClass('white cross', (245, 245, 245), 'cross', 'plus-shaped cross'),
    _DemoClass('purple diagonal stripes', (120, 50, 180), 'dstripes',
               'pattern of diagonal stripes'),
    _DemoClass('lime polka dots', (160, 240, 60), 'dots',
               'pattern of polka dots'),
    _DemoClass('pink star', (255, 130, 180), 'star', 'five-pointed star'),
    _DemoClass('brown diamond', (140, 90, 40), 'diamond', 'diamond shape'),
)


def _draw_pattern(draw: ImageDraw.ImageDraw, pattern: str, color: tuple,
                  size: int, rng: np.random.Generator) -> None:
    """Draw one jittered instance of ``pattern`` onto a ``size`` image."""
    s = size
    cx, cy = s / 2 + rng.uniform(-0.12, 0.12, 2) * s
    r = rng.uniform(0.22, 0.34) * s
    box = [cx - r, cy - r, cx + r, cy + r]
    if pattern == 'disc':
        draw.ellipse(box, fill=color)
    elif pattern == 'ring':
        draw.ellipse(box, outline=color, width=max(2, int(r * 0.3)))
    elif pattern == 'square':
        draw.rectangle(box, fill=color)
    elif pattern == 'triangle':
        draw.polygon([(cx, cy - r), (cx - r, cy + r * 0.8),
                      (cx + r, cy + r * 0.8)], fill=color)
    elif pattern == 'diamond':
        draw.polygon([(cx, cy - r), (cx + r * 0.75, cy), (cx, cy + r),
                      (cx - r * 0.75, cy)], fill=color)
    elif pattern == 'cross':
        w = r * 0.35
        draw.rectangle([cx - w, cy - r, cx + w, cy + r], fill=color)
        draw.rectangle([cx - r, cy - w, cx + r, cy + w], fill=color)
    elif pattern == 'star':
        angles = np.pi / 2 + np.arange(10) * np.pi / 5
        radii = np.where(np.arange(10) % 2 == 0, r, r * 0.45)
        draw.polygon([(cx + rad * np.cos(a), cy - rad * np.sin(a))
                      for a, rad in zip(angles, radii)], fill=color)
    elif pattern in ('hstripes', 'vstripes', 'dstripes'):
        period = rng.uniform(0.14, 0.2) * s
        offset = rng.uniform(0, period)
        k = -s + offset
        while k < 2 * s:
            w = period / 2
            if pattern == 'hstripes':
                draw.rectangle([0, k, s, k + w], fill=color)
            elif pattern == 'vstripes':
                draw.rectangle([k, 0, k + w, s], fill=color)
            else:
                draw.polygon([(k, 0), (k + w, 0), (k + w - s, s),
                              (k - s, s)], fill=color)
            k += period
    elif pattern == 'checker':
        cell = rng.uniform(0.16, 0.22) * s
        ox, oy = rng.uniform(0, cell, 2)
        for i in range(-1, int(s / cell) + 2):
            for j in range(-1, int(s / cell) + 2):
                if (i + j) % 2 == 0:
                    x0, y0 = ox + i * cell, oy + j * cell
                    draw.rectangle([x0, y0, x0 + cell, y0 + cell],
                                   fill=color)
    elif pattern == 'dots':
        step = rng.uniform(0.2, 0.26) * s
        ox, oy = rng.uniform(0, step, 2)
        dr = step * 0.28
        for i in range(-1, int(s / step) + 2):
            for j in range(-1, int(s / step) + 2):
                x0, y0 = ox + i * step, oy + j * step
                draw.ellipse([x0 - dr, y0 - dr, x0 + dr, y0 + dr],
                             fill=color)
    else:
        raise ValueError(f'Unknown demo pattern {pattern!r}')


def render_demo_image(spec: _DemoClass, rng: np.random.Generator,
                      size: int = 64) -> Image.Image:
    """One RGB image of class ``spec``: dark noisy background, the class'
    pattern in its (jittered) colour, pixel noise on top."""
    background = rng.integers(15, 60, 3)
    canvas = np.clip(
        background + rng.normal(0, 6, (size, size, 3)), 0, 255)
    img = Image.fromarray(canvas.astype(np.uint8), 'RGB')
    color = tuple(int(c) for c in np.clip(
        np.array(spec.color) + rng.integers(-20, 21, 3), 0, 255))
    _draw_pattern(ImageDraw.Draw(img), spec.pattern, color, size, rng)
    arr = np.asarray(img, dtype=np.float32) + rng.normal(0, 8, (size, size, 3))
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), 'RGB')


def demo_descriptions(specs) -> Dict[str, List[str]]:
    """Descriptions in the authors' format ``{"class name": [sentence, ...]}``
    keyed by the class names."""
    out = {}
    for spec in specs:
        key = spec.name
        color = key.split(' ')[0]
        out[key] = [
            f'A photo of a {key}.',
            f'A {color} {spec.phrase} on a dark background.',
            f'A simple synthetic image showing a {spec.phrase} in {color}.',
            f'The picture contains a bright {color} {spec.phrase}.',
            f'A noisy little image of a {key}.',
        ]
    return out


def _write_dataset(root: str, specs, splits: Dict[str, int], image_size: int,
                   seed: int) -> None:
    split_items: Dict[str, list] = {key: [] for key in splits}
    for label, spec in enumerate(specs):
        folder = spec.name.replace(' ', '_')
        os.makedirs(osp.join(root, DEMO_IMAGE_DIR, folder))
        index = 0
        for split_idx, (key, count) in enumerate(splits.items()):
            for i in range(count):
                rng = np.random.default_rng([seed, label, split_idx, i])
                index += 1
                rel = f'{folder}/{folder}_{index:04d}.jpg'
                render_demo_image(spec, rng, image_size).save(
                    osp.join(root, DEMO_IMAGE_DIR, rel), quality=95)
                split_items[key].append([rel, label, spec.name])
    with open(osp.join(root, DEMO_SPLIT_FILE), 'w', encoding='utf-8') as f:
        json.dump(split_items, f, indent=1)
    with open(osp.join(root, DEMO_DESCRIPTION_FILE), 'w',
              encoding='utf-8') as f:
        json.dump(demo_descriptions(specs), f, indent=1)


def prepare_demo_dataset(root: str,
                         num_classes: int = 10,
                         num_train: int = 20,
                         num_val: int = 5,
                         num_test: int = 10,
                         image_size: int = 64,
                         seed: int = 0) -> str:
    """Generate the demo dataset at ``root`` unless it is already there.

    Layout (the CoOp layout, with images in one folder per class): ::

        root
        ├── images
        │   ├── red_circle             (class 'red circle')
        │   │   ├── red_circle_0001.jpg
        │   │   └── ...
        │   ├── green_square           (class 'green square')
        │   └── ...
        ├── split_zhou_HiCroPLDemo.json
        └── descriptions.json          ({"class name": [sentence, ...]})

    Everything is written to a temporary sibling folder that is renamed to
    ``root`` at the end, so an interrupted run leaves no half-written
    dataset and concurrent callers (e.g. distributed ranks) are safe. The
    content is a deterministic function of the arguments.

    Args:
        root: Folder to create.
        num_classes: Number of classes (at most ``len(DEMO_CLASSES)``).
        num_train: Train images per class (>= 16 allows 16-shot sampling).
        num_val: Val images per class.
        num_test: Test images per class.
        image_size: Side of the square images.
        seed: Seed of the image noise and jitter.

    Returns:
        str: The absolute ``root``.
    """
    root = osp.abspath(osp.expanduser(root))
    if osp.exists(root):
        if not osp.isfile(osp.join(root, DEMO_SPLIT_FILE)):
            raise DemoRootError(
                f'{root} exists but holds no {DEMO_SPLIT_FILE}; it is not a '
                f'demo dataset. Remove it or choose another demo data_root.')
        return root
    if not 1 <= num_classes <= len(DEMO_CLASSES):
        raise ConfigError(f'num_classes must be in 1..{len(DEMO_CLASSES)}, '
                          f'got {num_classes}')
    parent = osp.dirname(root)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f'.{osp.basename(root)}.tmp-', dir=parent)
    try:
        _write_dataset(tmp, DEMO_CLASSES[:num_classes],
                       dict(train=num_train, val=num_val, test=num_test),
                       image_size, seed)
        os.chmod(tmp, 0o755)  # mkdtemp creates it 0o700
        try:
            os.rename(tmp, root)
        except OSError:
            # Another process finished first; keep its copy.
            if not osp.isfile(osp.join(root, DEMO_SPLIT_FILE)):
                raise
    finally:
        if osp.exists(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    return root


@DATASETS.register_module()
class HiCroPLDemoDataset(CoOpDataset):
    """The generated demo dataset (no download needed).

    On first use the dataset is generated at ``data_root`` by
    :func:`prepare_demo_dataset` (the only dataset that writes, and only into
    its own, missing ``data_root``): at the default ``data/hicropl_demo``,
    or anywhere with ``generate=True``. A missing folder elsewhere is an
    error, so a mistyped ``data_root`` is not silently filled with a new
    dataset. The dataset is then read like any CoOp dataset,
    with the same few-shot and base/new logic. ``metainfo
    ['description_file']`` is the absolute path of its ``descriptions.json``.

    Dataset directory: see :func:`prepare_demo_dataset`.

    Args:
        data_root: Demo folder.
        generate: Generate the dataset when ``data_root`` does not exist:
            ``None`` (default) only at :data:`DEFAULT_DEMO_ROOT`, ``True``
            anywhere, ``False`` never.
        num_classes: Classes to generate (only used when generating; an
            existing folder with another number of classes is an error).
        image_size: Side of the generated images.
        **kwargs: See :class:`CoOpDataset`.
    """
    DATASET_NAME = 'HiCroPLDemo'
    SPLIT_FILE = DEMO_SPLIT_FILE
    IMAGE_DIR = DEMO_IMAGE_DIR

    def __init__(self,
                 data_root: str = DEFAULT_DEMO_ROOT,
                 num_classes: int = 10,
                 image_size: int = 64,
                 generate: Optional[bool] = None,
                 **kwargs):
        self.num_classes = num_classes
        self.image_size = image_size
        self.generate = generate
        super().__init__(data_root=data_root, **kwargs)

    def _may_generate(self) -> bool:
        if self.generate is not None:
            return bool(self.generate)
        return osp.abspath(osp.expanduser(self.data_root)) == osp.abspath(
            DEFAULT_DEMO_ROOT)

    def load_data_list(self) -> List[dict]:
        if not osp.exists(self.data_root) and not self._may_generate():
            raise ConfigError(
                f'The demo dataset folder {self.data_root} does not exist. '
                f'Fix data_root (the demo default is {DEFAULT_DEMO_ROOT}), '
                f'or set generate=True in the dataset dicts to generate the '
                f'demo dataset there (e.g. --cfg-options '
                f'train_dataloader.dataset.generate=True '
                f'val_dataloader.dataset.generate=True '
                f'test_dataloader.dataset.generate=True).')
        prepare_demo_dataset(self.data_root, num_classes=self.num_classes,
                             image_size=self.image_size)
        data_list = super().load_data_list()
        self._metainfo['description_file'] = osp.join(self.data_root,
                                                      DEMO_DESCRIPTION_FILE)
        return data_list

    def read_split(self):
        splits = super().read_split()
        found = len({item.label for item in splits['train']})
        if found != self.num_classes:
            raise DataError(
                f'The demo dataset at {self.data_root} has {found} classes, '
                f'but num_classes={self.num_classes}. Remove the folder to '
                f'regenerate it, or choose another data_root.')
        return splits

    def _hint(self) -> str:
        return (f'The demo dataset at {self.data_root} is incomplete; remove '
                f'the folder so that it is generated again.')
