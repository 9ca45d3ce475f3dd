"""How the command-line tools under ``tools/`` report errors.

An error in the user's inputs (a :class:`~projects.hicropl.errors.UserError`,
also when MMEngine or PyTorch re-raised it, or when it is the cause or
context of another exception) is printed as one message to stderr and the
tool exits with status 1. ``--debug`` (or ``HICROPL_DEBUG=1``) shows the
full traceback instead; any other exception is a bug and keeps its
traceback.

Usage in a tool::

    from projects.hicropl.utils.cli import add_debug_argument, run_main
    ...
    if __name__ == '__main__':
        run_main(main)
"""
import argparse
import os
import os.path as osp
import re
import shutil
import sys
from contextlib import contextmanager
from typing import Callable, Iterator, List, Optional

from ..errors import UserError

DEBUG_ENV = 'HICROPL_DEBUG'
DEBUG_FLAG = '--debug'

# torch's DataLoader re-raises a worker's exception as
# ``type(e)("Caught X in DataLoader worker process N.\nOriginal Traceback
# (most recent call last): ... X: <message>")``.
_WORKER_TRACEBACK = 'Original Traceback (most recent call last):'


def add_debug_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--debug`` (read by :func:`run_main`) to a tool's parser."""
    parser.add_argument(
        DEBUG_FLAG,
        action='store_true',
        help='show the full traceback of errors in the inputs (also '
        f'{DEBUG_ENV}=1); by default they are printed as one message')


def debug_requested(argv: Optional[List[str]] = None) -> bool:
    """Whether ``--debug`` is in ``argv`` (default ``sys.argv``) or
    ``HICROPL_DEBUG`` is set to a true value."""
    argv = sys.argv[1:] if argv is None else argv
    env = os.environ.get(DEBUG_ENV, '').strip().lower()
    return DEBUG_FLAG in argv or env not in ('', '0', 'false', 'no')


def find_user_error(exc: BaseException) -> Optional[UserError]:
    """The :class:`UserError` that ``exc`` is, or was raised from/while
    handling (``__cause__`` / ``__context__``), else ``None``."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, UserError):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def user_message(error: UserError) -> str:
    """The message of ``error`` without the wrappers added on the way up.

    A re-raise that only prefixes the original message (MMEngine's
    ``type(e)(f'... {e}')``, torch's DataLoader worker traceback) is
    unwrapped to the innermost user error that carries that message.
    """
    message = str(error)
    inner = error.__cause__ or error.__context__
    inner = find_user_error(inner) if inner is not None else None
    if inner is not None and message.endswith(str(inner)):
        return user_message(inner)
    if _WORKER_TRACEBACK in message:
        # The original message follows the last "<module.>Name: " line.
        name = re.escape(type(error).__name__)
        parts = re.split(rf'^(?:[\w.]+\.)?{name}: ', message,
                         flags=re.MULTILINE)
        if len(parts) > 1:
            message = parts[-1]
    return message.strip()


def run_main(main: Callable, argv: Optional[List[str]] = None):
    """Run a tool's ``main(argv)``; report user errors as one message.

    ``--debug`` is taken out of ``argv`` (default ``sys.argv[1:]``) here, so
    every tool accepts it (:func:`add_debug_argument` lists it in a tool's
    ``--help``). Returns what ``main`` returns. On a user error:
    ``error: <message>`` on stderr and ``SystemExit(1)``, unless debugging
    was requested (:func:`debug_requested`): then the exception propagates
    with its traceback.
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    debug = debug_requested(argv)
    try:
        return main([arg for arg in argv if arg != DEBUG_FLAG])
    except Exception as exc:  # noqa: B902 -- only user errors are handled
        error = find_user_error(exc)
        if error is None or debug:
            raise
        sys.stdout.flush()
        print(f'error: {user_message(error)}\n'
              f'(run again with {DEBUG_FLAG} or {DEBUG_ENV}=1 for the '
              f'traceback)', file=sys.stderr, flush=True)
        raise SystemExit(1)


@contextmanager
def discard_run_on_user_error(work_dir: str) -> Iterator[None]:
    """Remove what a run created in ``work_dir`` when it fails on a user
    error before it saved a checkpoint.

    Entries of ``work_dir`` that existed before stay (resuming needs them);
    ``work_dir`` itself is removed when this run created it. A run that saved
    a checkpoint keeps everything: ``--resume`` continues from it.
    Only the main process removes files.
    """
    work_dir = osp.abspath(work_dir)
    existed = osp.isdir(work_dir)
    before = set(os.listdir(work_dir)) if existed else set()
    try:
        yield
    except Exception as exc:  # noqa: B902 -- re-raised below
        if find_user_error(exc) is not None and _is_main_process():
            _remove_new_entries(work_dir, existed, before)
        raise


def _is_main_process() -> bool:
    from mmengine.dist import is_main_process
    return is_main_process()


def _remove_new_entries(work_dir: str, existed: bool, before: set) -> None:
    if not osp.isdir(work_dir):
        return
    new = sorted(set(os.listdir(work_dir)) - before)
    if any(name.endswith('.pth') or name == 'last_checkpoint'
           for name in new):
        return  # a checkpoint was saved: keep the run for --resume
    if not existed:
        shutil.rmtree(work_dir, ignore_errors=True)
        return
    for name in new:
        path = osp.join(work_dir, name)
        if osp.isdir(path) and not osp.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            try:
                os.remove(path)
            except FileNotFoundError:
                pass
