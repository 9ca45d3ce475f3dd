"""Model averaging over epochs: MMEngine's EMAHook, one update per epoch."""
from typing import Optional

from mmengine.hooks import EMAHook

from mmpretrain.registry import HOOKS
from ...errors import ConfigError


@HOOKS.register_module()
class EpochAveragingHook(EMAHook):
    """:class:`mmengine.hooks.EMAHook` that updates the averaged model once
    per training epoch, after the epoch's last optimizer step, instead of
    after every iteration.

    Everything else is EMAHook's: the averaged model (any
    :class:`mmengine.model.BaseAveragedModel`, ``ema_type`` plus its keyword
    arguments) is what validation and testing evaluate, checkpoints hold it
    as ``state_dict`` (the live weights as ``ema_state_dict``) and
    ``--resume`` restores both. The averaged model's ``steps`` therefore
    counts epochs: its ``avg_func`` is called with ``steps = e - 1`` at the
    end of epoch ``e >= 2`` (epoch 1 is copied).

    Args:
        ema_type (str): A registered ``BaseAveragedModel``.
        begin_epoch (int): First epoch (1-based) whose end is averaged;
            0 or 1: every epoch.
        **kwargs: Passed to ``EMAHook`` (``strict_load``) and to the
            averaged model.
    """

    def __init__(self, ema_type: str, begin_epoch: int = 0, **kwargs):
        if 'begin_iter' in kwargs:
            raise ConfigError('EpochAveragingHook counts epochs: use '
                             'begin_epoch, not begin_iter.')
        super().__init__(ema_type=ema_type, begin_epoch=begin_epoch, **kwargs)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        """No per-iteration update (see :meth:`after_train_epoch`)."""

    def after_train_epoch(self, runner) -> None:
        """Average the model as it is at the end of this epoch."""
        if self._ema_started(runner):
            self.ema_model.update_parameters(self.src_model)
