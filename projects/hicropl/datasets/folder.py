"""Your own label set: a folder-per-class tree read like a CoOp benchmark.

:func:`make_split` turns a folder-per-class tree into a CoOp split (the
format of ``split_zhou_<Name>.json``; ``tools/dataset_converters/
make_split.py`` writes it to a file) and :class:`CoOpImageFolder` reads such
a tree directly, so a user's data goes through the same few-shot sampling,
base/new split and protocols as the benchmarks.
"""
import math
import os
import os.path as osp
import random
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence

from mmpretrain.registry import DATASETS
from ..errors import ConfigError, DataError
from .coop_dataset import SPLITS, CoOpDataset, DatasetNotFoundError
from .fewshot import Datum

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif',
                  '.tiff', '.webp')


def scan_class_folders(
        root: str,
        extensions: Sequence[str] = IMG_EXTENSIONS
) -> 'OrderedDict[str, List[str]]':
    """Images of each class folder of ``root``.

    Class folders are the non-hidden sub-folders of ``root`` in sorted
    (case-sensitive) order, which is the label order; a class folder's
    images are searched recursively and listed sorted, as ``/``-separated
    paths relative to ``root``. Hidden entries are skipped.

    Args:
        root: The folder holding one sub-folder per class.
        extensions: Image file extensions (case-insensitive).

    Returns:
        OrderedDict[str, list[str]]: ``folder name -> image paths``.
    """
    if not osp.isdir(root):
        raise DatasetNotFoundError(
            f'Image folder not found: {root}. Point it at a folder with one '
            'sub-folder of images per class.')
    extensions = tuple(e.lower() for e in extensions)
    classes = OrderedDict()
    for name in sorted(os.listdir(root)):
        folder = osp.join(root, name)
        if name.startswith('.') or not osp.isdir(folder):
            continue
        images = []
        for current, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
            rel = osp.relpath(current, root).replace(os.sep, '/')
            images += [
                f'{rel}/{f}' for f in sorted(files)
                if not f.startswith('.') and f.lower().endswith(extensions)
            ]
        classes[name] = images
    if not classes:
        raise DataError(f'{root} holds no class folders: expected one '
                        f'sub-folder of images per class')
    return classes


def _class_name(folder: str, classnames: Optional[Mapping[str, str]]) -> str:
    return classnames.get(folder, folder) if classnames else folder


def make_split(image_root: str,
               ratios: Sequence[float] = (0.5, 0.2, 0.3),
               seed: int = 1,
               classnames: Optional[Mapping[str, str]] = None,
               extensions: Sequence[str] = IMG_EXTENSIONS
               ) -> Dict[str, List[list]]:
    """Split a folder-per-class tree into train/val/test, CoOp style.

    Labels are the sorted class-folder positions. Per class (in label
    order) the sorted image list is shuffled with one ``random.Random(seed)``
    stream and cut into ``round(n * train)`` train, ``round(n * val)`` val
    and the rest test images, as CoOp's ``read_and_split_data`` does (its
    DTD/Food101 fallback, 50/20/30 by default). The result depends only on
    the file names, the ratios and the seed.

    Args:
        image_root: Folder with one sub-folder of images per class.
        ratios: Fractions ``(train, val, test)``, each > 0, summing to 1.
        seed: Seed of the shuffle.
        classnames: Optional ``folder -> class name`` renames (e.g. to the
            names the description JSON uses); other folders keep their name.
        extensions: Image file extensions.

    Returns:
        dict: ``{"train" | "val" | "test": [[impath, label, classname],
        ...]}`` with ``impath`` relative to ``image_root``.
    """
    if len(ratios) != 3 or min(ratios) <= 0 or not math.isclose(
            sum(ratios), 1.0, abs_tol=1e-6):
        raise ConfigError(f'ratios must be three fractions > 0 (train, val, '
                          f'test) summing to 1, got {tuple(ratios)}')
    rng = random.Random(seed)
    split = {key: [] for key in SPLITS}
    too_small = []
    for label, (folder, images) in enumerate(
            scan_class_folders(image_root, extensions).items()):
        images = list(images)
        rng.shuffle(images)
        n = len(images)
        n_train, n_val = round(n * ratios[0]), round(n * ratios[1])
        if min(n_train, n_val, n - n_train - n_val) < 1:
            too_small.append(f'{folder} ({n})')
            continue
        name = _class_name(folder, classnames)
        parts = dict(train=images[:n_train],
                     val=images[n_train:n_train + n_val],
                     test=images[n_train + n_val:])
        for key, items in parts.items():
            split[key] += [[impath, label, name] for impath in items]
    if too_small:
        raise DataError(
            f'Too few images to give every split at least one with ratios '
            f'{tuple(ratios)}: {", ".join(too_small)} (images found). Add '
            f'images, change the ratios, or remove these class folders.')
    return split


@DATASETS.register_module()
class CoOpImageFolder(CoOpDataset):
    """Your own data as a folder-per-class tree, with the CoOp pipeline.

    Either with one folder per split (class folders must be the same; val
    and test may hold a subset of the train classes): ::

        data_root
        ├── train
        │   ├── class_a
        │   │   ├── xxx.jpg
        │   │   └── ...
        │   └── class_b
        ├── val
        │   └── (same class folders)
        └── test
            └── (same class folders)

    or one tree split on the fly (``split_ratios``, see
    :func:`make_split`; write the split to a file with
    ``tools/dataset_converters/make_split.py`` to freeze it): ::

        data_root
        ├── class_a
        │   ├── xxx.jpg
        │   └── ...
        └── class_b

    Labels are the sorted class-folder positions of the train folder (or of
    the tree), class names the folder names (or ``classnames[folder]``).
    Few-shot sampling and the base/new split then work exactly as for the
    benchmarks (:class:`CoOpDataset`). The class names key the description
    JSON (with ``_`` replaced by spaces).

    Args:
        data_root: The dataset folder.
        split_ratios: ``(train, val, test)`` fractions to split a single
            tree; None reads the ``train``/``val``/``test`` folders.
        split_seed: Seed of the on-the-fly split (independent of the
            few-shot ``seed``).
        classnames: Optional ``folder -> class name`` renames.
        extensions: Image file extensions.
        **kwargs: See :class:`CoOpDataset` (``split_file`` and
            ``image_dir`` are unused). ``dataset_name`` defaults to the
            folder name of ``data_root``.
    """

    def __init__(self,
                 data_root: str,
                 split_ratios: Optional[Sequence[float]] = None,
                 split_seed: int = 1,
                 classnames: Optional[Mapping[str, str]] = None,
                 extensions: Sequence[str] = IMG_EXTENSIONS,
                 **kwargs):
        for key in ('split_file', 'image_dir'):
            if kwargs.pop(key, None):
                raise ConfigError(
                    f'CoOpImageFolder reads folders, not a split file: drop '
                    f'{key!r}, or use CoOpDataset for a split JSON')
        self.split_ratios = None if split_ratios is None else tuple(
            split_ratios)
        self.split_seed = split_seed
        self.classnames = dict(classnames or {})
        self.extensions = tuple(extensions)
        super().__init__(data_root=data_root, split_file='', image_dir='',
                         **kwargs)

    def _default_name(self, data_root: str) -> str:
        return osp.basename(data_root.rstrip('/\\')) or type(self).__name__

    def _hint(self) -> str:
        return ('Expected data_root/{train,val,test}/<class>/<image> or, with '
                'split_ratios=(train, val, test), data_root/<class>/<image> '
                '(see docs/datasets.md, "Your own data").')

    def read_split(self) -> Dict[str, List[Datum]]:
        """The full train/val/test lists, paths relative to ``data_root``."""
        if self.split_ratios is not None:
            raw = make_split(self.data_root, self.split_ratios,
                             self.split_seed, self.classnames,
                             self.extensions)
            return {key: [Datum(*item) for item in raw[key]]
                    for key in SPLITS}
        folders = {}
        for key in SPLITS:
            root = self._require(
                osp.join(self.data_root, key), f'{key!r} folder',
                is_dir=True)
            folders[key] = scan_class_folders(root, self.extensions)
        labels = {name: i for i, name in enumerate(folders['train'])}
        out = {}
        for key in SPLITS:
            unknown = sorted(set(folders[key]) - set(labels))
            if unknown:
                raise DataError(
                    f'{type(self).__name__}: {key}/ of {self.data_root} has '
                    f'class folders that train/ lacks: {unknown}')
            out[key] = [
                Datum(f'{key}/{impath}', labels[folder],
                      _class_name(folder, self.classnames))
                for folder, images in folders[key].items()
                for impath in images
            ]
        return out

    def extra_repr(self) -> List[str]:
        layout = f'split {self.split_ratios} (seed {self.split_seed})' \
            if self.split_ratios else 'train/val/test folders'
        return super().extra_repr() + [f'Layout: \t{layout}']
