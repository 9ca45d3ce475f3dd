"""Keep a resumable checkpoint on disk at every moment; resume from the newest
complete one after a crash."""
import os
import os.path as osp
import re
import zipfile
from typing import Iterable, List, Optional, Tuple

from mmengine.dist import barrier, is_main_process
from mmengine.hooks import CheckpointHook, Hook

from mmpretrain.registry import HOOKS
from ...errors import CheckpointError
from ..fileio import atomic_write, is_atomic_temp_file

__all__ = ['CheckpointRecoveryHook', 'is_complete_checkpoint']

_CHECKPOINT = re.compile(r'^(?P<kind>epoch|iter)_(?P<step>\d+)\.pth$')
_PROTECTED = re.compile(r'^\.(?P<name>(epoch|iter)_\d+\.pth)\.resume$')
# A protected link being created: ``.<checkpoint>.resume.<pid>.new``.
_LINKING = re.compile(
    r'^\.(epoch|iter)_\d+\.pth\.resume\.(?P<pid>\d+)\.new$')
LAST_CHECKPOINT = 'last_checkpoint'


def is_complete_checkpoint(path: str) -> bool:
    """Whether ``path`` is a complete torch (zip) checkpoint.

    A file cut short by a crash has no zip central directory (it is written
    last), so this cheap check tells complete files from partial ones.
    """
    if not osp.isfile(path) or not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return any(n.endswith('/data.pkl') for n in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def _pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. PermissionError: it exists, another user's
        return True
    return True


def _protected_name(path: str) -> str:
    """The hidden hard link that keeps checkpoint ``path`` alive."""
    return osp.join(osp.dirname(path), f'.{osp.basename(path)}.resume')


@HOOKS.register_module()
class CheckpointRecoveryHook(Hook):
    """Make ``--resume`` work after a kill at any moment, checkpoint saves
    included.

    mmengine's :class:`~mmengine.hooks.CheckpointHook` removes the oldest
    checkpoint *before* it writes the next one (``max_keep_ckpts``), and
    writes ``last_checkpoint`` in place after it. A kill in between leaves
    ``last_checkpoint`` pointing to a removed file (with
    ``max_keep_ckpts=1``: no checkpoint at all), or leaves ``last_checkpoint``
    empty. Checkpoint files themselves are written atomically by the plugin's
    file backend (:mod:`projects.hicropl.engine.fileio`). This hook closes
    the remaining gaps:

    * After every save it keeps a hidden hard link
      ``.<checkpoint>.resume`` to the checkpoint ``last_checkpoint`` names,
      so its data survive until the next checkpoint is complete (no extra
      disk space while the checkpoint itself exists).
    * Before an automatic resume (``--resume`` without a path) it checks
      ``last_checkpoint``; if that is empty, or names a missing or incomplete
      file, it resumes from the newest complete checkpoint instead
      (``epoch_*.pth`` / ``iter_*.pth``, restoring a protected one under its
      own name) and says so. With none, it raises an error naming the
      options.
    * It removes temporary files of interrupted atomic writes and the
      half-made links (``.<checkpoint>.resume.<pid>.new``) of killed
      processes, and never leaves one itself.

    Rank 0 does the file work; the other ranks wait for it.

    Args:
        protect_latest (bool): Keep the hard link described above. Defaults
            to True.
    """

    priority = 'LOWEST'  # after CheckpointHook: sees the checkpoint just saved

    def __init__(self, protect_latest: bool = True):
        self.protect_latest = protect_latest
        self._protected: Optional[Tuple[str, int, int]] = None

    # ----------------------------------------------------------------- resume
    @staticmethod
    def _checkpoint_dirs(runner, recorded: str) -> List[str]:
        dirs = [runner.work_dir]
        for hook in runner.hooks:
            out_dir = getattr(hook, 'out_dir', None)
            if isinstance(hook, CheckpointHook) and isinstance(out_dir, str):
                # CheckpointHook appends the work dir's name to out_dir.
                dirs.append(
                    osp.join(out_dir,
                             osp.basename(runner.work_dir.rstrip(os.sep))))
                dirs.append(out_dir)
        if recorded and osp.isabs(recorded):
            dirs.append(osp.dirname(recorded))
        unique = []
        for folder in dirs:
            folder = osp.abspath(folder)
            if osp.isdir(folder) and folder not in unique:
                unique.append(folder)
        return unique

    @staticmethod
    def _candidates(dirs: Iterable[str]) -> List[Tuple[int, int, str, str]]:
        """Complete checkpoints as ``(step, rank, file, name)``, where
        ``rank`` prefers a regular file over a protected link."""
        found = []
        for folder in dirs:
            for entry in os.listdir(folder):
                match = _CHECKPOINT.match(entry)
                rank = 1
                if match is None:
                    protected = _PROTECTED.match(entry)
                    if protected is None:
                        continue
                    match = _CHECKPOINT.match(protected.group('name'))
                    rank = 0
                path = osp.join(folder, entry)
                if is_complete_checkpoint(path):
                    name = osp.join(folder, match.group(0))
                    found.append((int(match.group('step')), rank, path, name))
        return sorted(found)

    def _repair_last_checkpoint(self, runner) -> None:
        record = osp.join(runner.work_dir, LAST_CHECKPOINT)
        recorded = ''
        if osp.isfile(record):
            with open(record, encoding='utf-8', errors='replace') as f:
                recorded = f.read().strip()
        if recorded and is_complete_checkpoint(recorded):
            return
        dirs = self._checkpoint_dirs(runner, recorded)
        candidates = self._candidates(dirs)
        if not candidates:
            if osp.isfile(record):
                raise CheckpointError(
                    f'Cannot resume: {record} names {recorded!r}, which is '
                    'missing or incomplete, and no complete checkpoint '
                    f'(epoch_*.pth / iter_*.pth) is in {dirs}. Train without '
                    f'--resume (or delete {record}), or pass the checkpoint '
                    'to resume from with --resume PATH.')
            return  # nothing saved yet: mmengine starts from scratch
        _, rank, path, name = candidates[-1]
        if rank == 0:  # only the protected link is left: restore the name
            os.replace(path, name)
        atomic_write(name.encode('utf-8'), record)
        reason = (f'names {recorded!r}, which is missing or incomplete'
                  if recorded else 'is missing or empty')
        runner.logger.warning(
            f'{record} {reason} (the previous run was interrupted while '
            f'saving a checkpoint); resuming from {name}, the newest complete '
            'checkpoint.')

    @staticmethod
    def _remove_temp_files(dirs: Iterable[str]) -> None:
        for folder in dirs:
            for entry in os.listdir(folder):
                linking = _LINKING.match(entry)
                stale_link = linking is not None and (
                    int(linking.group('pid')) == os.getpid()
                    or not _pid_alive(int(linking.group('pid'))))
                if is_atomic_temp_file(entry) or stale_link:
                    try:
                        os.remove(osp.join(folder, entry))
                    except OSError:
                        pass

    def before_run(self, runner) -> None:
        # Runner.load_or_resume() reads the same (private) attributes, right
        # after before_run: automatic resume = resume without load_from.
        auto_resume = getattr(runner, '_resume', False) and getattr(
            runner, '_load_from', None) is None
        if is_main_process() and osp.isdir(runner.work_dir):
            self._remove_temp_files(self._checkpoint_dirs(runner, ''))
            if auto_resume:
                self._repair_last_checkpoint(runner)
        barrier()

    # ------------------------------------------------------------- protection
    def _protect(self, runner) -> None:
        """Hard-link the checkpoint ``last_checkpoint`` names (once per file
        version) and drop the previous link."""
        if not self.protect_latest or not is_main_process():
            return
        path = runner.message_hub.get_info('last_ckpt')
        if not isinstance(path, str) or not osp.isfile(path):
            return
        stat = os.stat(path)
        current = (path, stat.st_ino, stat.st_dev)
        if current == self._protected:
            return
        link = _protected_name(path)
        tmp = f'{link}.{os.getpid()}.new'
        try:
            # After --resume the link may already be this file: then
            # os.replace(tmp, link) between two links of one file would be a
            # no-op on POSIX and leave tmp behind.
            if not (osp.exists(link) and osp.samefile(link, path)):
                if osp.lexists(tmp):
                    os.remove(tmp)
                os.link(path, tmp)
                try:
                    os.replace(tmp, link)
                finally:
                    if osp.lexists(tmp):
                        os.remove(tmp)
        except OSError as err:  # e.g. a file system without hard links
            runner.logger.warning(
                f'CheckpointRecoveryHook cannot hard-link {path} ({err}); a '
                'kill while the next checkpoint is saved may leave no '
                'resumable checkpoint with max_keep_ckpts=1. Disabling the '
                'protection.')
            self.protect_latest = False
            return
        self._drop_stale_links(osp.dirname(path), keep=link)
        self._protected = current

    @staticmethod
    def _drop_stale_links(folder: str, keep: str) -> None:
        for entry in os.listdir(folder):
            path = osp.join(folder, entry)
            if _PROTECTED.match(entry) and path != keep:
                try:
                    os.remove(path)
                except OSError:
                    pass

    def before_train(self, runner) -> None:
        self._protect(runner)

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch=None,
                         outputs=None) -> None:
        self._protect(runner)

    def after_train_epoch(self, runner) -> None:
        self._protect(runner)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._protect(runner)

    def after_train(self, runner) -> None:
        """The run is complete: the links are not needed any more."""
        path = runner.message_hub.get_info('last_ckpt')
        if self.protect_latest and is_main_process() and isinstance(
                path, str) and osp.isdir(osp.dirname(path)):
            self._drop_stale_links(osp.dirname(path), keep='')
        self._protected = None
