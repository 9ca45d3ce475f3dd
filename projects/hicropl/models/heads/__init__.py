from .cosine_head import CosineHead
from .fused_frozen_head import FusedFrozenHead

__all__ = ['CosineHead', 'FusedFrozenHead']
