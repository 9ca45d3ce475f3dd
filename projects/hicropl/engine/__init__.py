"""Engine utilities of the HiCroPL plugin.

Importing this package allow-lists the globals that mmengine checkpoints need
so that ``Runner.resume``/``load_checkpoint`` work with torch >= 2.6's
``weights_only=True`` default, without loading arbitrary pickles.
"""
from .safe_load import (SAFE_GLOBAL_NAMES, UnsafeCheckpointError,
                        register_safe_globals, safe_torch_load)
from .seed import apply_seed

register_safe_globals()

__all__ = [
    'apply_seed', 'SAFE_GLOBAL_NAMES', 'UnsafeCheckpointError',
    'register_safe_globals', 'safe_torch_load'
]
