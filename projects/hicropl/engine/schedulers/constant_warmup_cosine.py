"""The authors' (Dassl) learning-rate schedule as one MMEngine scheduler."""
import math

from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import _ParamScheduler

from mmpretrain.registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class ConstantWarmupCosineParamScheduler(_ParamScheduler):
    """Constant warm-up value, then cosine annealing (closed form).

    Dassl's ``ConstantWarmupScheduler`` around ``CosineAnnealingLR(T_max)``:
    for step ``t`` (an epoch when ``by_epoch``)::

        value(t) = warmup_value                               t < warmup
        value(t) = eta_min + (base - eta_min)
                   * (1 + cos(pi * (t - warmup) / T_max)) / 2  otherwise

    MMEngine's chained ``ConstantLR`` + ``CosineAnnealingLR`` cannot express
    it: a one-step ``ConstantLR`` never restores the base value.

    Args:
        optimizer: Wrapped optimizer.
        param_name (str): The parameter to schedule.
        T_max (int): Cosine period, in steps (the authors: max epochs).
        warmup (int): Warm-up steps at ``warmup_value``.
        warmup_value (float): The constant warm-up value.
        eta_min (float): Minimum value.
    """

    def __init__(self,
                 optimizer,
                 param_name: str,
                 T_max: int,
                 warmup: int = 1,
                 warmup_value: float = 1e-5,
                 eta_min: float = 0.0,
                 begin: int = 0,
                 end: int = int(1e9),
                 last_step: int = -1,
                 by_epoch: bool = True,
                 verbose: bool = False):
        self.T_max = T_max
        self.warmup = warmup
        self.warmup_value = warmup_value
        self.eta_min = eta_min
        super().__init__(optimizer, param_name, begin=begin, end=end,
                         last_step=last_step, by_epoch=by_epoch,
                         verbose=verbose)

    def _value_at(self, base: float, step: int) -> float:
        if step < self.warmup:
            return self.warmup_value
        phase = math.pi * (step - self.warmup) / self.T_max
        return self.eta_min + (base - self.eta_min) * (1 + math.cos(phase)) / 2

    def _get_value(self):
        return [self._value_at(base, self.last_step) for base in self.base_values]


@PARAM_SCHEDULERS.register_module()
class ConstantWarmupCosineLR(LRSchedulerMixin,
                             ConstantWarmupCosineParamScheduler):
    """:class:`ConstantWarmupCosineParamScheduler` on the learning rate."""
