"""Base dataset for the CoOp-family benchmarks (split files in CoOp format)."""
import json
import math
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.logging import print_log

from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS
from ..errors import ConfigError, DataError, UserError
from .fewshot import (SUBSAMPLE_MODES, Datum, get_classnames,
                      sample_fewshot_splits, subsample_classes, to_datums)
from .official_cache import fewshot_cache_path, load_official_cache
from .rules import check_splits, shots_per_class

SPLITS = ('train', 'val', 'test')
COOP_DATASETS_MD = 'https://github.com/KaiyangZhou/CoOp/blob/main/DATASETS.md'


class DatasetNotFoundError(UserError, FileNotFoundError):
    """A data root, split file, list file or image the dataset needs is
    missing; the message names the path and how to fix it."""


@DATASETS.register_module()
class CoOpDataset(BaseDataset):
    """A dataset described by a CoOp split file, with CoOp's few-shot
    sampling and base/new class split.

    The split file is a JSON object ``{"train" | "val" | "test": [[impath,
    label, classname], ...]}`` with image paths relative to the image folder.
    Labels and class names are taken verbatim and list order is kept, since
    it decides the few-shot picks.

    Dataset directory (``data_root``): ::

        data_root
        ├── <image_dir>                  (may be '' = data_root itself)
        │   ├── <class_a>/xxx.jpg        (any layout: the split names paths)
        │   └── ...
        └── <split_file>                 (e.g. split_zhou_OxfordPets.json)

    Per run, as in the authors' code: with ``num_shots = K >= 1`` a fresh
    ``random.Random(seed)`` samples K items per class of ``train``, then
    ``min(K, 4)`` per class of ``val``; ``test`` is never shot-sampled.
    Then ``subsample_classes`` keeps the base or new half of the labels of
    the few-shot train set in all three splits, renumbered from 0. Every
    split object redoes these steps, so a val or test dataset sees the same
    classes as its train dataset.

    ``metainfo['classes']`` are the class names ordered by (renumbered)
    label, collected from the few-shot train set as Dassl does;
    ``metainfo['dataset_name']`` names the dataset (results, reports) and,
    with ``subsample_classes='all'``, ``metainfo['num_base_classes']`` is the
    base/new cut (labels below it are the base classes), which
    :class:`BaseNovelAccuracy` reads.

    Your own data: any split JSON in this format works, with any file name
    and image folder, e.g. ``dict(type='CoOpDataset', data_root='data/mine',
    split_file='my_split.json', image_dir='images', dataset_name='Mine')``
    (``tools/dataset_converters/make_split.py`` writes one for a
    folder-per-class tree; :class:`CoOpImageFolder` reads such a tree
    directly).

    Nothing is ever written into ``data_root``; the authors' cache pickles
    are only read, and only with ``official_cache=True``.

    Args:
        data_root: The dataset folder (``~`` is expanded).
        split: ``'train'``, ``'val'`` or ``'test'``.
        split_file: Split JSON, relative to ``data_root`` (or absolute).
            Subclasses default to their ``SPLIT_FILE``.
        image_dir: Folder the split's image paths are relative to, relative
            to ``data_root``. Subclasses default to their ``IMAGE_DIR``.
        num_shots: Shots per class K for train (val: ``min(K, 4)``); 0 or -1
            uses the full splits.
        seed: Seed of the few-shot draw (the authors' ``SEED``; 0 is a
            regular seed here).
        subsample_classes: ``'all'``, ``'base'`` or ``'new'``.
        official_cache: Take the few-shot train/val from the authors' cache
            ``data_root/split_fewshot/shot_{K}-seed_{seed}.pkl`` when it exists
            (read-only, restricted unpickler), as their code does. Only
            needed for parity with a run whose split file was generated in the
            same process; otherwise sampling gives the same items.
        check_images: Check at load time that every image of the selected
            split exists. A missing image is also reported by path when it is
            fetched.
        dataset_name: Name in ``metainfo['dataset_name']`` (results and
            reports). Defaults to the class' ``DATASET_NAME``, or for
            :class:`CoOpDataset` itself the split file's stem without
            ``split_zhou_`` / ``split_`` (``split_birds.json``: ``birds``).
        **kwargs: Other arguments of :class:`mmpretrain.datasets.BaseDataset`
            (``pipeline``, ``lazy_init``, ``indices``, ...).
    """

    # Defaults of subclasses.
    DATASET_NAME: str = ''  # the authors' DATASET.NAME
    DIRNAME: str = ''  # folder name under the CoOp data root
    SPLIT_FILE: str = ''
    IMAGE_DIR: str = ''
    DESCRIPTION_FILE: Optional[str] = None  # the authors' gpt_file/<name>
    # Full-split sizes (paper Table 10 / CoOp), checked by
    # tools/dataset_converters/check_data.py; None = no such split.
    EXPECTED_SIZES: Optional[Dict[str, Optional[int]]] = None

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 split_file: Optional[str] = None,
                 image_dir: Optional[str] = None,
                 num_shots: int = 0,
                 seed: int = 1,
                 subsample_classes: str = 'all',
                 official_cache: bool = False,
                 check_images: bool = True,
                 dataset_name: Optional[str] = None,
                 **kwargs):
        if split not in SPLITS:
            raise ConfigError(f'split must be one of {SPLITS}, got '
                              f'{split!r}')
        if subsample_classes not in SUBSAMPLE_MODES:
            raise ConfigError(f'subsample_classes must be one of '
                              f'{SUBSAMPLE_MODES}, got {subsample_classes!r}')
        if not isinstance(num_shots, int) or isinstance(num_shots, bool):
            raise TypeError(f'num_shots must be an int, got {num_shots!r}')
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ConfigError(f'seed must be an int >= 0, got {seed!r}')
        self.split = split
        self.split_file = self.SPLIT_FILE if split_file is None else split_file
        self.image_dir = self.IMAGE_DIR if image_dir is None else image_dir
        self.num_shots = num_shots
        self.seed = seed
        self.subsample = subsample_classes
        self.official_cache = official_cache
        self.check_images = check_images
        data_root = osp.abspath(osp.expanduser(data_root))
        self.dataset_name = dataset_name or self._default_name(data_root)
        kwargs.setdefault('test_mode', split != 'train')
        super().__init__(
            ann_file=self.split_file,
            data_root=data_root,
            data_prefix=self.image_dir,
            **kwargs)

    # ------------------------------------------------------------------
    # Paths and errors

    @property
    def image_root(self) -> str:
        """Absolute folder that item paths are relative to."""
        return osp.join(self.data_root, self.image_dir) \
            if self.image_dir else self.data_root

    def _default_name(self, data_root: str) -> str:
        """``DATASET_NAME``, else the split file's stem (without
        ``split_zhou_`` / ``split_``), else the class name."""
        if self.DATASET_NAME:
            return self.DATASET_NAME
        stem = osp.splitext(osp.basename(self.split_file or ''))[0]
        for prefix in ('split_zhou_', 'split_'):
            if stem.startswith(prefix):
                stem = stem[len(prefix):]
                break
        return stem or type(self).__name__

    def _hint(self) -> str:
        if not self.DATASET_NAME:
            return ('Check data_root, split_file and image_dir (see '
                    'docs/datasets.md, "Your own data"); '
                    'tools/dataset_converters/make_split.py writes a split '
                    'file for a folder-per-class tree.')
        name = self.DATASET_NAME
        folder = f" (the '{self.DIRNAME}' folder of the CoOp data root)" \
            if self.DIRNAME else ''
        return (f'Prepare {name} as described in CoOp\'s DATASETS.md '
                f'({COOP_DATASETS_MD}) and set data_root to the dataset '
                f'folder{folder}.')

    def _require(self, path: str, what: str, is_dir: bool = False) -> str:
        exists = osp.isdir(path) if is_dir else osp.isfile(path)
        if not exists:
            raise DatasetNotFoundError(
                f'{type(self).__name__}: {what} not found: {path}. '
                f'{self._hint()}')
        return path

    def _check_data_root(self) -> None:
        self._require(self.data_root, 'data root', is_dir=True)

    # ------------------------------------------------------------------
    # Reading

    def read_split(self) -> Dict[str, List[Datum]]:
        """Read the full ``train``/``val``/``test`` lists from the split file
        (``impath`` relative to :attr:`image_root`)."""
        if not self.split_file:
            raise ConfigError(f'{type(self).__name__}: split_file is '
                              f'required (e.g. split_zhou_<Name>.json)')
        source = "download it from the link in CoOp's DATASETS.md into " \
            'data_root' if self.DATASET_NAME else \
            'write it with tools/dataset_converters/make_split.py'
        path = self._require(
            osp.join(self.data_root, self.split_file),
            f'split file {self.split_file!r} ({source})')
        with open(path, encoding='utf-8') as f:
            try:
                raw = json.load(f)
            except json.JSONDecodeError as e:
                raise DataError(f'{path} is not valid JSON: {e}') from e
        if not isinstance(raw, dict) or not set(SPLITS) <= set(raw):
            raise DataError(f'{path} must be a JSON object with keys '
                            f'{list(SPLITS)}')
        try:
            return {key: to_datums(raw[key]) for key in SPLITS}
        except (TypeError, ValueError) as e:
            raise DataError(f'{path}: {e}. Each item must be [impath, '
                            f'label, classname] with an integer label.'
                            ) from e

    def _fewshot(
        self, train: List[Datum], val: Optional[List[Datum]]
    ) -> Tuple[List[Datum], Optional[List[Datum]]]:
        """Few-shot train (and val) from the authors' cache or by sampling."""
        if self.num_shots >= 1 and self.official_cache:
            path = fewshot_cache_path(self.data_root, self.num_shots,
                                      self.seed)
            if osp.isfile(path):
                keys = ('train', 'val') if val is not None else ('train', )
                cached = load_official_cache(path, self._cache_anchor(), keys)
                print_log(f'{type(self).__name__}: few-shot split read from '
                          f'{path}', logger='current')
                return cached['train'], cached.get('val')
        return sample_fewshot_splits(train, val, self.num_shots, self.seed)

    def _cache_anchor(self) -> Tuple[str, ...]:
        """Path components preceding image paths in the authors' pickles."""
        dirname = self.DIRNAME or osp.basename(self.data_root)
        image_parts = [p for p in self.image_dir.replace('\\', '/').split('/')
                       if p]
        return (dirname, *image_parts)

    def build_splits(self) -> Dict[str, List[Datum]]:
        """The final train/val/test lists of this run: full splits, then
        few-shot train and val, then the base/new class subsample."""
        full = self.read_split()
        train, val = self._fewshot(full['train'], full['val'])
        train, val, test = subsample_classes(
            train, val, full['test'], subsample=self.subsample)
        return dict(train=train, val=val, test=test)

    def validate_splits(self, splits: Dict[str, List[Datum]]) -> None:
        """The rules of :mod:`.rules` on this run's splits (also applied
        by ``tools/dataset_converters/check_data.py``)."""
        source = self.split_file or self.data_root
        check_splits(splits, f'{type(self).__name__} ({source})')

    def _set_classes(self, train: Sequence[Datum]) -> None:
        classnames = get_classnames(train)
        labels = sorted({item.label for item in train})
        self._metainfo['classes'] = tuple(classnames)
        self._metainfo['dataset_name'] = self.dataset_name
        # The real training images per class (label order): fewer than
        # num_shots for small classes. Recorded in checkpoints'
        # dataset_meta and results.json; the preflight warns about it.
        self._metainfo['shots_per_class'] = tuple(shots_per_class(train))
        self._metainfo['num_shots'] = self.num_shots
        if self.subsample == 'all':
            # The base/new cut of subsample_classes: labels below it are the
            # base classes (read by BaseNovelAccuracy).
            self._metainfo['num_base_classes'] = math.ceil(len(labels) / 2)
        if self.DESCRIPTION_FILE is not None:
            self._metainfo['description_file'] = self.DESCRIPTION_FILE

    def _image_path(self, impath: str) -> str:
        return osp.join(self.image_root, *impath.split('/'))

    def load_data_list(self) -> List[dict]:
        """Build this run's splits and return the items of ``self.split``."""
        self._check_data_root()
        splits = self.build_splits()
        self.validate_splits(splits)
        self._set_classes(splits['train'])
        data_list = [
            dict(img_path=self._image_path(item.impath), gt_label=item.label)
            for item in splits[self.split]
        ]
        if self.check_images:
            self._check_images(data_list)
        return data_list

    def _check_images(self, data_list: List[dict]) -> None:
        missing = [d['img_path'] for d in data_list
                   if not osp.isfile(d['img_path'])]
        if missing:
            more = f' (and {len(missing) - 1} more)' \
                if len(missing) > 1 else ''
            raise DatasetNotFoundError(
                f'{type(self).__name__}: image not found: {missing[0]}{more}; '
                f'{len(missing)} of {len(data_list)} images of the '
                f'{self.split!r} split are missing under {self.image_root}. '
                f'Check that image_dir={self.image_dir!r} is right and that '
                f'the images are extracted completely. {self._hint()}')

    def prepare_data(self, idx: int):
        """Fetch one item; a missing image raises naming its path."""
        data_info = self.get_data_info(idx)
        if not osp.isfile(data_info['img_path']):
            raise DatasetNotFoundError(
                f'{type(self).__name__}: image not found: '
                f'{data_info["img_path"]}. {self._hint()}')
        return self.pipeline(data_info)

    def extra_repr(self) -> List[str]:
        body = [
            f'Root of dataset: \t{self.data_root}',
            f'Split: \t{self.split}',
            f'Split file: \t{self.split_file}',
            f'Image folder: \t{self.image_root}',
            f'Shots: \t{self.num_shots} (seed {self.seed})',
            f'Classes subsample: \t{self.subsample}',
        ]
        return body


def listdir_nohidden(path: str, sort: bool = False) -> List[str]:
    """Dassl's ``listdir_nohidden``: entries not starting with ``.``, in
    ``os.listdir`` order unless ``sort``."""
    items = [f for f in os.listdir(path) if not f.startswith('.')]
    if sort:
        items.sort()
    return items
