"""A tiny open_clip architecture for unit tests (random weights)."""
import copy
from typing import Dict

TINY_CLIP_ARCH: Dict = dict(
    embed_dim=32,
    quick_gelu=True,
    vision_cfg=dict(image_size=32, patch_size=8, width=64, layers=3, head_width=32),
    text_cfg=dict(context_length=77, vocab_size=49408, width=48, heads=4, layers=3))


def tiny_clip_arch(**overrides) -> Dict:
    """A copy of :data:`TINY_CLIP_ARCH` with top-level keys overridden."""
    arch = copy.deepcopy(TINY_CLIP_ARCH)
    arch.update(overrides)
    return arch
