"""Base, novel and harmonic-mean accuracy of base-to-novel generalization in
one evaluation pass."""
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from mmpretrain.evaluation.metrics import Accuracy
from mmpretrain.registry import METRICS


def harmonic_mean(base: float, novel: float) -> float:
    """``2 * base * novel / (base + novel)``, 0 when both are 0."""
    total = base + novel
    return 2 * base * novel / total if total > 0 else 0.0


@METRICS.register_module()
class BaseNovelAccuracy(BaseMetric):
    """Base-to-novel accuracies from one test run over all classes.

    The test set holds every class (``subsample_classes='all'``); the base
    classes are labels ``0 .. num_base_classes - 1`` and the novel classes
    the rest, the split of the CoOp protocol (the first ``ceil(n / 2)``
    sorted labels are base). From the scores over all classes it reports:

    * ``base``: accuracy of the base-class images when each is classified
      among the base classes only (top-1 of the base columns of
      ``pred_score``);
    * ``novel``: accuracy of the novel-class images among the novel classes
      only;
    * ``hm``: harmonic mean of ``base`` and ``novel`` (the paper's HM);
    * ``all``: accuracy of all images among all classes jointly.

    ``base`` and ``novel`` equal the accuracies of two separate runs on the
    base-only and novel-only test sets whenever a class's score does not
    depend on which other classes are present, as with a prompt learner
    whose class text features are computed per class (``is_pure`` learners
    such as ``HiCroPLPromptLearner``; ``HiCroPLOfficialPromptLearner``
    changes the model on every forward).
    Scores are softmax outputs, so the restricted top-1 equals the top-1 of
    the restricted logits unless a whole group of scores underflows to 0
    (logit gaps above ~87, far beyond CLIP's).

    Args:
        num_base_classes (int, optional): Number of base classes. Defaults to
            ``dataset_meta['num_base_classes']``, which CoOp datasets set
            when ``subsample_classes='all'``.
        collect_device (str): Device to gather results across ranks on,
            ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to
            ``'b2n'``: ``b2n/base``, ``b2n/novel``, ``b2n/hm``, ``b2n/all``.

    Examples:
        >>> import torch
        >>> scores = torch.tensor([[.5, .1, .4, 0.], [.1, .2, .6, .1],
        ...                        [.1, .2, .3, .4], [.1, .2, .3, .4]])
        >>> BaseNovelAccuracy.calculate(scores, [0, 1, 2, 3], 2)
        {'base': 100.0, 'novel': 50.0, 'hm': 66.66..., 'all': 50.0}
    """
    default_prefix: Optional[str] = 'b2n'

    def __init__(self,
                 num_base_classes: Optional[int] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if num_base_classes is not None and num_base_classes < 1:
            raise ValueError(f'num_base_classes must be >= 1, got '
                             f'{num_base_classes}')
        self.num_base_classes = num_base_classes

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Keep the score vector ``[C]`` and the label of every sample."""
        for sample in data_samples:
            if 'pred_score' not in sample:
                raise ValueError(
                    'BaseNovelAccuracy needs `pred_score` over all classes in '
                    'the predictions; the model gave only `pred_label`.')
            self.results.append(
                dict(pred_score=sample['pred_score'].cpu(),
                     gt_label=sample['gt_label'].cpu()))

    def _resolve_num_base(self) -> int:
        if self.num_base_classes is not None:
            return self.num_base_classes
        meta = self.dataset_meta or {}
        num_base = meta.get('num_base_classes')
        if num_base is None:
            raise ValueError(
                'BaseNovelAccuracy needs the base/novel split: test on a CoOp '
                "dataset with subsample_classes='all' (its metainfo has "
                "'num_base_classes') or set "
                'test_evaluator.num_base_classes.')
        return int(num_base)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Reduce the collected results to the four accuracies (percent)."""
        scores = torch.stack([r['pred_score'] for r in results])
        labels = torch.cat([r['gt_label'] for r in results])
        return self.calculate(scores, labels, self._resolve_num_base())

    @staticmethod
    def calculate(pred_score: Union[torch.Tensor, np.ndarray],
                  gt_label: Union[torch.Tensor, np.ndarray, Sequence[int]],
                  num_base_classes: int) -> Dict[str, float]:
        """Base, novel, HM and joint top-1 accuracy in percent.

        Args:
            pred_score (Tensor | ndarray): Scores ``[N, C]`` over all classes.
            gt_label (Tensor | ndarray | Sequence[int]): Labels ``[N]`` in
                ``0 .. C - 1``.
            num_base_classes (int): Labels below it are base classes.

        Returns:
            dict: ``base``, ``novel``, ``hm`` and ``all`` (floats, percent).
        """
        scores = torch.as_tensor(pred_score).float()
        labels = torch.as_tensor(gt_label).long().view(-1)
        num_classes = scores.shape[1]
        if not 0 < num_base_classes < num_classes:
            raise ValueError(
                f'num_base_classes={num_base_classes} must be in 1..'
                f'{num_classes - 1} for scores over {num_classes} classes; '
                f"the test set must hold all classes (subsample_classes="
                f"'all').")
        base = labels < num_base_classes
        if not base.any() or base.all():
            missing = 'novel' if base.all() else 'base'
            raise ValueError(
                f'The test set has no {missing}-class images; base-to-novel '
                f"evaluation needs the test set with all classes "
                f"(subsample_classes='all').")

        def top1(columns: slice, rows: torch.Tensor, offset: int) -> float:
            # Accuracy.calculate is what a separate run uses: same top-k and
            # the same arithmetic give the same float.
            acc = Accuracy.calculate(scores[rows][:, columns],
                                     labels[rows] - offset, topk=(1, ),
                                     thrs=(None, ))
            return acc[0][0].item()

        metrics = dict(
            base=top1(slice(0, num_base_classes), base, 0),
            novel=top1(slice(num_base_classes, None), ~base,
                       num_base_classes))
        metrics['hm'] = harmonic_mean(metrics['base'], metrics['novel'])
        metrics['all'] = top1(slice(None), torch.ones_like(base), 0)
        return metrics
