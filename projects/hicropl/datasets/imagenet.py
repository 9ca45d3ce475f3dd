"""ImageNet as read by CoOp: a folder scan named through ``classnames.txt``."""
import logging
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional

from mmengine.logging import print_log

from mmpretrain.registry import DATASETS
from ..errors import ConfigError, DataError
from .coop_dataset import CoOpDataset, listdir_nohidden
from .fewshot import Datum, subsample_classes
from .official_cache import fewshot_cache_path, load_official_cache


def read_classnames(path: str) -> 'OrderedDict[str, str]':
    """Read CoOp's ``classnames.txt``: lines ``<wnid> <name words...>``.

    Each stripped line is split on single spaces; the first token is the key
    and the rest, re-joined with single spaces, the name. File order is
    kept.
    """
    classnames = OrderedDict()
    with open(path, encoding='utf-8') as f:
        for line in f.readlines():
            tokens = line.strip().split(' ')
            classnames[tokens[0]] = ' '.join(tokens[1:])
    return classnames


@DATASETS.register_module()
class CoOpImageNet(CoOpDataset):
    """ImageNet-1k as in CoOp (1000 classes).

    Dataset directory: ::

        imagenet
        ├── images
        │   ├── train
        │   │   ├── n01440764
        │   │   │   ├── n01440764_10026.JPEG
        │   │   │   └── ...
        │   │   └── ...
        │   └── val                (the official val set sorted into wnid
        │       ├── n01440764       folders)
        │       └── ...
        └── classnames.txt         (CoOp's copy: "<wnid> <CLIP class name>")

    Labels are the positions of the sorted sub-directories of each split
    folder; names are looked up by wnid in ``classnames.txt``. Files of a
    class are taken in ``os.listdir`` order, as the authors do: it depends on
    the file system and decides the few-shot picks (``sort_files=True`` is a
    deterministic deviation). There is no separate val set: ``val`` is the
    test set (``images/val``) and only train is few-shot sampled. The base/
    new split is applied to train and test.

    Args:
        data_root: The ``imagenet`` folder.
        sort_files: Sort file names within a class instead of keeping the
            ``os.listdir`` order (deviates from the authors' picks).
        **kwargs: See :class:`CoOpDataset` (``split_file`` is unused). With
            ``official_cache=True`` the authors' ``preprocessed.pkl`` (full
            lists, fixing the listing order) and few-shot pickles are read
            when present.
    """
    DATASET_NAME = 'ImageNet'
    DIRNAME = 'imagenet'
    # val is the test set (images/val), as in the authors' code.
    EXPECTED_SIZES = dict(
        classes=1000, train=1_281_167, val=50_000, test=50_000)
    SPLIT_FILE = ''
    IMAGE_DIR = 'images'
    DESCRIPTION_FILE = 'imagenet_prompt.json'
    CLASSNAMES_FILE = 'classnames.txt'
    PREPROCESSED_FILE = 'preprocessed.pkl'

    def __init__(self, data_root: str, sort_files: bool = False, **kwargs):
        self.sort_files = sort_files
        super().__init__(data_root=data_root, **kwargs)

    def read_classnames(self) -> 'OrderedDict[str, str]':
        """``wnid -> name`` from ``data_root/classnames.txt``."""
        return read_classnames(self._require(
            osp.join(self.data_root, self.CLASSNAMES_FILE),
            f'{self.CLASSNAMES_FILE!r} (CoOp\'s copy, linked from its '
            f'DATASETS.md)'))

    def _class_folders(self, split_dir: str) -> List[str]:
        path = self._require(
            osp.join(self.image_root, split_dir),
            f'image folder images/{split_dir}', is_dir=True)
        return sorted(e.name for e in os.scandir(path) if e.is_dir())

    def _classname(self, classnames: Dict[str, str], wnid: str) -> str:
        if wnid not in classnames:
            raise DataError(f'{type(self).__name__}: folder {wnid!r} is not '
                            f'a wnid listed in {self.CLASSNAMES_FILE}')
        return classnames[wnid]

    def read_folder(self, classnames: Dict[str, str],
                    split_dir: str) -> List[Datum]:
        """Scan ``images/<split_dir>`` (CoOp's ``ImageNet.read_data``)."""
        items = []
        for label, wnid in enumerate(self._class_folders(split_dir)):
            classname = self._classname(classnames, wnid)
            imnames = listdir_nohidden(
                osp.join(self.image_root, split_dir, wnid),
                sort=self.sort_files)
            items.extend(
                Datum(f'{split_dir}/{wnid}/{imname}', label, classname)
                for imname in imnames)
        return items

    def _train_classes(self, classnames: Dict[str, str]) -> List[Datum]:
        """One stand-in item per non-empty train class: the labels and names
        a K-shot train list has, without listing 1.28M files."""
        items = []
        for label, wnid in enumerate(self._class_folders('train')):
            with os.scandir(osp.join(self.image_root, 'train', wnid)) as it:
                if any(not e.name.startswith('.') for e in it):
                    items.append(Datum(
                        '', label, self._classname(classnames, wnid)))
        return items

    def read_split(self) -> Dict[str, List[Datum]]:
        """The full splits, without few-shot sampling: ``images/train``,
        and ``images/val`` as both val and test (lists every file)."""
        classnames = self.read_classnames()
        test = self.read_folder(classnames, 'val')
        return dict(
            train=self.read_folder(classnames, 'train'), val=test, test=test)

    def _read_preprocessed(self) -> Optional[Dict[str, List[Datum]]]:
        path = osp.join(self.data_root, self.PREPROCESSED_FILE)
        if self.official_cache and osp.isfile(path):
            return load_official_cache(path, self._cache_anchor(),
                                       ('train', 'test'))
        return None

    def build_splits(self) -> Dict[str, List[Datum]]:
        """Train (few-shot), test, and ``val = test``.

        A train dataset scans only ``images/train``; a val/test dataset scans
        ``images/val`` and takes the train label set from the non-empty
        train class folders (what any K-shot train list holds) instead of
        listing every train file.
        """
        classnames = self.read_classnames()
        preprocessed = self._read_preprocessed()
        if self.split == 'train':
            train = preprocessed['train'] if preprocessed else \
                self.read_folder(classnames, 'train')
            train, _ = self._fewshot(train, None)
            test: List[Datum] = []
        else:
            if not preprocessed and \
                    self._class_folders('val') != self._class_folders('train'):
                raise DataError(
                    f'{type(self).__name__}: images/val and images/train of '
                    f'{self.data_root} must hold the same wnid folders (sort '
                    f'the flat official val set into wnid folders)')
            if preprocessed:
                train, _ = self._fewshot(preprocessed['train'], None)
            elif self.official_cache and self.num_shots >= 1 and osp.isfile(
                    fewshot_cache_path(self.data_root, self.num_shots,
                                       self.seed)):
                train, _ = self._fewshot([], None)
            else:
                train = self._train_classes(classnames)
            test = preprocessed['test'] if preprocessed else \
                self.read_folder(classnames, 'val')
        train, test = subsample_classes(train, test, subsample=self.subsample)
        return dict(train=train, val=test, test=test)

    def extra_repr(self) -> List[str]:
        return super().extra_repr() + [f'Sorted files: \t{self.sort_files}']


class _ImageNetTestSet(CoOpDataset):
    """Base of the test-only ImageNet variants: ``train = test`` = every
    item; there is no val split, and ``num_shots``, ``seed`` and
    ``subsample_classes`` have no effect (as in the authors' code)."""
    SPLIT_FILE = ''
    DESCRIPTION_FILE = 'imagenet_prompt.json'
    CLASSNAMES_FILE = 'classnames.txt'

    def __init__(self, data_root: str, split: str = 'test', **kwargs):
        if split == 'val':
            raise ConfigError(f'{type(self).__name__} has no val split (the '
                              f'authors evaluate it on test only); use '
                              f"split='test'")
        if kwargs.get('num_shots', 0) >= 1 or kwargs.get(
                'subsample_classes', 'all') != 'all':
            print_log(
                f'{type(self).__name__} is test-only: num_shots, seed and '
                f'subsample_classes are ignored (as in the authors\' code)',
                logger='current', level=logging.WARNING)
        self._wnids: List[str] = []
        super().__init__(data_root=data_root, split=split, **kwargs)

    def read_classnames(self) -> 'OrderedDict[str, str]':
        return read_classnames(self._require(
            osp.join(self.data_root, self.CLASSNAMES_FILE),
            f'{self.CLASSNAMES_FILE!r} (a copy of ImageNet\'s)'))

    def _class_entries(self) -> List[str]:
        """Sorted non-hidden entries of the image folder."""
        self._require(self.image_root, f'image folder {self.IMAGE_DIR!r}',
                      is_dir=True)
        return listdir_nohidden(self.image_root, sort=True)

    def _wnid_items(self, wnids: List[str],
                    classnames: Dict[str, str]) -> List[Datum]:
        items = []
        for label, wnid in enumerate(wnids):
            if wnid not in classnames:
                raise DataError(
                    f'{type(self).__name__}: entry {wnid!r} of '
                    f'{self.image_root} is not a wnid listed in '
                    f'{self.CLASSNAMES_FILE}')
            folder = osp.join(self.image_root, wnid)
            items.extend(
                Datum(f'{wnid}/{imname}', label, classnames[wnid])
                for imname in listdir_nohidden(folder))
        return items

    def read_items(self, classnames: Dict[str, str]) -> List[Datum]:
        raise NotImplementedError

    def read_split(self) -> Dict[str, List[Datum]]:
        """The test items (there is no train or val split)."""
        return dict(
            train=[], val=[], test=self.read_items(self.read_classnames()))

    def build_splits(self) -> Dict[str, List[Datum]]:
        items = self.read_items(self.read_classnames())
        return dict(train=items, val=[], test=items)

    def _set_classes(self, train) -> None:
        super()._set_classes(train)
        self._metainfo['wnids'] = tuple(self._wnids)


@DATASETS.register_module()
class CoOpImageNetV2(_ImageNetTestSet):
    """ImageNetV2 matched-frequency (test only, 1000 classes).

    Dataset directory: ::

        imagenetv2
        ├── imagenetv2-matched-frequency-format-val
        │   ├── 0
        │   │   ├── 7e1a8b1c....jpeg
        │   │   └── ...
        │   ├── ...
        │   └── 999
        └── classnames.txt         (copy of ImageNet's)

    Label = the folder number (all of 0..999 must exist); name = the
    ``label``-th line of ``classnames.txt`` in file order.

    Args:
        data_root: The ``imagenetv2`` folder.
        **kwargs: See :class:`CoOpDataset`.
    """
    DATASET_NAME = 'ImageNetV2'
    DIRNAME = 'imagenetv2'
    EXPECTED_SIZES = dict(
        classes=1000, train=None, val=None, test=10_000)
    IMAGE_DIR = 'imagenetv2-matched-frequency-format-val'
    DESCRIPTION_FILE = 'imagenetv2_prompt.json'
    NUM_CLASSES = 1000

    def read_items(self, classnames: Dict[str, str]) -> List[Datum]:
        wnids = list(classnames)
        if len(wnids) < self.NUM_CLASSES:
            raise DataError(f'{self.CLASSNAMES_FILE} lists {len(wnids)} '
                            f'classes, expected {self.NUM_CLASSES}')
        self._wnids = wnids[:self.NUM_CLASSES]
        items = []
        for label in range(self.NUM_CLASSES):
            folder = self._require(
                osp.join(self.image_root, str(label)),
                f'class folder {label}', is_dir=True)
            name = classnames[wnids[label]]
            items.extend(
                Datum(f'{label}/{imname}', label, name)
                for imname in listdir_nohidden(folder))
        return items


@DATASETS.register_module()
class CoOpImageNetSketch(_ImageNetTestSet):
    """ImageNet-Sketch (test only, 1000 classes).

    Dataset directory (the archive's ``sketch/`` folder renamed ``images``):
    ::

        imagenet-sketch
        ├── images
        │   ├── n01440764
        │   │   ├── n01440764_10016.JPEG
        │   │   └── ...
        │   └── ...
        └── classnames.txt

    Label = position among the sorted entries of ``images/``, each of which
    must be a wnid of ``classnames.txt``.

    Args:
        data_root: The ``imagenet-sketch`` folder.
        **kwargs: See :class:`CoOpDataset`.
    """
    DATASET_NAME = 'ImageNetSketch'
    DIRNAME = 'imagenet-sketch'
    EXPECTED_SIZES = dict(
        classes=1000, train=None, val=None, test=50_889)
    IMAGE_DIR = 'images'
    DESCRIPTION_FILE = 'imagenet_sketch_prompt.json'

    def read_items(self, classnames: Dict[str, str]) -> List[Datum]:
        self._wnids = self._class_entries()
        return self._wnid_items(self._wnids, classnames)


class _ImageNetSubset(_ImageNetTestSet):
    """ImageNet-A/R: 200 wnid folders (whatever exists), ``README.txt``
    dropped, labels 0..199 in sorted wnid order, names from the 1000-class
    ``classnames.txt``. ``metainfo['wnids']`` gives each label's wnid."""

    def read_items(self, classnames: Dict[str, str]) -> List[Datum]:
        self._wnids = [e for e in self._class_entries() if e != 'README.txt']
        return self._wnid_items(self._wnids, classnames)


@DATASETS.register_module()
class CoOpImageNetA(_ImageNetSubset):
    """ImageNet-A (natural adversarial examples; test only, 200 classes).

    Dataset directory: ::

        imagenet-adversarial
        ├── imagenet-a
        │   ├── n01498041
        │   │   ├── 0.000116_digital clock _ digital clock_0.865662.jpg
        │   │   └── ...
        │   ├── ...
        │   └── README.txt
        └── classnames.txt         (the full 1000-class file)

    Args:
        data_root: The ``imagenet-adversarial`` folder.
        **kwargs: See :class:`CoOpDataset`.
    """
    DATASET_NAME = 'ImageNetA'
    DIRNAME = 'imagenet-adversarial'
    EXPECTED_SIZES = dict(
        classes=200, train=None, val=None, test=7_500)
    IMAGE_DIR = 'imagenet-a'
    DESCRIPTION_FILE = 'imagenet_a_prompt.json'


@DATASETS.register_module()
class CoOpImageNetR(_ImageNetSubset):
    """ImageNet-R (renditions; test only, 200 classes).

    Dataset directory: ::

        imagenet-rendition
        ├── imagenet-r
        │   ├── n01443537
        │   │   ├── art_0.jpg
        │   │   └── ...
        │   ├── ...
        │   └── README.txt
        └── classnames.txt         (the full 1000-class file)

    Args:
        data_root: The ``imagenet-rendition`` folder.
        **kwargs: See :class:`CoOpDataset`.
    """
    DATASET_NAME = 'ImageNetR'
    DIRNAME = 'imagenet-rendition'
    EXPECTED_SIZES = dict(
        classes=200, train=None, val=None, test=30_000)
    IMAGE_DIR = 'imagenet-r'
    DESCRIPTION_FILE = 'imagenet_r_prompt.json'
