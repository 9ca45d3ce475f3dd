"""Importing the plugin leaves MMEngine as it is; safe checkpoint loading and
atomic saves apply to the plugin's runs only (``plugin_io``)."""
import json
import os.path as osp
import subprocess
import sys
import uuid

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.fileio import LocalBackend, get_file_backend
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.registry import RUNNERS
from mmengine.runner import Runner
from mmengine.runner.checkpoint import CheckpointLoader, load_from_local

from projects.hicropl.engine import (AtomicLocalBackend, HiCroPLRunner,
                                     plugin_io, plugin_io_active)
from projects.hicropl.engine.checkpoint_loader import load_from_local_safe

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# What MMEngine and torch use, printed before and after importing the plugin
# (and the tools' import_plugin) in a fresh interpreter.
_PROBE = '''
import json, sys
sys.path.insert(0, {repo!r})
import torch, mmengine.runner, mmengine.fileio
from mmengine.runner.checkpoint import CheckpointLoader
from mmengine.fileio.backends import registry_utils as r

def state():
    return dict(
        loader=repr(CheckpointLoader._schemes.get('')),
        local=repr(r.backends.get('local')),
        prefix=repr(r.prefix_to_backends.get('')),
        safe_globals=sorted(map(repr, torch.serialization.get_safe_globals())))

before = state()
import projects.hicropl, projects.hicropl.engine
print(json.dumps([before, state()]))
'''


def test_import_changes_nothing_in_mmengine_or_torch():
    proc = subprocess.run(
        [sys.executable, '-c', _PROBE.format(repo=REPO)],
        capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    before, after = json.loads(proc.stdout.strip().splitlines()[-1])
    assert 'load_from_local' in before['loader']
    # torch's own lazily imported modules may allow-list their classes
    added = set(after.pop('safe_globals')) - set(before.pop('safe_globals'))
    assert [g for g in added if 'torch.' not in g] == []
    assert after == before


class _Toy(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)

    def forward(self, inputs, labels=None, mode='tensor'):
        out = self.fc(inputs)
        if mode == 'loss':
            return dict(loss=nn.functional.cross_entropy(out, labels))
        return out


class _Data(torch.utils.data.Dataset):
    metainfo = dict(classes=('a', 'b'))

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return dict(inputs=torch.full((2, ), float(i)), labels=i % 2)


class _RecordIO(Hook):
    """What mmengine would load and save with, seen from inside the run."""

    def __init__(self):
        self.seen = []

    def before_run(self, runner):
        self.seen.append((plugin_io_active(),
                          type(get_file_backend(runner.work_dir)),
                          CheckpointLoader._schemes['']))


def _runner(runner_cls, work_dir, hook, **cfg):
    return runner_cls(
        model=_Toy(),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=_Data(), sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2, num_workers=0, collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)),
        custom_hooks=[hook],
        default_scope='mmpretrain',
        log_level='WARNING',
        experiment_name=f'scope_{uuid.uuid4().hex}',
        # the toy model has no classes to set
        cfg=dict(hicropl_disabled_hooks=['ClassNamesHook'], **cfg))


def test_plain_mmengine_run_keeps_mmengine_io(tmp_path):
    hook = _RecordIO()
    _runner(Runner, tmp_path / 'plain', hook).train()
    assert hook.seen == [(False, LocalBackend, load_from_local)]


def test_plugin_run_loads_safely_and_saves_atomically_then_restores(tmp_path):
    hook = _RecordIO()
    runner = _runner(HiCroPLRunner, tmp_path / 'ours', hook)
    runner.train()
    assert hook.seen == [(True, AtomicLocalBackend, load_from_local_safe)]
    assert not plugin_io_active()
    assert CheckpointLoader._schemes[''] is load_from_local
    assert type(get_file_backend(str(tmp_path))) is LocalBackend


def test_restored_after_an_error(tmp_path):

    class _Fail(Hook):

        def before_train(self, runner):
            raise KeyError('boom')

    runner = _runner(HiCroPLRunner, tmp_path / 'fail', _Fail())
    with pytest.raises(KeyError):
        runner.train()
    assert not plugin_io_active()
    assert CheckpointLoader._schemes[''] is load_from_local


def test_nested_scopes_restore_the_outer_state():
    with plugin_io():
        with plugin_io():
            assert plugin_io_active()
        assert plugin_io_active()
    assert not plugin_io_active()


def test_default_runtime_selects_the_plugin_runner():
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'default_runtime.py'))
    assert cfg.runner_type == 'HiCroPLRunner'
    assert RUNNERS.get(cfg.runner_type) is HiCroPLRunner


def test_plugin_checkpoints_load_anywhere_and_resume(tmp_path):
    """The plugin's checkpoints hold plain data: MMEngine/MMPretrain code
    outside the plugin's runs reads them with ``torch.load``'s
    ``weights_only=True`` default, without any allow-list."""
    work_dir = tmp_path / 'ours'
    first = _runner(HiCroPLRunner, work_dir, _RecordIO())
    first.train()
    path = str(work_dir / 'epoch_1.pth')
    assert torch.serialization.get_unsafe_globals_in_checkpoint(path) == []
    saved = torch.load(path, map_location='cpu', weights_only=True)
    loss = saved['message_hub']['log_scalars']['train/loss']
    assert loss['log_history'].dtype == torch.float64

    resumed = _runner(HiCroPLRunner, work_dir, _RecordIO())
    resumed._resume, resumed._load_from = True, path
    with plugin_io():
        resumed.load_or_resume()
    restored = resumed.message_hub.log_scalars['train/loss']
    expected = first.message_hub.log_scalars['train/loss']
    assert type(restored) is type(expected)
    for got, want in zip(restored.data, expected.data):
        assert np.array_equal(got, want) and got.dtype == want.dtype
    assert restored.max_length == expected.max_length


def test_no_unused_file_client_in_plugin_runs(tmp_path):
    """MMEngine's save_checkpoint builds a FileClient it does not use (two
    deprecation warnings per run); in the plugin's runs it is built only
    when file_client_args are given, and MMEngine's is restored after."""
    from mmengine.fileio import FileClient
    from mmengine.hooks import checkpoint_hook
    from mmengine.logging import MMLogger
    from mmengine.runner import checkpoint
    messages = []

    class Capture:
        level = 0

        def handle(self, record):
            messages.append(record.getMessage())

    logger = MMLogger.get_current_instance()
    handler = Capture()
    logger.handlers.append(handler)
    try:
        with plugin_io():
            checkpoint.save_checkpoint({'w': torch.ones(2)}, str(tmp_path / 'a.pth'))
            assert not any('FileClient' in m for m in messages)
            with_args = checkpoint_hook.FileClient.infer_client(dict(backend='disk'))
        assert isinstance(with_args, FileClient)  # asked for: built as before
        messages.clear()
        checkpoint.save_checkpoint({'w': torch.ones(2)}, str(tmp_path / 'b.pth'))
        assert any('"FileClient" will be deprecated' in m for m in messages)
    finally:
        logger.handlers.remove(handler)
    assert checkpoint.FileClient is FileClient and checkpoint_hook.FileClient is FileClient


def test_config_text_formatted_once_per_run(tmp_path, monkeypatch):
    """Every checkpoint stores the config text; yapf formats it once."""
    import mmengine.config.config as mmengine_config
    calls = []
    format_code = mmengine_config.FormatCode
    monkeypatch.setattr(mmengine_config, 'FormatCode',
                        lambda *a, **k: calls.append(1) or format_code(*a, **k))
    runner = _runner(HiCroPLRunner, tmp_path, _RecordIO(), max_epochs=3)
    runner.train_loop._max_epochs = 3
    runner.train()
    assert len(calls) == 1
    texts = {torch.load(tmp_path / f'epoch_{e}.pth', weights_only=False)
             ['meta']['cfg'] for e in (1, 2, 3)}
    assert texts == {mmengine_config.Config(runner.cfg.to_dict()).pretty_text}


class _Count(BaseMetric):

    def process(self, data_batch, data_samples):
        self.results.append(len(data_samples))

    def compute_metrics(self, results):
        return dict(count=sum(results))


def test_test_only_config_tests_with_its_schedule(tmp_path):
    """A method's config on a test-only dataset keeps its schedule's train
    loop and optimizer; MMEngine refuses them without a train dataloader,
    the plugin's runner drops them and tests."""
    kwargs = dict(
        model=_Toy(), work_dir=str(tmp_path),
        test_dataloader=dict(
            dataset=_Data(), sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=2, num_workers=0, collate_fn=dict(type='default_collate')),
        test_cfg=dict(), test_evaluator=[_Count()],
        train_cfg=dict(by_epoch=True, max_epochs=5),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        param_scheduler=dict(type='ConstantLR'),
        val_cfg=dict(), val_evaluator=[_Count()],
        default_scope='mmpretrain', log_level='WARNING')
    with pytest.raises(ValueError, match='train_dataloader'):
        Runner(**kwargs, experiment_name=f'plain_{uuid.uuid4().hex}')
    runner = HiCroPLRunner(
        **kwargs, experiment_name=f'ours_{uuid.uuid4().hex}',
        cfg=dict(hicropl_disabled_hooks=['ClassNamesHook']))
    assert runner._train_loop is None
    assert runner.optim_wrapper is None and runner._val_loop is None
    assert runner.test() == dict(count=len(_Data()))
