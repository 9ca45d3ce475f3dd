"""PromptSRC's Gaussian prompt aggregation (GPA) as an MMEngine averaged model."""
import math
from typing import List

import torch
import torch.nn as nn
from mmengine.model import BaseAveragedModel

from mmpretrain.registry import MODELS
from ...errors import ConfigError


def gaussian_epoch_weights(num_epochs: int, mean: float,
                           std: float) -> List[float]:
    """GPA weights of epochs ``e = 1..E`` (PromptSRC Eq. 7, float64)::

        g(e) = exp(-(e - mean)^2 / (2 std^2)) / (std sqrt(2 pi))
        w_e  = g(e) / sum_{e'=1..E} g(e')

    (reference README 13d; epochs whose ``g`` underflows get weight 0).
    """
    g = [_gaussian(e, mean, std) for e in range(1, num_epochs + 1)]
    total = sum(g)
    return [x / total for x in g]


def _gaussian(epoch: int, mean: float, std: float) -> float:
    return math.exp(-(epoch - mean)**2 /
                    (2 * std**2)) / (std * math.sqrt(2 * math.pi))


@MODELS.register_module()
class GaussianEpochAverage(BaseAveragedModel):
    """Gaussian-weighted average of the per-epoch weights (PromptSRC GPA,
    Sec. 3.2.3, Eq. 7).

    Driven by :class:`EpochAveragingHook` (one :meth:`update_parameters` per
    epoch end), so ``steps`` counts epochs. After epoch ``e`` the averaged
    trainable tensors are the normalised partial sum::

        P_avg(e) = sum_{e' <= e} g(e') P(e') / sum_{e' <= e} g(e')

    computed as the running update ``P_avg += r_e (P(e) - P_avg)`` with
    ``r_e = g(e) / sum_{e' <= e} g(e')``. After the last epoch ``E`` this is
    ``sum_e w_e P(e)`` with the weights of :func:`gaussian_epoch_weights`:
    the authors' aggregate (their trainer sums ``w_e * state_dict`` and loads
    it after epoch E), without knowing ``E`` in advance; up to float32
    rounding. The authors also average the frozen CLIP weights (equal at
    every epoch: changed only by rounding, reference README 13d); here only
    the tensors that require a gradient in the source model are averaged,
    the frozen ones are kept.

    Args:
        model (nn.Module): The model whose trainable tensors are averaged.
        mean (float): ``mu`` of the epoch Gaussian (GPA_MEAN, 1-based epoch).
        std (float): ``sigma`` (GPA_STD).
        **kwargs: ``interval``, ``device`` of ``BaseAveragedModel``.
    """

    def __init__(self, model: nn.Module, mean: float, std: float, **kwargs):
        if std <= 0:
            raise ConfigError(f'std must be > 0, got {std}.')
        super().__init__(model, update_buffers=False, **kwargs)
        self.mean = mean
        self.std = std
        trainable = {n for n, p in model.named_parameters() if p.requires_grad}
        self.avg_parameters = {
            n: p for n, p in self.avg_parameters.items() if n in trainable}

    def update_parameters(self, model: nn.Module) -> None:
        """Fold ``model``'s trainable tensors into the average (one call per
        epoch end; the first call copies them).

        As ``BaseAveragedModel.update_parameters`` without its buffer sync:
        the classifier's buffers (class prompts, frozen class features)
        follow its class list and may change shape between calls; the
        averaged copy's buffers are never used (only parameters are swapped
        in by the hook).
        """
        source = dict(model.named_parameters())
        for name, averaged in self.avg_parameters.items():
            if self.steps == 0:
                averaged.data.copy_(source[name].data)
            elif self.steps % self.interval == 0:
                self.avg_func(averaged.data,
                              source[name].data.to(averaged.device),
                              int(self.steps))
        self.steps += 1

    def avg_func(self, averaged_param: torch.Tensor,
                 source_param: torch.Tensor, steps: int) -> None:
        """Fold in the weights at the end of epoch ``steps + 1`` (epoch 1
        is copied by ``update_parameters``)."""
        epoch = steps + 1
        total = sum(_gaussian(e, self.mean, self.std)
                    for e in range(1, epoch + 1))
        # All weights so far underflow to 0: the latest epoch stands alone.
        ratio = _gaussian(epoch, self.mean, self.std) / total if total else 1.
        averaged_param.add_(source_param - averaged_param, alpha=ratio)
