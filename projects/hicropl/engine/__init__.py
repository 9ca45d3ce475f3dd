"""Engine utilities of the HiCroPL plugin.

Importing this package registers the plugin's runner, hooks and schedulers
and changes nothing else: safe checkpoint loading (torch's ``weights_only``
unpickler with the allow-list mmengine checkpoints need, see
:mod:`.safe_load`) and atomic checkpoint saves apply to the plugin's runs
only (:class:`HiCroPLRunner`, ``tools/*.py``), through :func:`plugin_io`.
"""
from .safe_load import (SAFE_GLOBAL_NAMES, RestrictedUnpickler,
                        UnsafeCheckpointError, register_safe_globals,
                        safe_pickle_load, safe_torch_load)
from .seed import apply_seed
from .checkpoint_loader import (CorruptCheckpointError,
                                register_safe_checkpoint_loader)
from .fileio import AtomicLocalBackend, register_atomic_local_backend
from .distributed import init_process_group, setup_distributed
from .io_scope import plugin_io, plugin_io_active
from .runner import HiCroPLRunner

__all__ = [
    'apply_seed', 'init_process_group', 'setup_distributed',
    'SAFE_GLOBAL_NAMES', 'UnsafeCheckpointError', 'RestrictedUnpickler',
    'register_safe_globals', 'safe_torch_load', 'safe_pickle_load',
    'CorruptCheckpointError', 'AtomicLocalBackend', 'plugin_io',
    'plugin_io_active', 'HiCroPLRunner'
]
