"""FGVC-Aircraft read from its official variant lists, as CoOp does."""
import os.path as osp
from typing import Dict, List

from mmpretrain.registry import DATASETS
from ..errors import DataError
from .coop_dataset import SPLITS, CoOpDataset
from .fewshot import Datum


@DATASETS.register_module()
class CoOpFGVCAircraft(CoOpDataset):
    """FGVC-Aircraft (variant level, 100 classes) as in CoOp.

    There is no split JSON: the official lists are read on every run and
    give the train/val/test split without randomness.

    Dataset directory (the ``data`` folder of ``fgvc-aircraft-2013b``,
    renamed): ::

        fgvc_aircraft
        ├── images
        │   ├── 0034309.jpg
        │   └── ...
        ├── variants.txt
        ├── images_variant_train.txt
        ├── images_variant_val.txt
        └── images_variant_test.txt

    Class ``i`` is line ``i`` of ``variants.txt`` (stripped). A list line
    ``<image id> <variant name>`` gives the image ``images/<id>.jpg`` and the
    name (everything after the first space, re-joined with single spaces),
    whose line index in ``variants.txt`` is the label. Names are mixed case
    and may contain ``/`` (``F-16A/B``).

    Args:
        data_root: The ``fgvc_aircraft`` folder.
        **kwargs: See :class:`CoOpDataset` (``split_file`` is unused).
    """
    DATASET_NAME = 'FGVCAircraft'
    DIRNAME = 'fgvc_aircraft'
    EXPECTED_SIZES = dict(
        classes=100, train=3_334, val=3_333, test=3_333)
    SPLIT_FILE = ''
    IMAGE_DIR = 'images'
    DESCRIPTION_FILE = 'fgvc_prompt.json'
    CLASSES_FILE = 'variants.txt'
    LIST_FILES = dict(
        train='images_variant_train.txt',
        val='images_variant_val.txt',
        test='images_variant_test.txt')

    def _read_lines(self, name: str) -> List[str]:
        path = self._require(
            osp.join(self.data_root, name),
            f'list file {name!r} (from the data/ folder of '
            f'fgvc-aircraft-2013b)')
        with open(path, encoding='utf-8') as f:
            return f.readlines()

    def read_split(self) -> Dict[str, List[Datum]]:
        """Read the official variant-level lists."""
        classnames = [line.strip() for line in
                      self._read_lines(self.CLASSES_FILE)]
        cname2lab = {c: i for i, c in enumerate(classnames)}
        out = {}
        for key in SPLITS:
            items = []
            for line in self._read_lines(self.LIST_FILES[key]):
                tokens = line.strip().split(' ')
                classname = ' '.join(tokens[1:])
                if classname not in cname2lab:
                    raise DataError(
                        f'{self.LIST_FILES[key]}: variant {classname!r} of '
                        f'image {tokens[0]} is not in {self.CLASSES_FILE}')
                items.append(
                    Datum(f'{tokens[0]}.jpg', cname2lab[classname], classname))
            out[key] = items
        return out
