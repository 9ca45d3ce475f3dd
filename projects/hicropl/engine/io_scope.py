"""Safe checkpoint loading and atomic saves for the plugin's runs only.

MMEngine looks up how to read a local checkpoint
(:class:`~mmengine.runner.CheckpointLoader`'s scheme for paths without a
prefix) and how to write a local file (the ``'local'`` file backend, also
used for paths without a prefix) in process-wide tables. Importing the plugin
leaves them alone, so other models trained in the same process keep
MMEngine's behaviour. :func:`plugin_io` installs the plugin's versions
(:func:`~.checkpoint_loader.load_from_local_safe`,
:class:`~.fileio.AtomicLocalBackend`) for the duration of a block and then
puts back whatever was there; :class:`~.runner.HiCroPLRunner` and
``tools/train.py`` / ``tools/test.py`` run inside it.
"""
import contextlib
from typing import Iterator

from mmengine.fileio import FileClient
from mmengine.fileio.backends import registry_utils
from mmengine.hooks import checkpoint_hook
from mmengine.runner import checkpoint
from mmengine.runner.checkpoint import CheckpointLoader

from .checkpoint_loader import (load_from_local_safe,
                                register_safe_checkpoint_loader)
from .fileio import AtomicLocalBackend, register_atomic_local_backend

__all__ = ['plugin_io', 'plugin_io_active']

_MISSING = object()


class _FileClientOnlyWhenAsked:
    """``FileClient`` for the MMEngine modules that build one they do not
    use: ``CheckpointHook.before_train`` and ``save_checkpoint`` call
    ``FileClient.infer_client(file_client_args, ...)`` even when
    ``file_client_args`` is None, and then use ``get_file_backend`` only;
    the unused client logs two deprecation warnings every run. With
    arguments, the real ``FileClient`` is built as before."""

    @staticmethod
    def infer_client(file_client_args=None, uri=None):
        if file_client_args is None:
            return None
        return FileClient.infer_client(file_client_args, uri)


# modules whose module-level name ``FileClient`` is swapped in the block
_FILE_CLIENT_USERS = (checkpoint_hook, checkpoint)


def plugin_io_active() -> bool:
    """Whether mmengine currently loads local checkpoints safely and writes
    local files atomically (the plugin's settings are installed)."""
    return (CheckpointLoader._schemes.get('') is load_from_local_safe
            and registry_utils.backends.get('local') is AtomicLocalBackend
            and registry_utils.prefix_to_backends.get('')
            is AtomicLocalBackend)


@contextlib.contextmanager
def plugin_io() -> Iterator[None]:
    """Within the block, mmengine reads local checkpoints with
    :func:`~.checkpoint_loader.load_from_local_safe` and writes local files
    with :class:`~.fileio.AtomicLocalBackend`, and MMEngine's checkpoint
    code builds no unused ``FileClient`` (:class:`_FileClientOnlyWhenAsked`).
    The previous entries are
    restored on exit (also on errors); blocks may be nested."""
    saved = (CheckpointLoader._schemes.get('', _MISSING),
             registry_utils.backends.get('local', _MISSING),
             registry_utils.prefix_to_backends.get('', _MISSING))
    clients = [module.FileClient for module in _FILE_CLIENT_USERS]
    register_safe_checkpoint_loader()
    register_atomic_local_backend()
    for module in _FILE_CLIENT_USERS:
        module.FileClient = _FileClientOnlyWhenAsked
    try:
        yield
    finally:
        for module, client in zip(_FILE_CLIENT_USERS, clients):
            module.FileClient = client
        loader, backend, prefix_backend = saved
        if loader is _MISSING:
            CheckpointLoader._schemes.pop('', None)
        else:
            CheckpointLoader.register_scheme(
                prefixes='', loader=loader, force=True)
        for table, key, value in (
                (registry_utils.backends, 'local', backend),
                (registry_utils.prefix_to_backends, '', prefix_backend)):
            if value is _MISSING:
                table.pop(key, None)
            else:
                table[key] = value
