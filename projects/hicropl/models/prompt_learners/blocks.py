"""Small shared blocks of the cross-modal prompt learners."""
from collections import OrderedDict

import torch
import torch.nn as nn
from open_clip.transformer import QuickGELU

from mmpretrain.registry import MODELS


def _build_act(act_cfg: dict) -> nn.Module:
    act_cfg = dict(act_cfg)
    if act_cfg.get('type') == 'QuickGELU':
        return QuickGELU()
    return MODELS.build(act_cfg)


class LayerKnowledgeProxy(nn.Module):
    """Layer-specific Knowledge Proxy (LKP), paper Eq. (2).

    A learnable proxy token cross-attends the ``m`` prompts of one layer and
    becomes a single token that summarises them:
    ``p = LN2(q + Attn(LN1(q), LN1(P), LN1(P)))`` with ``q`` the proxy.

    Args:
        dim (int): Width of the prompts (and of the proxy token).
        num_heads (int): Attention heads.
    """

    def __init__(self, dim: int, num_heads: int):
        super().__init__()
        self.proxy = nn.Parameter(torch.empty(1, dim))
        self.attn = nn.MultiheadAttention(dim, num_heads)
        self.ln_1 = nn.LayerNorm(dim)
        self.ln_2 = nn.LayerNorm(dim)
        nn.init.normal_(self.proxy, std=1.0)

    def forward(self, prompts: torch.Tensor) -> torch.Tensor:
        """Summarise prompts ``[m, dim]`` into one proxy token ``[1, dim]``."""
        query = self.proxy
        source = self.ln_1(prompts)
        attended = self.attn(self.ln_1(query), source, source,
                             need_weights=False)[0]
        return self.ln_2(query + attended)


class MeanProxy(nn.Module):
    """Equal-weight proxy (paper Table 7, "averaging"): the mean of the
    layer's ``m`` prompts; no parameters.

    Args:
        dim (int): Width of the prompts (unused; the signature of the other
            proxies).
    """

    def __init__(self, dim: int):
        super().__init__()

    def forward(self, prompts: torch.Tensor) -> torch.Tensor:
        """Summarise prompts ``[m, dim]`` into their mean ``[1, dim]``."""
        return prompts.mean(dim=0, keepdim=True)


class MLPProxy(nn.Module):
    """Two-layer MLP proxy (paper Table 7, "MLP"): a token-mixing MLP
    fuses the layer's ``m`` prompts into one token,
    ``p = W_2 act(W_1 P^T + b_1) + b_2`` with ``W_1`` ``[m, m]`` and
    ``W_2`` ``[1, m]`` acting along the prompt axis (each channel is a
    learned, input-dependent mix of the ``m`` prompts).

    Args:
        dim (int): Width of the prompts (unused by the token mixing).
        num_prompts (int): ``m``, the prompts per layer.
    """

    def __init__(self, dim: int, num_prompts: int):
        super().__init__()
        self.fc_1 = nn.Linear(num_prompts, num_prompts)
        self.act = nn.GELU()
        self.fc_2 = nn.Linear(num_prompts, 1)

    def forward(self, prompts: torch.Tensor) -> torch.Tensor:
        """Fuse prompts ``[m, dim]`` into one token ``[1, dim]``."""
        mixed = self.fc_2(self.act(self.fc_1(prompts.t())))  # [dim, 1]
        return mixed.t()


# Proxy kinds of HiCroPLPromptLearner (paper Table 7).
PROXIES = ('lkp', 'mean', 'mlp')


def build_proxy(kind: str, dim: int, num_heads: int,
                num_prompts: int) -> nn.Module:
    """A layer proxy ``[m, dim] -> [1, dim]`` of the given kind."""
    if kind == 'lkp':
        return LayerKnowledgeProxy(dim, num_heads)
    if kind == 'mean':
        return MeanProxy(dim)
    return MLPProxy(dim, num_prompts)


class KnowledgeMapper(nn.Module):
    """Hierarchical knowledge mapper ``M``, paper Eq. (3) and (7)-(10).

    Prompts of one modality (queries) attend to the proxy tokens of all
    layers of the other modality (keys and values)::

        Q = W_q P;  K = W_k P_p;  V = W_v P_p                    (7)
        Q' = Q + Attn(LN1(Q), LN1(K), LN1(V))                     (8, 9)
        out = Q' + FFN(LN2(Q'))                                   (9, 10)

    Args:
        query_dim (int): Width of the prompts being mapped (output width).
        source_dim (int): Width of the proxy tokens of the other modality.
        num_heads (int): Attention heads.
        mlp_ratio (float): FFN hidden width / ``query_dim``.
        act_cfg (dict): FFN activation. CLIP's ``QuickGELU`` by default.
    """

    def __init__(self,
                 query_dim: int,
                 source_dim: int,
                 num_heads: int,
                 mlp_ratio: float = 4.0,
                 act_cfg: dict = dict(type='QuickGELU')):
        super().__init__()
        self.linear_q = nn.Linear(query_dim, query_dim)
        self.linear_k = nn.Linear(source_dim, query_dim)
        self.linear_v = nn.Linear(source_dim, query_dim)
        self.attn = nn.MultiheadAttention(query_dim, num_heads)
        self.ln_1 = nn.LayerNorm(query_dim)
        hidden = int(query_dim * mlp_ratio)
        self.ffn = nn.Sequential(
            OrderedDict([('c_fc', nn.Linear(query_dim, hidden)),
                         ('act', _build_act(act_cfg)),
                         ('c_proj', nn.Linear(hidden, query_dim))]))
        self.ln_2 = nn.LayerNorm(query_dim)

    def forward(self, prompts: torch.Tensor,
                proxies: torch.Tensor) -> torch.Tensor:
        """Map prompts ``[N, query_dim]`` with proxies ``[k, source_dim]``.

        Returns:
            torch.Tensor: Mapped prompts ``[N, query_dim]``.
        """
        query = self.linear_q(prompts)
        key = self.ln_1(self.linear_k(proxies))
        value = self.ln_1(self.linear_v(proxies))
        hidden = query + self.attn(
            self.ln_1(query), key, value, need_weights=False)[0]
        return hidden + self.ffn(self.ln_2(hidden))
