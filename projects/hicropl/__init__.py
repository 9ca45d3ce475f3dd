"""HiCroPL and CLIP prompt learning for MMPretrain.

Importing this package registers the models, datasets, hooks and the
``HiCroPLRunner`` into MMPretrain's registries (configs use
``custom_imports``) and changes nothing else in MMEngine: safe checkpoint
loading and atomic saves apply to the plugin's runs only (``engine``).
"""
import warnings

with warnings.catch_warnings():
    # mmcv-lite has no compiled ops: importing mmpretrain.models (mmcv's
    # transformer bricks) warns that MultiScaleDeformableAttention, a
    # detection op the plugin never uses, is missing. Only this message, only
    # during this first import (the modules are cached afterwards).
    warnings.filterwarnings(
        'ignore',
        message='Fail to import ``MultiScaleDeformableAttention``',
        category=UserWarning)
    import mmpretrain.models  # noqa: F401

from . import datasets, engine, models  # noqa: F401
from .engine import hooks, loops, schedulers  # noqa: F401
from . import evaluation  # noqa: F401
from . import apis  # noqa: F401  (our models in MMPretrain's ModelHub)
from .version import __version__

__all__ = ['__version__']
