"""The datasets of the miniature benchmark suite (synthetic world), read
like any CoOp dataset and generated on first use at their default root."""
import os.path as osp
from typing import List, Optional

from mmpretrain.registry import DATASETS
from ..errors import ConfigError
from .coop_dataset import CoOpDataset
from .world.suite import (DESCRIPTION_FILE, IMAGE_DIR, SUITE,
                          prepare_world_dataset, split_file_name)

# Where the configs keep the suite; each dataset is data/world/<folder>.
DEFAULT_WORLD_ROOT = 'data/world'


@DATASETS.register_module()
class WorldDataset(CoOpDataset):
    """One dataset of the miniature benchmark suite (see
    :mod:`projects.hicropl.datasets.world.suite`).

    On first use the dataset is generated at ``data_root`` (only at its
    default ``data/world/<dataset>``, or anywhere with ``generate=True``;
    a mistyped ``data_root`` elsewhere is an error, not a new dataset), or
    beforehand for the whole suite with ``tools/world/make_suite.py``.
    ``metainfo['description_file']`` is its ``descriptions.json``.

    Args:
        dataset: The suite dataset, e.g. ``'world_objects'``.
        data_root: Its folder (default ``data/world/<dataset>``).
        generate: Generate when ``data_root`` is missing: ``None`` only at
            the default root, ``True`` anywhere, ``False`` never.
        **kwargs: See :class:`CoOpDataset`.
    """
    IMAGE_DIR = IMAGE_DIR

    def __init__(self,
                 dataset: str,
                 data_root: Optional[str] = None,
                 generate: Optional[bool] = None,
                 **kwargs):
        if dataset not in SUITE:
            raise ConfigError(
                f'Unknown world dataset {dataset!r}; choose one of '
                f'{sorted(SUITE)}.')
        self.spec = SUITE[dataset]
        self.default_root = osp.join(DEFAULT_WORLD_ROOT, dataset)
        self.generate = generate
        kwargs.setdefault('split_file', split_file_name(self.spec))
        kwargs.setdefault('dataset_name', self.spec.name)
        super().__init__(data_root=data_root or self.default_root, **kwargs)

    def _may_generate(self) -> bool:
        if self.generate is not None:
            return bool(self.generate)
        return osp.abspath(self.data_root) == osp.abspath(self.default_root)

    def load_data_list(self) -> List[dict]:
        split = osp.join(self.data_root, self.split_file)
        if not osp.isfile(split):
            if not self._may_generate():
                raise ConfigError(
                    f'The world dataset folder {self.data_root} holds no '
                    f'{self.split_file}. Fix data_root (default '
                    f'{self.default_root}), generate the suite with '
                    f'`python tools/world/make_suite.py --root '
                    f'{osp.dirname(self.data_root)}`, or set generate=True '
                    f'in the dataset dicts.')
            prepare_world_dataset(self.data_root, self.spec.folder)
        data_list = super().load_data_list()
        self._metainfo['description_file'] = osp.join(self.data_root,
                                                      DESCRIPTION_FILE)
        return data_list

    def _hint(self) -> str:
        return (f'The world dataset at {self.data_root} is incomplete; '
                f'remove the folder so that it is generated again.')
