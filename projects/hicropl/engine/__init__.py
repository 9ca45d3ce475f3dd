"""Engine utilities of the HiCroPL plugin.

Importing this package allow-lists the globals that mmengine checkpoints need
so that ``Runner.resume``/``load_checkpoint`` work with torch >= 2.6's
``weights_only=True`` default, without loading arbitrary pickles.
"""
from .safe_load import (SAFE_GLOBAL_NAMES, UnsafeCheckpointError,
                        register_safe_globals, safe_torch_load)
from .seed import apply_seed
from .checkpoint_loader import (CorruptCheckpointError,
                                register_safe_checkpoint_loader)
from .fileio import AtomicLocalBackend, register_atomic_local_backend
from .distributed import init_process_group, setup_distributed

register_safe_globals()
register_safe_checkpoint_loader()
register_atomic_local_backend()

__all__ = [
    'apply_seed', 'init_process_group', 'setup_distributed',
    'SAFE_GLOBAL_NAMES', 'UnsafeCheckpointError',
    'register_safe_globals', 'safe_torch_load'
]
