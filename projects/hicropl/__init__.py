"""HiCroPL and CLIP prompt learning for MMPretrain.

Importing this package registers the models, datasets, metrics and hooks
into MMPretrain's registries (configs use ``custom_imports``).
"""
from . import models  # noqa: F401
from .version import __version__

__all__ = ['__version__']
