"""Errors in the user's inputs: one message from the tools, no traceback,
nothing left in the work dir (``projects/hicropl/utils/cli.py``)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from projects.hicropl.errors import ConfigError, DataError, UserError
from projects.hicropl.utils.cli import (discard_run_on_user_error,
                                        find_user_error, run_main,
                                        user_message)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO = REPO_ROOT / 'configs' / 'hicropl' / 'hicropl_demo.py'


def _mmengine_style_reraise(error):
    """What MMEngine's lazy import / registry does: ``type(e)(prefix + e)``
    raised while handling ``e``."""
    try:
        raise error
    except Exception as e:
        raise type(e)(f'class `CoOpDataset` in datasets/coop.py: {e}')


def _main_raising(error):
    def main(argv):
        assert '--debug' not in argv  # taken out by run_main
        raise error
    return main


def test_user_error_is_one_message_and_status_1(capsys, monkeypatch):
    monkeypatch.delenv('HICROPL_DEBUG', raising=False)
    with pytest.raises(SystemExit) as exit_info:
        run_main(_main_raising(ConfigError('bad lr: set a positive lr')), [])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith('error: bad lr: set a positive lr\n')
    assert 'Traceback' not in err and '--debug' in err


@pytest.mark.parametrize('how', ['flag', 'env'])
def test_debug_shows_the_traceback(how, monkeypatch):
    argv = ['--debug'] if how == 'flag' else []
    if how == 'env':
        monkeypatch.setenv('HICROPL_DEBUG', '1')
    else:
        monkeypatch.delenv('HICROPL_DEBUG', raising=False)
    with pytest.raises(DataError, match='broken split'):
        run_main(_main_raising(DataError('broken split')), argv)


def test_other_errors_keep_their_traceback(monkeypatch):
    monkeypatch.delenv('HICROPL_DEBUG', raising=False)
    with pytest.raises(KeyError):
        run_main(_main_raising(KeyError('bug')), [])


def test_returns_what_main_returns():
    assert run_main(lambda argv: argv, ['a', '--debug', 'b']) == ['a', 'b']


def test_reraised_and_chained_user_errors_are_unwrapped():
    with pytest.raises(DataError) as info:
        _mmengine_style_reraise(DataError('split.json: label 3 missing'))
    assert find_user_error(info.value) is info.value
    assert user_message(info.value) == 'split.json: label 3 missing'

    # raised from (or while handling) a user error by other code
    try:
        try:
            raise ConfigError('num_shots must be >= 1')
        except ConfigError as e:
            raise RuntimeError('while building the dataloader') from e
    except RuntimeError as e:
        outer = e
    assert isinstance(find_user_error(outer), ConfigError)
    assert find_user_error(RuntimeError('a bug')) is None


def test_dataloader_worker_message_is_unwrapped():
    # torch's ExceptionWrapper.reraise: type(e)("Caught ... Original
    # Traceback ...\n<module>.<Name>: <message>")
    wrapped = DataError(
        'Caught DataError in DataLoader worker process 0.\n'
        'Original Traceback (most recent call last):\n'
        '  File "x.py", line 1, in f\n'
        'projects.hicropl.errors.DataError: img.jpg cannot be decoded: '
        'remove it from the split\n')
    assert user_message(wrapped) == \
        'img.jpg cannot be decoded: remove it from the split'


def test_user_errors_accept_one_message():
    # MMEngine re-raises as type(e)(message)
    for cls in (UserError, ConfigError, DataError):
        assert str(cls('m')) == 'm'


# --------------------------------------------------------------------------
# nothing left behind
# --------------------------------------------------------------------------


def test_discard_removes_what_the_run_created(tmp_path):
    work = tmp_path / 'work'
    work.mkdir()
    (work / 'old.log').write_text('from an earlier run')
    with pytest.raises(ConfigError):
        with discard_run_on_user_error(str(work)):
            (work / '20260101_000000').mkdir()
            (work / '20260101_000000' / 'x.log').write_text('new')
            (work / 'config.py').write_text('new')
            raise ConfigError('bad')
    assert sorted(os.listdir(work)) == ['old.log']

    fresh = tmp_path / 'fresh'
    with pytest.raises(ConfigError):
        with discard_run_on_user_error(str(fresh)):
            (fresh / '20260101_000000').mkdir(parents=True)
            raise ConfigError('bad')
    assert not fresh.exists()


def test_discard_keeps_runs_with_a_checkpoint_and_bugs(tmp_path):
    work = tmp_path / 'work'
    with pytest.raises(ConfigError):
        with discard_run_on_user_error(str(work)):
            work.mkdir()
            (work / 'epoch_1.pth').write_text('ckpt')
            raise ConfigError('non-finite loss')  # --resume needs it
    assert (work / 'epoch_1.pth').is_file()

    other = tmp_path / 'other'
    with pytest.raises(KeyError):
        with discard_run_on_user_error(str(other)):
            other.mkdir()
            raise KeyError('a bug: keep the evidence')
    assert other.is_dir()


# --------------------------------------------------------------------------
# through tools/train.py
# --------------------------------------------------------------------------


def _train(tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if k != 'HICROPL_DEBUG'}
    return subprocess.run(
        [sys.executable, str(REPO_ROOT / 'tools' / 'train.py'), str(DEMO),
         *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope='module')
def demo_data(tmp_path_factory):
    from projects.hicropl.datasets import prepare_demo_dataset
    root = tmp_path_factory.mktemp('demo') / 'hicropl_demo'
    return prepare_demo_dataset(str(root), num_classes=4, num_train=4,
                                num_val=2, num_test=2)


def _data_options(root):
    return [f'{loader}.dataset.data_root={root}'
            for loader in ('train_dataloader', 'val_dataloader',
                           'test_dataloader')] + [
        f'model.class_text.descriptions={root}/descriptions.json']


def test_train_bad_config_value(tmp_path, demo_data):
    """A bad value of the config: one message, status 1, no traceback, and
    the work dir (existing, with an earlier file) gets nothing new."""
    work = tmp_path / 'work'
    work.mkdir()
    (work / 'earlier.txt').write_text('keep me')
    bad = [
        '--work-dir', str(work), '--cfg-options', *_data_options(demo_data),
        'train_dataloader.dataset.subsample_classes=bogus'
    ]
    proc = _train(tmp_path, *bad)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert 'subsample_classes' in proc.stderr and 'bogus' in proc.stderr
    assert 'Traceback' not in proc.stderr + proc.stdout
    assert os.listdir(work) == ['earlier.txt']

    proc = _train(tmp_path, *bad, '--debug')
    assert proc.returncode != 0
    assert 'Traceback' in proc.stderr and 'bogus' in proc.stderr
    assert os.listdir(work) == ['earlier.txt']


def test_train_bad_data_path(tmp_path):
    """A mistyped demo data_root: no new dataset, no work dir, one message
    that names the fix."""
    work = tmp_path / 'work'
    typo = tmp_path / 'data' / 'hicropl_dmeo'
    proc = _train(tmp_path, '--work-dir', str(work), '--cfg-options',
                  *_data_options(typo))
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert str(typo) in proc.stderr and 'generate=True' in proc.stderr
    assert 'Traceback' not in proc.stderr + proc.stdout
    assert not typo.exists() and not work.exists()


def test_test_missing_checkpoint(tmp_path):
    """tools/test.py on a checkpoint that does not exist: one message
    before anything is built or written."""
    work = tmp_path / 'work'
    missing = tmp_path / 'work_dirs' / 'epoch_99.pth'
    env = {k: v for k, v in os.environ.items() if k != 'HICROPL_DEBUG'}
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / 'tools' / 'test.py'), str(DEMO),
         str(missing), '--work-dir', str(work)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert f'Checkpoint not found: {missing}' in proc.stderr
    assert 'last_checkpoint' in proc.stderr  # the fix
    assert 'Traceback' not in proc.stderr + proc.stdout
    assert not work.exists()


def test_train_test_only_config(tmp_path):
    """Training a test-only target (its dataset has no train split): one
    message naming what to run instead, before any data or work dir."""
    work = tmp_path / 'work'
    target = (REPO_ROOT / 'configs' / 'hicropl' / 'domain_generalization' /
              'imagenet_sketch.py')
    env = {k: v for k, v in os.environ.items() if k != 'HICROPL_DEBUG'}
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / 'tools' / 'train.py'), str(target),
         '--work-dir', str(work)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert 'no train_dataloader' in proc.stderr
    assert 'tools/test.py CONFIG CHECKPOINT' in proc.stderr
    assert 'Traceback' not in proc.stderr + proc.stdout
    assert not work.exists()
