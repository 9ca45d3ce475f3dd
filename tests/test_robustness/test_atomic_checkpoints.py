"""Atomic checkpoint writes (file-backend level) and the recovery of
``last_checkpoint`` before an automatic resume (CheckpointRecoveryHook)."""
import os
import signal
import types
import uuid

import pytest
import torch
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.hooks import CheckpointHook
from mmengine.logging import MessageHub, MMLogger
from mmengine.runner.checkpoint import save_checkpoint

from projects.hicropl.engine import plugin_io
from projects.hicropl.engine.fileio import (AtomicLocalBackend, atomic_write,
                                            is_atomic_temp_file)
from projects.hicropl.engine.hooks import CheckpointRecoveryHook
from projects.hicropl.engine.hooks.checkpoint_recovery_hook import \
    is_complete_checkpoint
from robustness_helpers import WarningCapture


class _Killed(BaseException):
    """Stands in for a process dying inside a write."""


def half_then_die(f, data):
    f.write(data[:len(data) // 2])
    raise _Killed()


# --------------------------------------------------------------------------
# atomic writes
# --------------------------------------------------------------------------


def test_plugin_backend_is_mmengine_local_backend_in_plugin_runs(tmp_path):
    with plugin_io():
        assert isinstance(get_file_backend(str(tmp_path / 'epoch_1.pth')), AtomicLocalBackend)
        assert isinstance(get_file_backend(backend_args=dict(backend='local')),
                          AtomicLocalBackend)
    # outside the plugin's runs mmengine keeps its own backend
    assert type(get_file_backend(str(tmp_path / 'epoch_1.pth'))) is LocalBackend


def test_interrupted_write_keeps_the_old_file(tmp_path):
    target = tmp_path / 'epoch_1.pth'
    atomic_write(b'old complete content', target)
    with pytest.raises(_Killed):
        atomic_write(b'new content that is never finished', target, write=half_then_die)
    assert target.read_bytes() == b'old complete content'
    assert os.listdir(tmp_path) == ['epoch_1.pth']  # temporary file removed


def test_killed_process_leaves_only_a_temporary_file(tmp_path):
    """A real SIGKILL half-way through a write (forked child)."""
    target = tmp_path / 'epoch_2.pth'
    pid = os.fork()
    if pid == 0:  # child: write half, then die without any cleanup
        def write(f, data):
            f.write(data[:10])
            f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        try:
            atomic_write(b'x' * 100, target, write=write)
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    left = os.listdir(tmp_path)
    assert not target.exists()
    assert len(left) == 1 and is_atomic_temp_file(left[0]), left
    assert left[0].startswith('.epoch_2.pth.')


def test_atomic_write_replaces_and_uses_normal_permissions(tmp_path):
    target = tmp_path / 'sub' / 'f.txt'
    with plugin_io():
        get_file_backend(str(target)).put_text('one', target)
        get_file_backend(str(target)).put(b'two', target)
    assert target.read_bytes() == b'two'
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_mmengine_save_checkpoint_is_atomic(tmp_path, monkeypatch):
    path = str(tmp_path / 'epoch_1.pth')
    with plugin_io():
        save_checkpoint({'state_dict': {'w': torch.ones(3)}}, path)
    assert is_complete_checkpoint(path)
    monkeypatch.setattr(AtomicLocalBackend, 'write_stream',
                        lambda self, f, data: half_then_die(f, data))
    with pytest.raises(_Killed), plugin_io():
        save_checkpoint({'state_dict': {'w': torch.zeros(3)}}, path)
    assert torch.equal(torch.load(path)['state_dict']['w'], torch.ones(3))


def test_complete_checkpoint_check(tmp_path):
    path = tmp_path / 'epoch_1.pth'
    torch.save({'w': torch.ones(1000)}, path)
    assert is_complete_checkpoint(str(path))
    data = path.read_bytes()
    truncated = tmp_path / 'epoch_2.pth'
    truncated.write_bytes(data[:len(data) - 30])
    assert not is_complete_checkpoint(str(truncated))
    assert not is_complete_checkpoint(str(tmp_path / 'missing.pth'))
    (tmp_path / 'text.pth').write_text('not a checkpoint')
    assert not is_complete_checkpoint(str(tmp_path / 'text.pth'))


# --------------------------------------------------------------------------
# CheckpointRecoveryHook
# --------------------------------------------------------------------------


def fake_runner(work_dir, resume=True, load_from=None):
    logger = MMLogger.get_instance(f'recovery_{uuid.uuid4().hex}')
    capture = WarningCapture()
    logger.addHandler(capture)
    runner = types.SimpleNamespace(
        work_dir=str(work_dir), _resume=resume, _load_from=load_from,
        hooks=[CheckpointHook(interval=1)], logger=logger,
        message_hub=MessageHub.get_instance(f'recovery_{uuid.uuid4().hex}'))
    runner.warnings = capture.messages
    return runner


def checkpoint(path, epoch):
    torch.save({'meta': {'epoch': epoch}}, path)
    return str(path)


def record(work_dir, text):
    (work_dir / 'last_checkpoint').write_text(text)


def recorded(work_dir):
    return (work_dir / 'last_checkpoint').read_text()


def test_valid_record_is_kept(tmp_path):
    checkpoint(tmp_path / 'epoch_1.pth', 1)
    checkpoint(tmp_path / 'epoch_2.pth', 2)
    record(tmp_path, str(tmp_path / 'epoch_1.pth'))  # mmengine's choice stands
    runner = fake_runner(tmp_path)
    CheckpointRecoveryHook().before_run(runner)
    assert recorded(tmp_path) == str(tmp_path / 'epoch_1.pth')
    assert runner.warnings == []


@pytest.mark.parametrize('content', ['', '/tmp/wor'])
def test_truncated_record_resumes_from_newest_complete(tmp_path, content):
    """Killed while mmengine rewrote ``last_checkpoint`` in place."""
    checkpoint(tmp_path / 'epoch_1.pth', 1)
    checkpoint(tmp_path / 'epoch_2.pth', 2)
    (tmp_path / 'epoch_3.pth').write_bytes(b'PK\x03\x04 partial')  # non-atomic leftover
    record(tmp_path, content)
    runner = fake_runner(tmp_path)
    CheckpointRecoveryHook().before_run(runner)
    assert recorded(tmp_path) == str(tmp_path / 'epoch_2.pth')
    assert len(runner.warnings) == 1 and 'epoch_2.pth' in runner.warnings[0]


def test_removed_checkpoint_is_restored_from_protected_link(tmp_path):
    """max_keep_ckpts=1: epoch_1.pth removed before epoch_2.pth was written,
    kill during that write."""
    kept = checkpoint(tmp_path / '.epoch_1.pth.resume', 1)
    (tmp_path / '.epoch_2.pth.abc123.tmp').write_bytes(b'PK partial')
    record(tmp_path, str(tmp_path / 'epoch_1.pth'))
    runner = fake_runner(tmp_path)
    CheckpointRecoveryHook().before_run(runner)
    assert recorded(tmp_path) == str(tmp_path / 'epoch_1.pth')
    assert is_complete_checkpoint(str(tmp_path / 'epoch_1.pth'))
    assert torch.load(tmp_path / 'epoch_1.pth')['meta']['epoch'] == 1
    assert sorted(os.listdir(tmp_path)) == ['epoch_1.pth', 'last_checkpoint']
    assert not os.path.exists(kept)
    assert 'missing or incomplete' in runner.warnings[0]


def test_newer_complete_checkpoint_wins_over_protected_link(tmp_path):
    """Killed after epoch_2.pth was complete but before last_checkpoint."""
    checkpoint(tmp_path / '.epoch_1.pth.resume', 1)
    checkpoint(tmp_path / 'epoch_2.pth', 2)
    record(tmp_path, str(tmp_path / 'epoch_1.pth'))
    CheckpointRecoveryHook().before_run(fake_runner(tmp_path))
    assert recorded(tmp_path) == str(tmp_path / 'epoch_2.pth')


def test_no_complete_checkpoint_is_a_clear_error(tmp_path):
    (tmp_path / 'epoch_1.pth').write_bytes(b'PK\x03\x04 partial')
    record(tmp_path, str(tmp_path / 'epoch_1.pth'))
    with pytest.raises(RuntimeError) as err:
        CheckpointRecoveryHook().before_run(fake_runner(tmp_path))
    msg = str(err.value)
    assert 'Cannot resume' in msg and 'epoch_1.pth' in msg
    assert 'without --resume' in msg and '--resume PATH' in msg


def test_only_automatic_resume_is_repaired(tmp_path):
    record(tmp_path, '')
    for runner in (fake_runner(tmp_path, resume=False),
                   fake_runner(tmp_path, load_from='/some/ckpt.pth')):
        CheckpointRecoveryHook().before_run(runner)
        assert recorded(tmp_path) == ''
    # nothing was ever saved: mmengine starts from scratch
    (tmp_path / 'last_checkpoint').unlink()
    CheckpointRecoveryHook().before_run(fake_runner(tmp_path))
    assert not (tmp_path / 'last_checkpoint').exists()


def test_temporary_files_are_removed(tmp_path):
    (tmp_path / '.epoch_3.pth.k2j4h5.tmp').write_bytes(b'partial')
    (tmp_path / 'notes.tmp').write_text('user file')  # not ours: kept
    CheckpointRecoveryHook().before_run(fake_runner(tmp_path, resume=False))
    assert sorted(os.listdir(tmp_path)) == ['notes.tmp']


def test_protection_follows_the_latest_checkpoint(tmp_path):
    runner = fake_runner(tmp_path)
    hook = CheckpointRecoveryHook()
    first = checkpoint(tmp_path / 'epoch_1.pth', 1)
    runner.message_hub.update_info('last_ckpt', first)
    hook.after_train_epoch(runner)
    link = tmp_path / '.epoch_1.pth.resume'
    assert os.path.samefile(link, first)
    # mmengine removes epoch_1 before saving epoch_2 (max_keep_ckpts=1)
    os.remove(first)
    assert torch.load(link)['meta']['epoch'] == 1  # data still reachable
    second = checkpoint(tmp_path / 'epoch_2.pth', 2)
    runner.message_hub.update_info('last_ckpt', second)
    hook.after_train_epoch(runner)
    assert sorted(os.listdir(tmp_path)) == ['.epoch_2.pth.resume', 'epoch_2.pth']
    # the same name re-saved (after a new best): the link follows the new file
    os.replace(checkpoint(tmp_path / 'new.pth', 22), second)
    hook.after_val_epoch(runner, {})
    assert torch.load(tmp_path / '.epoch_2.pth.resume')['meta']['epoch'] == 22
    hook.after_train(runner)
    assert os.listdir(tmp_path) == ['epoch_2.pth']


def test_protecting_an_already_protected_checkpoint_leaves_nothing(tmp_path):
    """After --resume the protected link and the checkpoint are one file:
    ``os.replace`` between two links of one file is a no-op, which left
    ``.epoch_1.pth.resume.<pid>.new`` (a full checkpoint) behind."""
    first = checkpoint(tmp_path / 'epoch_1.pth', 1)
    os.link(first, tmp_path / '.epoch_1.pth.resume')  # left by the killed run
    runner = fake_runner(tmp_path)
    runner.message_hub.update_info('last_ckpt', first)
    hook = CheckpointRecoveryHook()  # the resumed process
    hook.before_train(runner)
    hook.after_train_iter(runner, 0)
    assert sorted(os.listdir(tmp_path)) == ['.epoch_1.pth.resume', 'epoch_1.pth']
    assert os.path.samefile(tmp_path / '.epoch_1.pth.resume', first)


def test_half_made_links_of_dead_processes_are_removed(tmp_path):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)  # ``pid`` is now a dead process
    checkpoint(tmp_path / 'epoch_2.pth', 2)
    os.link(tmp_path / 'epoch_2.pth', tmp_path / f'.epoch_2.pth.resume.{pid}.new')
    os.link(tmp_path / 'epoch_2.pth', tmp_path / f'.epoch_1.pth.resume.{os.getpid()}.new')
    alive = f'.epoch_2.pth.resume.{os.getppid()}.new'  # another live process's
    os.link(tmp_path / 'epoch_2.pth', tmp_path / alive)
    CheckpointRecoveryHook().before_run(fake_runner(tmp_path, resume=False))
    assert sorted(os.listdir(tmp_path)) == [alive, 'epoch_2.pth']
