"""Residual cross-attention of prompt tokens to groups of source tokens
(HISF's label fusion, Eq. 3-7; ISP's structural modules)."""
import math
from typing import List, Sequence, Tuple

import torch
import torch.nn as nn

__all__ = ['PromptCrossAttention']


def _common_batch(tensors: Sequence[torch.Tensor]) -> List[torch.Tensor]:
    """Bring ``[m, w]`` and ``[B, m, w]`` tensors to one leading shape:
    unchanged when all are 2-D, else every one expanded to ``[B, m, w]``."""
    batched = [t for t in tensors if t.dim() == 3]
    if not batched:
        return list(tensors)
    size = batched[0].shape[0]
    return [t if t.dim() == 3 else t.expand(size, *t.shape) for t in tensors]


class PromptCrossAttention(nn.Module):
    """Single-head cross-attention of prompts to source tokens::

        Q = LayerNorm(P) W_q                          # HISF Eq. 3
        K = [S_1 W_k^1; ...; S_g W_k^g]               # Eq. 4, one map per group
        V = [S_1 W_v^1; ...; S_g W_v^g]               # Eq. 5
        A = softmax(Q K^T / sqrt(W))                  # Eq. 6, [n, m]
        update = A V                                  # P_fused = P + update, Eq. 7

    The sources come in groups of different widths (e.g. the other prompts
    of the tower, ``[n, W]``, and frozen CLIP embeddings, ``[m, D]``); each
    group has its own key and value maps into the prompt width ``W``, and
    the softmax runs over all ``m = m_1 + ... + m_g`` source tokens. The
    maps are plain matrices (no bias), as Eq. 3-5 write them.

    Args:
        width (int): Width ``W`` of the prompt tokens (queries and output).
        source_widths (sequence of int): Width of each source group.
    """

    def __init__(self, width: int, source_widths: Sequence[int]):
        super().__init__()
        if not source_widths:
            raise ValueError('PromptCrossAttention needs at least one source.')
        self.width = width
        self.norm = nn.LayerNorm(width)
        self.query = nn.Linear(width, width, bias=False)
        self.keys = nn.ModuleList(
            nn.Linear(w, width, bias=False) for w in source_widths)
        self.values = nn.ModuleList(
            nn.Linear(w, width, bias=False) for w in source_widths)

    def forward(self, prompt: torch.Tensor, sources: Sequence[torch.Tensor]
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Attention output and weights.

        Args:
            prompt (Tensor): ``[n, W]`` or ``[B, n, W]``.
            sources (sequence of Tensor): One per group, ``[m_g, w_g]`` or
                ``[B, m_g, w_g]``.

        Returns:
            tuple: ``update`` ``[(B,) n, W]`` (to add to ``prompt``) and the
            attention weights ``[(B,) n, m]`` (rows sum to 1).
        """
        if len(sources) != len(self.keys):
            raise ValueError(f'{len(self.keys)} source groups expected, got '
                             f'{len(sources)}.')
        query = self.query(self.norm(prompt))  # shape = [(B,) n, W]
        # Map first, then broadcast (module inputs stay un-expanded).
        key = torch.cat(_common_batch(
            [f(s) for f, s in zip(self.keys, sources)]), dim=-2)
        value = torch.cat(_common_batch(
            [f(s) for f, s in zip(self.values, sources)]),
                          dim=-2)  # shape = [(B,) m, W]
        scores = query @ key.transpose(-1, -2) / math.sqrt(self.width)
        weights = scores.softmax(dim=-1)  # shape = [(B,) n, m]
        return weights @ value, weights
