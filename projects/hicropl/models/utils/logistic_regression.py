"""Multinomial L2-regularised logistic regression, full-batch L-BFGS in torch.

The objective and the regularisation search of CoOp's linear probe
(CoOp repo ``lpclip/linear_probe.py``), which fits scikit-learn's
``LogisticRegression(solver='lbfgs', penalty='l2', C=C, max_iter=1000)``.
For ``N`` features ``x_i`` ``[D]`` with labels ``y_i`` in ``K`` classes,
weights ``W`` ``[K, D]`` and an unpenalised intercept ``b`` ``[K]``::

    L(W, b) = 1/N sum_i CE(W x_i + b, y_i) + ||W||_F^2 / (2 C N)

which is scikit-learn's (>= 1.1) scaled objective, ``1/N`` times its
former ``C sum_i CE + ||W||^2 / 2`` (same minimiser). Both start from zeros
and stop as scipy's L-BFGS-B does for scikit-learn: the largest gradient
entry ``<= tol`` (``gtol``), a relative objective change ``<= 64 eps``
(``ftol``), or ``max_iter`` iterations; 10 correction pairs (``maxcor``),
strong-Wolfe line search. The objective is strictly convex in ``W`` and
convex in ``b`` (the minimiser is unique up to a common shift of ``b``
that changes no prediction), so any converged solver gives the same
predictions up to the stopping tolerance.
"""
import math
from typing import Callable, Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

__all__ = ['COOP_C_GRID', 'fit_logistic_regression', 'search_c']

# CoOp's initial grid of C (lpclip/linear_probe.py), then 8 bisection steps.
COOP_C_GRID = (1e6, 1e4, 1e2, 1.0, 1e-2, 1e-4, 1e-6)


def fit_logistic_regression(features: torch.Tensor,
                            labels: torch.Tensor,
                            num_classes: int,
                            C: float,
                            max_iter: int = 1000,
                            tol: float = 1e-4,
                            dtype: torch.dtype = torch.float64
                            ) -> Tuple[torch.Tensor, torch.Tensor]:
    """Minimise the objective of the module docstring.

    Args:
        features (Tensor): ``[N, D]``.
        labels (Tensor): ``[N]`` in ``0..K-1``.
        num_classes (int): ``K``.
        C (float): Inverse regularisation strength (> 0).
        max_iter (int): L-BFGS iterations. Defaults to 1000.
        tol (float): Gradient tolerance (max abs entry). Defaults to 1e-4.
        dtype (torch.dtype): Solver precision (scikit-learn: float64).

    Returns:
        tuple: ``W`` ``[K, D]`` and ``b`` ``[K]`` in ``dtype``.
    """
    if not C > 0:
        raise ValueError(f'C must be > 0, got {C}.')
    x = features.detach().to(dtype)
    y = labels.detach().to(x.device, torch.long)
    weight = torch.zeros(num_classes, x.shape[1], dtype=dtype,
                         device=x.device, requires_grad=True)
    bias = torch.zeros(num_classes, dtype=dtype, device=x.device,
                       requires_grad=True)
    penalty = 1.0 / (2.0 * C * x.shape[0])
    optimizer = torch.optim.LBFGS(
        [weight, bias], lr=1, max_iter=max_iter,
        max_eval=max(1, int(max_iter * 1.25)), tolerance_grad=tol,
        tolerance_change=64 * torch.finfo(dtype).eps, history_size=10,
        line_search_fn='strong_wolfe')

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(x @ weight.t() + bias, y) + penalty * (
            weight * weight).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    return weight.detach(), bias.detach()


def search_c(fit: Callable[[float], Tuple[torch.Tensor, torch.Tensor]],
             accuracy: Callable[[torch.Tensor, torch.Tensor], float],
             grid: Sequence[float] = COOP_C_GRID,
             steps: int = 8) -> Dict:
    """CoOp's search of ``C`` on validation accuracy.

    Fits every ``C`` of ``grid`` and keeps the first best; then ``steps``
    bisection steps in ``log10(C)`` starting from ``[peak / 10, peak * 10]``:
    fit both ends, keep the better one (the right end only when strictly
    better) as the final model, and halve the interval towards it.

    Args:
        fit (callable): ``C -> (W, b)``.
        accuracy (callable): ``(W, b) -> validation accuracy``.
        grid (sequence[float]): Initial values of ``C``.
        steps (int): Bisection steps.

    Returns:
        dict: ``C`` (selected), ``weight``, ``bias`` (the fit at ``C``),
        ``val_accuracy`` and ``fits`` (number of distinct fits).
    """
    cache: Dict[float, Tuple[Tuple[torch.Tensor, torch.Tensor], float]] = {}

    def evaluate(c: float):
        if c not in cache:  # the fit is deterministic: fit each C once
            params = fit(c)
            cache[c] = (params, accuracy(*params))
        return cache[c]

    scores = [evaluate(c)[1] for c in grid]
    peak = grid[max(range(len(grid)), key=lambda i: (scores[i], -i))]
    left, right = 0.1 * peak, 10.0 * peak
    best: Optional[float] = None
    for _ in range(steps):
        acc_left, acc_right = evaluate(left)[1], evaluate(right)[1]
        log_left, log_right = math.log10(left), math.log10(right)
        if acc_left < acc_right:
            best = right
            log_left = 0.5 * (log_left + log_right)
        else:
            best = left
            log_right = 0.5 * (log_left + log_right)
        left, right = 10.0**log_left, 10.0**log_right
    if best is None:
        best = peak
    (weight, bias), acc = evaluate(best)
    return dict(C=best, weight=weight, bias=bias, val_accuracy=acc,
                fits=len(cache))
