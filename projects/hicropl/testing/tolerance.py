"""Float tolerances derived from floating-point rounding, for tests.

Two evaluations of the same math that differ only in the order of their
floating-point operations (another batch shape picks another kernel, another
thread count splits a sum elsewhere, another CPU has other SIMD widths)
differ by rounding alone. For a sum of ``n`` terms the classic bound is
``|fl(sum) - sum| <= (n - 1) u sum|x_i|`` with ``u = eps / 2`` the unit
round-off (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed.,
Eq. 4.4), so two summation orders differ by at most ``(n - 1) eps sum|x_i|``.

A network chains such sums. To first order the rounding errors of the steps
along its longest dependency path add up, each relative to the magnitude of
the values there; residual streams and LayerNorms keep those magnitudes at
the scale of the compared quantity. The bound used here is therefore::

    tol = steps * eps * scale

with ``steps`` the summed reduction lengths along that path
(:func:`transformer_steps`, :func:`clip_steps`) and ``scale`` the largest
magnitude of the quantity compared. It is a worst case: independent rounding
errors grow like ``sqrt(steps)``, so real differences stay well below it on
every machine, while a real bug (a wrong row, a missing gradient reduction)
is orders of magnitude larger.
"""
import math
from typing import Union

import torch


def eps_of(dtype: torch.dtype = torch.float32) -> float:
    """Machine epsilon of a floating dtype (``2**-23`` for fp32)."""
    return torch.finfo(dtype).eps


def transformer_steps(width: int, layers: int, tokens: int,
                      mlp_ratio: float = 4.0) -> int:
    """Rounding steps along one residual path through ``layers`` blocks.

    Per block: the two LayerNorms' mean and variance (``4 width``), the
    query-key dot product (``width``), the attention-weighted sum
    (``tokens``), the output projection (``width``) and the MLP
    (``width + mlp_ratio * width``).
    """
    hidden = int(round(width * mlp_ratio))
    per_block = 4 * width + width + tokens + width + width + hidden
    return layers * per_block


def clip_steps(backbone, tower: str = 'text') -> int:
    """Rounding steps of one CLIP tower of a ``PromptedCLIP`` (dimensions
    read from the backbone), including the final projection.

    Args:
        backbone: A :class:`PromptedCLIP`.
        tower (str): ``'text'``, ``'image'`` or ``'both'`` (image-text
            logits: both towers and the cosine similarity).
    """
    if tower == 'both':
        return (clip_steps(backbone, 'text') + clip_steps(backbone, 'image')
                + backbone.embed_dim)
    if tower == 'text':
        return transformer_steps(backbone.text_width, backbone.text_layers,
                                 backbone.context_length) + backbone.text_width
    if tower == 'image':
        size = backbone.image_size
        size = (size, size) if isinstance(size, int) else tuple(size)
        patch = backbone.clip.visual.conv1.kernel_size
        tokens = math.prod(s // p for s, p in zip(size, patch)) + 1
        patch_dot = backbone.clip.visual.conv1.in_channels * math.prod(patch)
        return (patch_dot + transformer_steps(
            backbone.vision_width, backbone.vision_layers, tokens) +
                backbone.vision_width)
    raise ValueError(f"tower must be 'text', 'image' or 'both', not {tower!r}")


def rounding_tolerance(scale: Union[float, torch.Tensor], steps: int,
                       dtype: torch.dtype = torch.float32) -> float:
    """``steps * eps(dtype) * scale``: the largest difference two orders of
    the same computation can show (see the module docstring).

    Args:
        scale: Largest magnitude of the compared quantity (a tensor: its
            largest absolute value).
        steps (int): Rounding steps along the longest dependency path.
        dtype: The dtype the computation runs in.
    """
    if isinstance(scale, torch.Tensor):
        scale = scale.detach().abs().max().item()
    return steps * eps_of(dtype) * float(scale)


def softmax_tolerance(logit_tolerance: float) -> float:
    """Bound on the change of softmax probabilities for logits that change
    by at most ``logit_tolerance``: ``|dp_i| <= 2 p_i (1 - p_i) max|dz|
    <= max|dz| / 2``."""
    return 0.5 * logit_tolerance


def score_tolerance(backbone) -> float:
    """Bound on the difference of class probabilities (softmax of CLIP
    logits ``exp(logit_scale) * cos``) computed in two operation orders:
    cosines are at most 1, so the logits' scale is ``exp(logit_scale)``;
    the rounding path is both towers and the cosine (:func:`clip_steps`)."""
    scale = backbone.logit_scale.detach().exp().item()
    return softmax_tolerance(rounding_tolerance(scale, clip_steps(backbone, 'both')))
