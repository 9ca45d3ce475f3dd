"""Describe the model in each checkpoint's meta (checkpoints are lean)."""
from typing import Any, Dict, Optional

from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmengine.model import is_model_wrapper

from mmpretrain.registry import HOOKS
from ...version import __version__
from ..plain_checkpoint import plain_message_hub, restore_message_hub

__all__ = ['CheckpointMetaHook', 'backbone_meta', 'checkpoint_meta']


def _plain(value: Any) -> Any:
    """``value`` with config dicts / tuples as plain dicts / lists (what
    ``torch.load(weights_only=True)`` reads back)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def backbone_meta(model) -> Optional[Dict]:
    """``dict(arch=..., pretrained=...)`` of the model's frozen CLIP (what a
    lean checkpoint needs to be rebuilt), or None without one."""
    backbone = getattr(model, 'backbone', None)
    if backbone is None or not hasattr(backbone, 'arch'):
        return None
    return dict(arch=_plain(backbone.arch), pretrained=backbone.pretrained)


def checkpoint_meta(model) -> Dict:
    """The plugin's meta for a checkpoint of ``model``.

    Returns:
        dict: ``hicropl_version``, ``backbone`` (``arch`` and ``pretrained``
        of the frozen CLIP that the checkpoint does not contain),
        ``prompt_learner`` (its registered type name) and ``classnames``
        (the classes the model classifies among).
    """
    meta = dict(hicropl_version=__version__, backbone=backbone_meta(model))
    learner = getattr(model, 'prompt_learner', None)
    if learner is not None:
        meta['prompt_learner'] = type(learner).__name__
    if getattr(model, 'classnames', None):
        meta['classnames'] = list(model.classnames)
    return meta


@HOOKS.register_module()
class CheckpointMetaHook(Hook):
    """Write what a lean checkpoint needs into ``meta``; check it on load.

    Saved checkpoints hold only the trainable tensors (the frozen CLIP adds
    nothing to ``state_dict``), so ``meta`` records the plugin version and
    the backbone (``arch`` and ``pretrained``) the prompts were trained
    with and the prompt learner's type, next to MMEngine's ``cfg`` and
    ``dataset_meta`` and the classes (``ClassNamesHook``). When a checkpoint
    is loaded (``load_from``, ``--resume``, ``tools/test.py``) a different
    backbone or prompt learner in the current config is reported with a warning:
    the prompts were learned for the recorded ones.

    The message hub is stored as plain data and restored on load
    (:mod:`~projects.hicropl.engine.plain_checkpoint`), so that MMEngine's
    own loader reads the checkpoints with ``weights_only=True`` and no
    allow-list (MMPretrain's ``get_model``, inferencers).
    """

    priority = 'LOW'

    @staticmethod
    def _model(runner):
        return runner.model.module if is_model_wrapper(
            runner.model) else runner.model

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if isinstance(checkpoint.get('message_hub'), dict):
            # plain data: readable by torch.load(weights_only=True) anywhere
            checkpoint['message_hub'] = plain_message_hub(
                checkpoint['message_hub'])
        meta = checkpoint.setdefault('meta', {})
        model_meta = checkpoint_meta(self._model(runner))
        classnames = model_meta.pop('classnames', None)
        meta.update(model_meta)
        if classnames is not None:
            meta.setdefault('classnames', classnames)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if isinstance(checkpoint.get('message_hub'), dict):
            checkpoint['message_hub'] = restore_message_hub(
                checkpoint['message_hub'])
        saved = checkpoint.get('meta') or {}
        current = checkpoint_meta(self._model(runner))
        logger = MMLogger.get_current_instance()
        fixes = dict(
            backbone='model.backbone.arch / model.backbone.pretrained',
            prompt_learner='model.prompt_learner.type')
        for key, what in (('backbone', 'backbone (arch, pretrained)'),
                          ('prompt_learner', 'prompt learner')):
            if saved.get(key) and current.get(key) and \
                    saved[key] != current[key]:
                logger.warning(
                    f'The checkpoint was trained with the {what} '
                    f'{saved[key]!r}, the model is built with '
                    f'{current[key]!r}: set {fixes[key]} as recorded '
                    '(--cfg-options), unless they are the same (e.g. the '
                    'same CLIP file in another folder).')
