"""Test-only plugins that hold a training process at a chosen point so that
the test can SIGKILL it exactly there (imported through ``custom_imports``
of a test config; never part of the package).

Each announces that it reached its point by creating ``marker`` and then
sleeps until the test kills the process.
"""
import os
import time

from mmengine.fileio.backends import register_backend
from mmengine.hooks import Hook

from mmpretrain.registry import HOOKS
from projects.hicropl.engine.fileio import AtomicLocalBackend

HOLD_SECONDS = 300


def _announce_and_hold(marker: str, text: str) -> None:
    with open(marker + '.part', 'w') as f:
        f.write(text)
    os.replace(marker + '.part', marker)
    time.sleep(HOLD_SECONDS)
    raise RuntimeError(f'{marker}: the test did not kill this process')


@HOOKS.register_module(force=True)
class HoldAtIterationHook(Hook):
    """Hold after training iteration ``at_iter`` (1-based, global)."""

    priority = 'LOWEST'

    def __init__(self, at_iter: int, marker: str):
        self.at_iter = at_iter
        self.marker = marker

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter + 1 == self.at_iter:
            _announce_and_hold(self.marker, f'iter {self.at_iter}')


class HoldingLocalBackend(AtomicLocalBackend):
    """The plugin's atomic local backend, holding while it writes the file
    named ``hold_file``: after half of the bytes (``stage='during'``) or
    once the file is complete (``stage='after'``)."""

    def __init__(self, hold_file: str = '', marker: str = '',
                 stage: str = 'during', **kwargs):
        super().__init__(**kwargs)
        self.hold_file, self.marker, self.stage = hold_file, marker, stage
        self._writing = ''

    def write_stream(self, f, data: bytes) -> None:
        if self.stage != 'during' or self._writing != self.hold_file:
            f.write(data)
            return
        f.write(data[:len(data) // 2])
        f.flush()
        os.fsync(f.fileno())
        _announce_and_hold(self.marker, f'writing {self.hold_file}')

    def put(self, obj: bytes, filepath) -> None:
        self._writing = os.path.basename(str(filepath))
        super().put(obj, filepath)
        if self.stage == 'after' and self._writing == self.hold_file:
            _announce_and_hold(self.marker, f'wrote {self.hold_file}')


register_backend('hicropl_test_holding', HoldingLocalBackend, force=True)
