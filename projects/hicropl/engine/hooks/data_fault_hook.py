"""Summarise the images skipped in each training epoch."""
from typing import List, Sequence

from mmengine.dist import all_gather_object
from mmengine.hooks import Hook

from mmpretrain.registry import HOOKS
from ...datasets.wrappers import SKIPPED_KEY

__all__ = ['DataFaultHook']


@HOOKS.register_module()
class DataFaultHook(Hook):
    """Count the broken images that ``FaultTolerantDataset(on_error='skip')``
    replaced, and log a summary at the end of every training epoch.

    The counts come with the batches (the replacement sample's metainfo), so
    they are right with any number of data-loader workers; under distributed
    training the summary covers all ranks.

    Args:
        max_listed (int): Paths listed in the summary (all are counted).
    """

    priority = 'NORMAL'

    def __init__(self, max_listed: int = 20):
        self.max_listed = max_listed
        self._skipped: List[str] = []

    def before_train_epoch(self, runner) -> None:
        self._skipped = []

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        samples = data_batch.get('data_samples') if isinstance(
            data_batch, dict) else None
        for sample in samples or ():
            metainfo = getattr(sample, 'metainfo', None) or {}
            paths: Sequence[str] = metainfo.get(SKIPPED_KEY, ())
            self._skipped.extend(paths)

    def after_train_epoch(self, runner) -> None:
        skipped = [p for part in all_gather_object(self._skipped) for p in part]
        if not skipped:
            return
        unique = sorted(set(skipped))
        listed = ', '.join(unique[:self.max_listed])
        more = f' and {len(unique) - self.max_listed} more' if len(
            unique) > self.max_listed else ''
        runner.logger.warning(
            f'Epoch {runner.epoch + 1}: {len(skipped)} broken image load(s) '
            f'were skipped and replaced by the next readable items '
            f'({len(unique)} file(s)): {listed}{more}. Fix or remove these '
            'files from the split file.')
