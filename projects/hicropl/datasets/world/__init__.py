"""A procedural world of coloured, patterned shapes: the images and captions
a small CLIP is pretrained on (``tools/world/pretrain_clip.py``) and the
miniature benchmark suite drawn from it (``tools/world/make_suite.py``)."""
from .captions import caption, describe, object_phrase
from .render import PRETRAIN_DOMAIN, Domain, Scene, render_scene

__all__ = [
    'Domain', 'PRETRAIN_DOMAIN', 'Scene', 'caption', 'describe',
    'object_phrase', 'render_scene'
]
