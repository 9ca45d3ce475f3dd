"""A dataset wrapper with a policy for items that cannot be loaded."""
import copy
import logging
from typing import List, Optional, Union

from mmengine.dataset import BaseDataset, force_full_init
from mmengine.logging import print_log

from mmpretrain.registry import DATASETS
from ..errors import ConfigError

__all__ = ['FaultTolerantDataset', 'SKIPPED_KEY']

ON_ERROR = ('raise', 'skip')
# Metainfo key of a DataSample that replaces skipped items (DataFaultHook).
SKIPPED_KEY = 'skipped_images'


@DATASETS.register_module()
class FaultTolerantDataset:
    """Fail fast on a broken item, or skip it and count it.

    Data faults are the ``OSError`` family: a missing image
    (``FileNotFoundError``, the datasets' ``DatasetNotFoundError``), an
    unreadable, empty or truncated image (``ImageLoadError`` of
    ``SafeLoadImageFromFile``, Pillow's errors).

    * ``on_error='raise'`` (default): the error propagates; it names the
      file.
    * ``on_error='skip'`` (training only): the item is replaced by the next
      items of the dataset (``idx + 1``, ``idx + 2``, ... cyclically; no
      random numbers are drawn, so a resumed run repeats an uninterrupted
      one) until one loads, at most ``max_retries`` times. A warning names
      each skipped file and the replacement's ``DataSample`` carries their
      paths in its metainfo (``skipped_images``), from which
      ``DataFaultHook`` logs a summary at the end of every epoch. In test
      mode (validation, testing) errors always propagate: silently changing
      the evaluated set would change the metric.

    Example:
        >>> train_dataloader = dict(dataset=dict(
        ...     _delete_=True, type='FaultTolerantDataset', on_error='skip',
        ...     dataset={{_base_.train_dataloader.dataset}}))

    Args:
        dataset (BaseDataset | dict): The wrapped dataset or its config.
        on_error (str): ``'raise'`` or ``'skip'``.
        max_retries (int): Consecutive broken items tolerated for one index
            before the error propagates.
        lazy_init (bool): Defer ``full_init`` of the wrapped dataset.
    """

    def __init__(self,
                 dataset: Union[BaseDataset, dict],
                 on_error: str = 'raise',
                 max_retries: int = 10,
                 lazy_init: bool = False):
        if on_error not in ON_ERROR:
            raise ConfigError(
                f'on_error must be one of {ON_ERROR}, got {on_error!r}')
        if max_retries < 0:
            raise ConfigError(f'max_retries must be >= 0, got {max_retries}')
        self.dataset = DATASETS.build(dataset) if isinstance(
            dataset, dict) else dataset
        self.on_error = on_error
        self.max_retries = max_retries
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @property
    def metainfo(self) -> dict:
        """The wrapped dataset's meta information (a copy)."""
        return copy.deepcopy(self.dataset.metainfo)

    @property
    def test_mode(self) -> bool:
        return bool(getattr(self.dataset, 'test_mode', False))

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        self.dataset.full_init()
        self._fully_initialized = True

    @force_full_init
    def __len__(self) -> int:
        return len(self.dataset)

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        return self.dataset.get_data_info(idx)

    def _describe(self, idx: int, err: Exception) -> str:
        """The file of item ``idx`` (or the error when it names none)."""
        path = getattr(err, 'path', None) or getattr(err, 'filename', None)
        if path is None:
            try:
                path = self.dataset.get_data_info(idx).get('img_path')
            except Exception:  # noqa: BLE001 - only used for the report
                path = None
        return str(path) if path is not None else f'item {idx}: {err}'

    def __getitem__(self, idx: int):
        if self.on_error == 'raise' or self.test_mode:
            return self.dataset[idx]
        skipped: List[str] = []
        last_error: Optional[Exception] = None
        for attempt in range(self.max_retries + 1):
            index = (idx + attempt) % len(self)
            try:
                data = self.dataset[index]
            except OSError as err:
                last_error = err
                skipped.append(self._describe(index, err))
                print_log(
                    f'FaultTolerantDataset: skipping {skipped[-1]} ({err})',
                    logger='current',
                    level=logging.WARNING)
                continue
            if skipped:
                self._annotate(data, skipped)
            return data
        raise OSError(
            f'FaultTolerantDataset: {len(skipped)} consecutive items from '
            f'index {idx} could not be loaded ({skipped}); the last error '
            f'was: {last_error}. Check the data, or raise max_retries.'
        ) from last_error

    @staticmethod
    def _annotate(data, skipped: List[str]) -> None:
        sample = data.get('data_samples') if isinstance(data, dict) else None
        if sample is not None and hasattr(sample, 'set_metainfo'):
            sample.set_metainfo({SKIPPED_KEY: list(skipped)})
