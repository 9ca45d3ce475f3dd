"""Repeat the validation of the resumed epoch, so that a resumed run selects
the same best checkpoint and logs the same metrics as an uninterrupted one."""
from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop

from mmpretrain.registry import HOOKS

__all__ = ['ResumeValidationHook']


@HOOKS.register_module()
class ResumeValidationHook(Hook):
    """On ``--resume`` from epoch ``E``, run the validation of epoch ``E``
    before training goes on.

    MMEngine saves the checkpoint of epoch ``E`` in ``after_train_epoch``,
    *before* validating epoch ``E``; the resumed loop then starts with epoch
    ``E + 1``. A run killed between that save and the end of validation
    ``E`` never validates epoch ``E`` (and a run resumed from a later kill
    carries the best score of epochs ``< E``, because the checkpoint was
    written before validation ``E`` updated it). Model selection
    (``save_best``, :class:`BestCheckpointHook`) would then choose among
    other epochs than the uninterrupted run, and when ``E`` is the last
    epoch its validation metrics are missing. Validating the restored
    epoch-``E`` model again gives exactly the uninterrupted run's metrics
    and best checkpoint (a repeated validation recomputes the same numbers
    and, ties going to the later epoch, keeps the same best epoch).

    Only for epoch-based training loops; a fresh run (epoch 0) is left
    alone.
    """

    priority = 'LOWEST'  # after ClassNamesHook and the other set-up hooks

    def before_train(self, runner) -> None:
        loop = runner.train_loop
        epoch = runner.epoch
        if (epoch == 0 or not isinstance(loop, EpochBasedTrainLoop)
                or runner.val_loop is None):
            return
        loop._decide_current_val_interval()
        if epoch >= loop.val_begin and (epoch % loop.val_interval == 0
                                        or epoch == loop.max_epochs):
            runner.logger.info(
                f'Resumed after epoch {epoch}: validating it again (the '
                'checkpoint was saved before its validation).')
            runner.val_loop.run()
