"""Keep the model's class list equal to the classes of the data it sees."""
from typing import Optional, Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmpretrain.registry import HOOKS


def _dataset_classes(dataloader) -> Optional[Sequence[str]]:
    dataset = getattr(dataloader, 'dataset', None)
    metainfo = getattr(dataset, 'metainfo', None) or {}
    return metainfo.get('classes')


@HOOKS.register_module()
class ClassNamesHook(Hook):
    """Set the classifier's classes from the dataset of each phase.

    An open-vocabulary classifier classifies among the class names it is
    given: training uses the training set's classes (e.g. the base classes),
    validation the validation set's, testing the test set's (e.g. the novel
    classes, or another dataset's classes for cross-dataset evaluation). The
    classes are also stored in each checkpoint's ``meta['classnames']``.
    """

    priority = 'VERY_HIGH'

    def __init__(self):
        self._previous: Sequence[str] = []

    @staticmethod
    def _model(runner):
        return runner.model.module if is_model_wrapper(
            runner.model) else runner.model

    def _set(self, runner, dataloader) -> None:
        classes = _dataset_classes(dataloader)
        if classes is not None:
            self._model(runner).set_classnames(classes)

    def before_train(self, runner) -> None:
        self._set(runner, runner.train_dataloader)

    def before_val_epoch(self, runner) -> None:
        self._previous = list(self._model(runner).classnames)
        self._set(runner, runner.val_loop.dataloader)

    def after_val_epoch(self, runner, metrics=None) -> None:
        if self._previous:  # back to the training classes
            self._model(runner).set_classnames(self._previous)

    def before_test_epoch(self, runner) -> None:
        self._set(runner, runner.test_loop.dataloader)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})['classnames'] = list(
            self._model(runner).classnames)
