"""Load every local mmengine checkpoint safely.

mmengine reads local checkpoints (``load_from``, ``--resume``, ``tools/test.py``,
``mmengine.runner.load_checkpoint``) through the loader registered in
:class:`~mmengine.runner.CheckpointLoader` for paths without a prefix, which
calls ``torch.load`` with torch's default ``weights_only``. During the
plugin's runs (:func:`~projects.hicropl.engine.io_scope.plugin_io`) it is
replaced with :func:`load_from_local_safe`: always ``weights_only=True`` with
the mmengine allow-list (independent of the torch version's default), and
errors that say what is wrong with the file. Importing the plugin changes
nothing.
"""
import os.path as osp
import pickle
import zipfile
from typing import Any, Optional

from mmengine.runner.checkpoint import CheckpointLoader

from ..errors import CheckpointError, CheckpointNotFoundError
from .safe_load import safe_torch_load

__all__ = [
    'CorruptCheckpointError', 'load_from_local_safe',
    'register_safe_checkpoint_loader'
]


class CorruptCheckpointError(CheckpointError):
    """A checkpoint file is incomplete or not a torch checkpoint."""


def load_from_local_safe(filename: str,
                          map_location: Optional[Any] = None) -> Any:
    """Read a local checkpoint without executing pickled code.

    Args:
        filename (str): The checkpoint file (``~`` is expanded).
        map_location: As in :func:`torch.load`.

    Returns:
        The checkpoint object (usually a dict).

    Raises:
        FileNotFoundError: The file does not exist.
        UnsafeCheckpointError: The file holds objects outside the allow-list
            (they are never executed).
        CorruptCheckpointError: The file is truncated or not a checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise CheckpointNotFoundError(
            f'Checkpoint file not found: {filename}. Check the path given '
            'to `load_from`, `--resume` or tools/test.py.')
    try:
        return safe_torch_load(filename, map_location=map_location)
    except pickle.UnpicklingError:
        raise
    except (RuntimeError, EOFError, ValueError) as err:
        corrupt = isinstance(err, EOFError) or not zipfile.is_zipfile(
            filename) or 'PytorchStreamReader' in str(err)
        if not corrupt:  # e.g. a CUDA map_location on a CPU-only machine
            raise
        raise CorruptCheckpointError(
            f'Cannot read checkpoint {filename}: the file is incomplete or '
            f'not a torch checkpoint ({type(err).__name__}: '
            f'{str(err).split(". ")[0]}). It may '
            'come from a run killed while saving without the HiCroPL plugin '
            '(which writes checkpoints atomically); use an earlier '
            'checkpoint.') from err


def register_safe_checkpoint_loader() -> None:
    """Make :func:`load_from_local_safe` mmengine's loader for local paths
    (process-wide: prefer the scoped
    :func:`~projects.hicropl.engine.io_scope.plugin_io`). Idempotent."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_safe, force=True)
