"""HISF's semantic fusion of one layer's prompts with the label embeddings
(Feng & Li, HISF preprint 2025, Sec. 3.3, Eq. 3-8)."""
import torch
import torch.nn as nn

from .prompt_attention import PromptCrossAttention

__all__ = ['LabelSemanticFusion']


class LabelSemanticFusion(nn.Module):
    """``P_final`` from ``P`` and the label embeddings ``E`` (Eq. 3-8)::

        A, a    = cross-attention of LayerNorm(P) to E     # Eq. 3-6, a [n, C]
        P_fused = P + A                                    # Eq. 7
        e       = a E                                      # [n, D]
        P_final = P_fused + MLP(P_fused (+) e)             # Eq. 8

    ``E`` ``[C, D]`` holds one embedding per class being scored (see
    :class:`~.hisf.HISFPromptLearner`). The concatenation of Eq. 8 needs one
    label embedding per prompt token: each token is concatenated with the
    label embedding it attended to, ``e_j = sum_c a_jc E_c`` (``e_j = E_y``
    when token ``j`` attends to class ``y`` only), which is defined for any
    class set. The MLP is a bottleneck ``(W + D) -> h -> W`` with GELU.

    Args:
        width (int): Prompt width ``W`` of the tower.
        label_dim (int): Label-embedding width ``D`` (CLIP's joint space).
        bottleneck (int): Hidden width ``h`` of the MLP.
    """

    def __init__(self, width: int, label_dim: int, bottleneck: int):
        super().__init__()
        self.attention = PromptCrossAttention(width, [label_dim])
        self.mlp = nn.Sequential(
            nn.Linear(width + label_dim, bottleneck), nn.GELU(),
            nn.Linear(bottleneck, width))

    def forward(self, prompt: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        """Fused prompt.

        Args:
            prompt (Tensor): ``P`` ``[n, W]``.
            labels (Tensor): ``E`` ``[C, D]``.

        Returns:
            Tensor: ``P_final`` ``[n, W]``.
        """
        update, weights = self.attention(prompt, [labels])
        fused = prompt + update  # Eq. 7
        attended = weights @ labels  # shape = [n, D]
        return fused + self.mlp(torch.cat([fused, attended], dim=-1))  # Eq. 8
