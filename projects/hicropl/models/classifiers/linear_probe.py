"""Linear probe: logistic regression on frozen CLIP image features."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpretrain.models.classifiers import BaseClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from ..utils.logistic_regression import (COOP_C_GRID, fit_logistic_regression,
                                         search_c)
from .prompt_clip import CLIP_MEAN, CLIP_STD, _build

DTYPES = {'float32': torch.float32, 'float64': torch.float64}


def _resize_fitted(module: nn.Module, state_dict: Dict, prefix: str,
                   *args) -> None:
    """``load_state_dict`` pre-hook: the fitted tensors take the
    checkpoint's shapes (the number of classes is known only after the
    fit)."""
    for name in ('weight', 'bias'):
        if prefix + name in state_dict:
            setattr(module, name,
                    torch.empty_like(state_dict[prefix + name],
                                     device=module.weight.device))


@MODELS.register_module()
class LinearProbeClassifier(BaseClassifier):
    """Logistic regression on the frozen CLIP image features (the linear
    probe of CLIP, Sec. 3.2, and CoOp's baseline, Sec. 4.1).

    ``logits = W f(x) + b`` with ``f`` the frozen image tower (projected
    features ``[B, D]``, not normalised, as CoOp's ``lpclip`` feature
    extractor stores them; ``normalize=True`` to L2-normalise). ``W``
    ``[K, D]`` and ``b`` ``[K]`` are fitted by :meth:`fit` (full-batch
    L-BFGS on the multinomial L2-regularised objective of
    :mod:`..utils.logistic_regression`, scikit-learn's), with ``C``
    selected on the validation features by CoOp's search. Training runs
    through ``FeatureFitLoop`` (``train_cfg=dict(type='FeatureFitLoop')``),
    which extracts the features once and calls :meth:`fit`.

    ``W`` and ``b`` are buffers (fitted, not trained by gradients) and make
    the checkpoint, with the selected ``C``. The probe classifies among its
    training classes only.

    Args:
        backbone (dict | PromptedCLIP): The frozen CLIP.
        normalize (bool): L2-normalise the features. Defaults to False.
        C (float, optional): Fixed inverse regularisation strength; None
            searches it on the validation features (required then).
        c_grid (sequence[float]): Initial grid of the search (CoOp's).
        search_steps (int): Bisection steps of the search. Defaults to 8.
        max_iter (int): L-BFGS iterations per fit. Defaults to 1000.
        tol (float): L-BFGS gradient tolerance. Defaults to 1e-4.
        solver_dtype (str): ``'float64'`` (scikit-learn's) or
            ``'float32'``.
        data_preprocessor (dict, optional): Defaults to CLIP normalisation.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: Union[dict, nn.Module],
                 normalize: bool = False,
                 C: Optional[float] = None,
                 c_grid: Sequence[float] = COOP_C_GRID,
                 search_steps: int = 8,
                 max_iter: int = 1000,
                 tol: float = 1e-4,
                 solver_dtype: str = 'float64',
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        data_preprocessor = dict(data_preprocessor or dict(
            mean=CLIP_MEAN, std=CLIP_STD, to_rgb=True))
        data_preprocessor.setdefault('type', 'mmpretrain.ClsDataPreprocessor')
        super().__init__(
            init_cfg=init_cfg, data_preprocessor=data_preprocessor)
        if solver_dtype not in DTYPES:
            raise ValueError(f'solver_dtype must be one of {sorted(DTYPES)}, '
                             f'got {solver_dtype!r}.')
        if C is not None and not C > 0:
            raise ValueError(f'C must be > 0, got {C}.')
        self.backbone = _build(backbone)
        self.normalize = normalize
        self.fixed_c = C
        self.c_grid = tuple(float(c) for c in c_grid)
        self.search_steps = search_steps
        self.max_iter = max_iter
        self.tol = tol
        self.solver_dtype = DTYPES[solver_dtype]
        dim = self.backbone.embed_dim
        self.register_buffer('weight', torch.zeros(0, dim))
        self.register_buffer('bias', torch.zeros(0))
        self.register_buffer('C', torch.tensor(float('nan')))
        self.register_load_state_dict_pre_hook(_resize_fitted)
        self.classnames: List[str] = []

    @property
    def num_classes(self) -> int:
        """Classes of the fitted probe (0 before :meth:`fit`)."""
        return self.weight.shape[0]

    def set_classnames(self, classnames: Sequence[str]) -> None:
        """The classes of the data (``ClassNamesHook``); a fitted probe
        classifies among its ``K`` training classes only."""
        classnames = [str(c) for c in classnames]
        if self.num_classes and len(classnames) != self.num_classes:
            raise ValueError(
                f'The linear probe was fitted on {self.num_classes} classes, '
                f'got {len(classnames)}: it classifies among its training '
                'classes only (use zero-shot CLIP or a prompt learner for new '
                'classes).')
        self.classnames = classnames

    # --------------------------------------------------------------- features
    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Frozen image features ``[B, D]`` (no autograd)."""
        with torch.no_grad():
            features = self.backbone.encode_image(inputs)
        return F.normalize(features, dim=-1) if self.normalize else features

    # -------------------------------------------------------------------- fit
    def _accuracy(self, features: torch.Tensor, labels: torch.Tensor,
                  weight: torch.Tensor, bias: torch.Tensor) -> float:
        logits = features.to(weight) @ weight.t() + bias
        return (logits.argmax(-1) == labels.to(logits.device)).float().mean(
        ).item()

    def fit(self,
            features: torch.Tensor,
            labels: torch.Tensor,
            val_features: Optional[torch.Tensor] = None,
            val_labels: Optional[torch.Tensor] = None) -> Dict[str, float]:
        """Fit ``W``, ``b`` on ``features`` ``[N, D]`` / ``labels`` ``[N]``,
        ``C`` fixed or searched on ``val_features`` / ``val_labels``.

        Returns:
            dict: ``C``, and with the search ``val_accuracy`` (0..1) and
            ``fits`` (distinct fits).
        """
        num_classes = len(self.classnames) or int(labels.max()) + 1
        if int(labels.max()) >= num_classes:
            raise ValueError(f'Labels up to {int(labels.max())} for '
                             f'{num_classes} classes.')

        def fit_c(c: float):
            return fit_logistic_regression(
                features, labels, num_classes, c, max_iter=self.max_iter,
                tol=self.tol, dtype=self.solver_dtype)

        if self.fixed_c is not None:
            weight, bias = fit_c(self.fixed_c)
            info = dict(C=self.fixed_c)
        else:
            if val_features is None or val_labels is None:
                raise ValueError(
                    'The search of C needs validation features (a val '
                    'dataloader); otherwise set a fixed `C`.')
            result = search_c(
                fit_c,
                lambda w, b: self._accuracy(val_features, val_labels, w, b),
                self.c_grid, self.search_steps)
            weight, bias = result['weight'], result['bias']
            info = {k: result[k] for k in ('C', 'val_accuracy', 'fits')}
        device = self.weight.device
        self.weight = weight.to(device, torch.float32)
        self.bias = bias.to(device, torch.float32)
        self.C = torch.tensor(float(info['C']), device=device)
        return info

    # ---------------------------------------------------------------- forward
    def _logits(self, inputs: torch.Tensor) -> torch.Tensor:
        if not self.num_classes:
            raise RuntimeError(
                'The linear probe is not fitted: train it (FeatureFitLoop) '
                'or load its checkpoint.')
        return self.extract_feat(inputs) @ self.weight.t() + self.bias

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'tensor':
            return self._logits(inputs)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}".')

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """Cross-entropy of the fitted probe (the data term of its
        objective; the probe itself is fitted by :meth:`fit`)."""
        logits = self._logits(inputs)
        labels = torch.cat([s.gt_label for s in data_samples]).to(
            logits.device)
        return dict(loss_ce=F.cross_entropy(logits, labels))

    def predict(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        """Scores (softmax of the logits) and labels (their argmax, as
        scikit-learn's ``predict``)."""
        scores = F.softmax(self._logits(inputs), dim=1)
        labels = scores.argmax(dim=1, keepdim=True)
        if data_samples is None:
            data_samples = [DataSample() for _ in range(scores.shape[0])]
        for sample, score, label in zip(data_samples, scores, labels):
            sample.set_pred_score(score).set_pred_label(label)
        return data_samples
