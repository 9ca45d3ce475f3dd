"""Keep the best checkpoint by validation score, ties going to the later
epoch (the authors' model selection)."""
import os.path as osp
from typing import Optional

from mmengine.dist import is_main_process
from mmengine.fileio import get_file_backend
from mmengine.hooks import CheckpointHook

from mmpretrain.registry import HOOKS

BEST_CHECKPOINT_FILE = 'best_checkpoint'


def read_checkpoint_pointer(work_dir: str, name: str) -> Optional[str]:
    """The checkpoint path recorded in ``work_dir/<name>`` (mmengine's
    ``last_checkpoint`` or this hook's ``best_checkpoint``), or None."""
    path = osp.join(work_dir, name)
    if not osp.isfile(path):
        return None
    with open(path, encoding='utf-8') as f:
        target = f.read().strip()
    return target or None


@HOOKS.register_module()
class BestCheckpointHook(CheckpointHook):
    """MMEngine's :class:`~mmengine.hooks.CheckpointHook` whose ``save_best``
    keeps the LATER of equally good checkpoints.

    The authors' trainer (Dassl) evaluates the few-shot validation split
    after every epoch and saves the model whenever the accuracy is at least
    the best so far, so among epochs with the same validation accuracy the
    last one is deployed. MMEngine's hook only replaces the best checkpoint
    on a strict improvement (the earliest epoch wins); here ``'greater'``
    means ``>=`` and ``'less'`` means ``<=``. With few-shot validation sets
    (e.g. 4 images per class) ties are common, so the rule matters.

    The path of the current best checkpoint is also written to
    ``work_dir/best_checkpoint`` (like MMEngine's ``last_checkpoint``), which
    ``tools/run_protocol.py`` reads to test it. Everything else, including
    resumption of the best score, is MMEngine's.

    Args:
        **kwargs: See :class:`~mmengine.hooks.CheckpointHook`.
    """

    rule_map = {'greater': lambda x, y: x >= y, 'less': lambda x, y: x <= y}

    def _save_best_checkpoint(self, runner, metrics) -> None:
        before = getattr(self, 'best_ckpt_path', None)
        super()._save_best_checkpoint(runner, metrics)
        best = getattr(self, 'best_ckpt_path', None)
        if best is not None and best != before and is_main_process():
            # Through the file backend, like the checkpoints themselves.
            pointer = osp.join(runner.work_dir, BEST_CHECKPOINT_FILE)
            get_file_backend(pointer).put_text(str(best), pointer)
