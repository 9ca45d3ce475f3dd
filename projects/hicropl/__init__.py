"""HiCroPL and CLIP prompt learning for MMPretrain.

Importing this package registers the models, datasets and hooks into
MMPretrain's registries (configs use ``custom_imports``) and allow-lists the
globals mmengine checkpoints need for safe resumption (``engine``).
"""
from . import datasets, engine, models  # noqa: F401
from .engine import hooks, loops, schedulers  # noqa: F401
from . import evaluation  # noqa: F401
from . import apis  # noqa: F401  (our models in MMPretrain's ModelHub)
from .version import __version__

__all__ = ['__version__']
