"""Atomic writes for mmengine's local file backend.

mmengine 0.10.7 writes checkpoints with ``torch.save`` into memory and then
``file_backend.put(bytes, path)``, where the local backend opens ``path`` with
``'wb'`` and writes in place: a process killed during the write leaves a
half-written ``epoch_N.pth`` behind under the final name (and, when the save
overwrites a file, the previous good version is already gone).

:class:`AtomicLocalBackend` writes every file to a temporary file in the same
folder, flushes and ``fsync``\\ s it, and moves it over the target with
``os.replace`` (atomic on POSIX and Windows), then ``fsync``\\ s the folder. A
reader sees either the old file or the complete new one, never a partial
one. During the plugin's runs
(:func:`~projects.hicropl.engine.io_scope.plugin_io`) it is the ``'local'``
backend and the one for paths without a prefix, so every local write through
mmengine's file backends (checkpoints, best checkpoints, dumped results) is
atomic; importing the plugin changes nothing.
"""
import os
import os.path as osp
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, Optional, Union

from mmengine.fileio.backends import LocalBackend, register_backend

__all__ = [
    'AtomicLocalBackend', 'atomic_write', 'is_atomic_temp_file',
    'register_atomic_local_backend'
]

# Temporary files are ``.<name>.<random>.tmp`` next to the target.
_TMP_SUFFIX = '.tmp'
_TMP_PATTERN = re.compile(r'^\.(?P<name>.+)\.[A-Za-z0-9_]+\.tmp$')


def is_atomic_temp_file(filename: str) -> bool:
    """Whether ``filename`` (a base name) is a temporary file left by an
    interrupted :func:`atomic_write`."""
    return _TMP_PATTERN.match(filename) is not None


def _default_file_mode() -> int:
    """``0o666`` minus the umask: the mode ``open(path, 'w')`` gives."""
    umask = os.umask(0o022)  # read the umask by setting it, then restore
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _default_file_mode()


def _fsync_dir(folder: str) -> None:
    """Make a rename in ``folder`` durable (no-op where unsupported)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(data: bytes,
                 filepath: Union[str, Path],
                 write: Optional[Callable[[BinaryIO, bytes], None]] = None
                 ) -> None:
    """Write ``data`` to ``filepath`` atomically.

    The bytes go to ``.<name>.<random>.tmp`` in the target's folder, which is
    flushed, ``fsync``\\ ed and renamed over ``filepath``. On any error the
    temporary file is removed and ``filepath`` is left as it was (a killed
    process leaves only the temporary file, which
    :func:`is_atomic_temp_file` recognises).

    Args:
        data (bytes): The whole content of the file.
        filepath (str | Path): The target file; its folder is created.
        write (callable, optional): ``write(file, data)`` writing into the
            open temporary file. Defaults to ``file.write(data)``.
    """
    filepath = str(filepath)
    folder = osp.dirname(osp.abspath(filepath))
    os.makedirs(folder, exist_ok=True)
    fd, tmp_path = tempfile.mkstemp(
        dir=folder, prefix=f'.{osp.basename(filepath)}.', suffix=_TMP_SUFFIX)
    try:
        with os.fdopen(fd, 'wb') as f:
            # mkstemp creates 0600 files; give the usual permissions instead.
            os.chmod(tmp_path, _FILE_MODE)
            if write is None:
                f.write(data)
            else:
                write(f, data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp_path, filepath)
    except BaseException:
        try:
            os.remove(tmp_path)
        except OSError:
            pass
        raise
    _fsync_dir(folder)


class AtomicLocalBackend(LocalBackend):
    """mmengine's :class:`~mmengine.fileio.LocalBackend` whose ``put`` and
    ``put_text`` are atomic (see :func:`atomic_write`).

    Reading, listing and removing are unchanged.
    """

    def write_stream(self, f: BinaryIO, data: bytes) -> None:
        """Write ``data`` into the open temporary file ``f`` (a separate step
        so that a subclass can, e.g., throttle it)."""
        f.write(data)

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes to ``filepath`` atomically (folders are created)."""
        atomic_write(obj, filepath, self.write_stream)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically (folders are created)."""
        atomic_write(obj.encode(encoding), filepath, self.write_stream)


def register_atomic_local_backend() -> None:
    """Make :class:`AtomicLocalBackend` mmengine's local file backend (the
    ``'local'`` name and paths without a prefix), process-wide: prefer the
    scoped :func:`~projects.hicropl.engine.io_scope.plugin_io`.
    Idempotent."""
    register_backend(
        'local', AtomicLocalBackend, force=True, prefixes=[''])
