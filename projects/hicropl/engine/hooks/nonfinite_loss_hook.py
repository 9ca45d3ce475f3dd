"""Stop training at the first non-finite loss, before anything is saved."""
import math
from typing import Dict, Optional

import torch
from mmengine.dist import all_reduce, get_world_size
from mmengine.hooks import Hook

from mmpretrain.registry import HOOKS
from ...errors import UserError

__all__ = ['NonFiniteLossError', 'NonFiniteLossHook']


class NonFiniteLossError(UserError, FloatingPointError):
    """The training loss became NaN or infinite."""


def _as_float(value) -> Optional[float]:
    if isinstance(value, torch.Tensor):
        return float(value.detach().float().mean()) if value.numel() else None
    if isinstance(value, (int, float)):
        return float(value)
    return None


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raise :class:`NonFiniteLossError` when a training loss is NaN or inf.

    The check reads the losses of the step (``outputs`` of
    ``after_train_iter``: ``loss`` and its parts such as ``loss_ce``) and
    runs before the checkpoint and logger hooks, so no checkpoint of the
    broken state is written: the last checkpoint on disk stays the last good
    one. The error names the iteration, the epoch and every loss part.
    Under distributed training all ranks stop together.

    With mixed precision (``AmpOptimWrapper``, dynamic loss scale) gradient
    overflows do not reach the loss: the scaler skips those steps and
    lowers the scale. A non-finite *loss* is a real failure (diverged
    prompts, a bad input) and stops the run.
    """

    priority = 'VERY_HIGH'  # before CheckpointHook (VERY_LOW), LoggerHook

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[Dict] = None) -> None:
        values = {
            k: _as_float(v)
            for k, v in (outputs or {}).items() if _as_float(v) is not None
        }
        bad = any(not math.isfinite(v) for v in values.values())
        if get_world_size() > 1:
            flag = torch.tensor(float(bad))
            all_reduce(flag)  # any rank non-finite -> all ranks stop
            bad = bool(flag.item() > 0)
        if not bad:
            return
        parts = ', '.join(f'{k}={v:.6g}' for k, v in values.items())
        last = runner.message_hub.get_info('last_ckpt')
        kept = f'the last checkpoint, {last}, is intact' if last else \
            'no checkpoint had been saved yet'
        raise NonFiniteLossError(
            f'Non-finite training loss at iteration {runner.iter + 1} '
            f'(epoch {runner.epoch + 1}, batch {batch_idx + 1} of the '
            f'epoch): {parts or "on another rank"}. '
            f'Training stopped before saving this state; {kept}. Lower the '
            'learning rate (optim_wrapper.optimizer.lr), clip gradients '
            '(optim_wrapper.clip_grad=dict(max_norm=...)) or check the data, '
            'then restart, or continue with --resume: a resumed run uses the '
            'config\'s learning rate (e.g. --resume --cfg-options '
            'optim_wrapper.optimizer.lr=<lower lr>).')
