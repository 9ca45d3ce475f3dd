"""The runner of the plugin's configs (``runner_type='HiCroPLRunner'``)."""
from typing import Dict, List, Optional, Tuple

from mmengine.config import Config
from mmengine.device import get_device
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict
# MMEngine's root registry: tools build runners with it before any default
# scope exists (MMPretrain's registry finds it through its parent).
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmpretrain.registry import HOOKS
from ..errors import ConfigError
from .config_text import FormattedOnceConfig
from .io_scope import plugin_io

__all__ = ['HiCroPLRunner', 'REQUIRED_HOOKS']

# The hooks a prompt-learning run needs, with what is lost without each.
REQUIRED_HOOKS: Dict[str, str] = {
    'ClassNamesHook': 'sets the classes of each split on the model',
    'EpochSeedHook': 'exact --resume',
    'CheckpointMetaHook': 'records the backbone in checkpoints',
    'NonFiniteLossHook': 'stops at a NaN/inf loss before saving it',
    'CheckpointRecoveryHook': 'resumable checkpoints after a kill',
    'ResumeValidationHook': 'exact --resume',
    'DataFaultHook': 'reports skipped broken images',
}
DISABLE_KEY = 'hicropl_disabled_hooks'


def _without_unused_loops(kwargs: dict) -> dict:
    """The runner's arguments without the training (or validation) settings
    of a config whose dataset has no train (or val) split.

    A test-only dataset (ImageNet-V2/-Sketch/-A/-R, the miniature suite's
    domain-shift sets) is tested with its method's config, whose schedule
    still names a train loop and an optimizer; MMEngine refuses a train loop
    without a train dataloader (and a val loop without a val dataloader),
    so such a config could not be tested at all. Without the dataloader the
    loop could never run: it is dropped here (``tools/train.py`` refuses
    such a config before building a runner, naming the fix).
    """
    kwargs = dict(kwargs)
    if kwargs.get('train_dataloader') is None:
        for key in ('train_cfg', 'optim_wrapper', 'param_scheduler'):
            kwargs[key] = None
    if kwargs.get('val_dataloader') is None:
        kwargs['val_cfg'] = kwargs['val_evaluator'] = None
    return kwargs


@RUNNERS.register_module()
class HiCroPLRunner(Runner):
    """MMEngine's :class:`~mmengine.runner.Runner` with what the plugin's
    models need built in, so that no config can lose it silently.

    * **Required hooks.** The hooks in :data:`REQUIRED_HOOKS` are listed in
      the default runtime's ``custom_hooks``, but a config that sets its own
      ``custom_hooks`` list replaces that list (MMEngine's config merge),
      which used to drop class-name setting, the non-finite-loss stop,
      checkpoint recovery and exact resumption without a word. The runner
      adds every required hook the registered hooks lack (a subclass counts)
      and names them in one warning. Leaving one out is explicit: list its
      name in the config's ``hicropl_disabled_hooks``. Making the runner
      (rather than the model) responsible keeps the hooks what they are in
      MMEngine -- runner-level behaviour configured next to the others.
    * **Safe loading and atomic saves for this run only.** ``train``,
      ``val``, ``test``, ``resume``, ``load_checkpoint`` and
      ``save_checkpoint`` run inside
      :func:`~projects.hicropl.engine.io_scope.plugin_io`; outside them
      MMEngine behaves as without the plugin.
    * **The config's learning rate on --resume.** When the config's lr
      differs from the checkpoint's (e.g. lowered after a non-finite loss,
      as that error advises), the resumed optimizer and parameter
      schedulers follow the config: each param group's ``lr`` is scaled by
      ``config lr / checkpoint lr``, ``initial_lr`` and the schedulers'
      base values become the config's, so the schedule continues scaled
      (absolute values such as ``eta_min`` or a constant warm-up value stay
      as configured). One log line says so. MMEngine would otherwise keep
      the checkpoint's values and silently ignore the new lr.
    * **Test-only datasets.** Without a train (val) dataloader the train
      (val) loop settings are dropped instead of refused, so a method's
      config tests datasets that have only a test split.
    * **The config text formatted once.** ``cfg`` is a
      :class:`~projects.hicropl.engine.config_text.FormattedOnceConfig`:
      the yapf-formatted text every checkpoint stores is computed again only
      when the config changes.

    Configs select it with ``runner_type = 'HiCroPLRunner'`` (the default
    runtime does), which ``tools/train.py``, ``tools/test.py`` and
    MMPretrain's own tools honour.
    """

    def __init__(self, *args, cfg=None, **kwargs):
        if isinstance(cfg, Config):
            cfg = FormattedOnceConfig.from_config(cfg)
        else:  # a dict, or None as MMEngine's empty config
            cfg = FormattedOnceConfig(cfg or {})
        super().__init__(*args, cfg=cfg, **_without_unused_loops(kwargs))

    # ------------------------------------------------------------- hooks
    def register_hooks(self, default_hooks=None, custom_hooks=None) -> None:
        super().register_hooks(default_hooks, custom_hooks)
        self._add_required_hooks()

    def _disabled_hooks(self) -> List[str]:
        disabled = self.cfg.get(DISABLE_KEY, None) or []
        if isinstance(disabled, str):
            disabled = [disabled]
        unknown = [name for name in disabled if name not in REQUIRED_HOOKS]
        if unknown:
            raise ConfigError(
                f'{DISABLE_KEY} names {unknown}, which the runner does not '
                f'add; it may name {list(REQUIRED_HOOKS)}. Fix the names or '
                f'remove {DISABLE_KEY}.')
        return list(disabled)

    def _add_required_hooks(self) -> None:
        from . import hooks  # noqa: F401 (registers them; lazy: no cycle)
        disabled = self._disabled_hooks()
        added = []
        for name in REQUIRED_HOOKS:
            hook_cls = HOOKS.get(name)
            if name in disabled or any(
                    isinstance(hook, hook_cls) for hook in self._hooks):
                continue
            self.register_hook(hook_cls())
            added.append(name)
        if added:
            reasons = '; '.join(f'{n}: {REQUIRED_HOOKS[n]}' for n in added)
            self.logger.warning(
                f'custom_hooks lacks {", ".join(added)}, which HiCroPL runs '
                f'need ({reasons}): added them. To run without one, list it '
                f'in the config\'s {DISABLE_KEY} (e.g. --cfg-options '
                f'{DISABLE_KEY}="[\'{added[0]}\']").')
        if disabled:
            self.logger.info(
                f'{DISABLE_KEY}: running without {", ".join(disabled)} '
                'unless custom_hooks lists them.')

    # ------------------------------------------------------------ wrapping
    def wrap_model(self, model_wrapper_cfg, model):
        """MMEngine's, except that a model with nothing to train (a
        zero-shot CLIP, a probe fitted on extracted features) is not wrapped
        in DistributedDataParallel, which refuses modules without trainable
        parameters; evaluating it needs no gradient reduction (each rank
        scores its share of the data, the evaluator gathers the results)."""
        if (self.distributed and not is_model_wrapper(model)
                and not any(p.requires_grad for p in model.parameters())):
            self.logger.info('No trainable parameters: the model runs '
                             'without DistributedDataParallel.')
            return model.to(get_device())
        return super().wrap_model(model_wrapper_cfg, model)

    # ---------------------------------------------------- scoped file I/O
    def train(self):
        with plugin_io():
            return super().train()

    def val(self) -> dict:
        with plugin_io():
            return super().val()

    def test(self) -> dict:
        with plugin_io():
            return super().test()

    def load_checkpoint(self, *args, **kwargs):
        with plugin_io():
            return super().load_checkpoint(*args, **kwargs)

    def save_checkpoint(self, *args, **kwargs) -> None:
        with plugin_io():
            return super().save_checkpoint(*args, **kwargs)

    # ------------------------------------------------------------ resume
    def resume(self,
               filename: str,
               resume_optimizer: bool = True,
               resume_param_scheduler: bool = True,
               map_location='default') -> None:
        with plugin_io():
            config_lrs = None
            if resume_optimizer:
                # As MMEngine's resume does; a built wrapper is kept as is.
                self.optim_wrapper = self.build_optim_wrapper(
                    self.optim_wrapper)
                config_lrs = [
                    group.get('initial_lr', group['lr'])
                    for group in self._param_groups()
                ]
            super().resume(filename, resume_optimizer,
                           resume_param_scheduler, map_location)
            if config_lrs is not None:
                self._apply_config_lrs(config_lrs)

    def _param_groups(self) -> List[dict]:
        wrappers = self.optim_wrapper.values() if isinstance(
            self.optim_wrapper, OptimWrapperDict) else [self.optim_wrapper]
        return [g for w in wrappers for g in w.optimizer.param_groups]

    def _lr_schedulers(self) -> list:
        schedulers = self.param_schedulers or []
        if isinstance(schedulers, dict):
            schedulers = [s for group in schedulers.values() for s in group]
        return [
            s for s in schedulers if getattr(s, 'param_name', None) == 'lr'
            and hasattr(s, 'base_values')
        ]

    def _apply_config_lrs(self, config_lrs: List[float]) -> None:
        """Give the resumed param groups and schedulers the config's lr."""
        changed: Dict[int, Tuple[float, float]] = {}
        for group, new in zip(self._param_groups(), config_lrs):
            old = group.get('initial_lr', group['lr'])
            if old == new:
                continue
            factor: Optional[float] = new / old if old else None
            group['lr'] = group['lr'] * factor if factor is not None else new
            if 'initial_lr' in group:
                group['initial_lr'] = new
            changed[id(group)] = (old, new)
        if not changed:
            return
        for scheduler in self._lr_schedulers():
            for i, group in enumerate(scheduler.optimizer.param_groups):
                if id(group) not in changed:
                    continue
                old, new = changed[id(group)]
                scheduler.base_values[i] = new
                last = getattr(scheduler, '_last_value', None)
                if last is not None and i < len(last) and old:
                    last[i] = last[i] * (new / old)
        pairs = sorted(set(changed.values()))
        described = ', '.join(f'{old:g} -> {new:g}' for old, new in pairs)
        self.logger.warning(
            f'Resumed with the config\'s learning rate instead of the '
            f'checkpoint\'s ({described}): the optimizer\'s lr and '
            'initial_lr and the schedulers\' base values follow the config, '
            'the schedule continues scaled.')
