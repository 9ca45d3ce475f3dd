"""Safe resume of mmengine checkpoints on torch >= 2.6 (weights_only=True).

* mmengine's own checkpoints resume through ``Runner`` inside the plugin's
  runs (``plugin_io``: safe loader with the allow-list of
  ``projects.hicropl.engine``) and fail without it;
* an interrupted-then-resumed run ends bit-identical to an uninterrupted one;
* malicious pickles are refused by ``safe_torch_load`` and by mmengine's
  ``load_checkpoint`` / resume path, and their payload never runs.
"""
import os
import pickle
import random
import shutil
import uuid

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.model import BaseModel
from mmengine.runner import Runner
from mmengine.runner.checkpoint import load_checkpoint
from mmpretrain.registry import DATASETS, METRICS, MODELS
from torch.utils.data import Dataset

from projects.hicropl.engine import (SAFE_GLOBAL_NAMES, UnsafeCheckpointError,
                                     plugin_io, register_safe_globals,
                                     safe_torch_load)
from projects.hicropl.engine.safe_load import (_history_buffer_getattr,
                                               safe_globals_scope)

TOY_DATASET = 'HiCroPLSafeLoadToyDataset'
TOY_MODEL = 'HiCroPLSafeLoadToyModel'
TOY_METRIC = 'HiCroPLSafeLoadToyMetric'


class ToyDataset(Dataset):
    """Linearly separable points; ``seed`` mimics the few-shot datasets."""

    METAINFO = dict(classes=('neg', 'pos'))

    def __init__(self, num_samples=24, seed=0):
        gen = torch.Generator().manual_seed(seed)
        self.inputs = torch.randn(num_samples, 4, generator=gen)
        self.labels = (self.inputs.sum(1) > 0).long()

    @property
    def metainfo(self):
        return dict(self.METAINFO)

    def __len__(self):
        return len(self.inputs)

    def __getitem__(self, idx):
        return dict(inputs=self.inputs[idx], labels=self.labels[idx])


class ToyModel(BaseModel):
    """Linear + BatchNorm (so buffers are compared too); no dropout."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
        self.bn = nn.BatchNorm1d(2)

    def forward(self, inputs, labels=None, mode='tensor'):
        logits = self.bn(self.fc(inputs))
        if mode == 'loss':
            return dict(loss=nn.functional.cross_entropy(logits, labels))
        if mode == 'predict':
            return [
                dict(pred=p, gt=g) for p, g in zip(logits.argmax(1), labels)
            ]
        return logits


class ToyMetric(BaseMetric):
    """Returns a numpy scalar like many real metrics do."""

    def process(self, data_batch, data_samples):
        self.results.extend(int(s['pred'] == s['gt']) for s in data_samples)

    def compute_metrics(self, results):
        return dict(acc=np.float64(np.mean(results)))


DATASETS.register_module(name=TOY_DATASET, module=ToyDataset, force=True)
MODELS.register_module(name=TOY_MODEL, module=ToyModel, force=True)
METRICS.register_module(name=TOY_METRIC, module=ToyMetric, force=True)


class _Interrupted(Exception):
    pass


class InterruptAfterEpoch(Hook):
    """Simulates a crash after the checkpoint of ``epoch`` was written."""
    priority = 'LOWEST'  # after CheckpointHook (VERY_LOW)

    def __init__(self, epoch):
        self.epoch = epoch

    def after_train_epoch(self, runner):
        if runner.epoch + 1 == self.epoch:
            raise _Interrupted(f'interrupted after epoch {self.epoch}')


class RecordEpochs(Hook):

    def __init__(self):
        self.epochs = []

    def before_train_epoch(self, runner):
        self.epochs.append(runner.epoch)


def make_runner(work_dir, *, resume=False, load_from=None, sampler_seed=0,
                custom_hooks=()):
    loader = dict(
        dataset=dict(type=TOY_DATASET, num_samples=24, seed=0),
        sampler=dict(type='DefaultSampler', shuffle=True, seed=sampler_seed),
        batch_size=4,
        num_workers=0,
        collate_fn=dict(type='default_collate'))
    val_loader = dict(
        loader, sampler=dict(type='DefaultSampler', shuffle=False))
    return Runner(
        model=dict(type=TOY_MODEL),
        work_dir=str(work_dir),
        train_dataloader=loader,
        val_dataloader=val_loader,
        val_evaluator=dict(type=TOY_METRIC),
        val_cfg=dict(),
        train_cfg=dict(by_epoch=True, max_epochs=4, val_interval=1),
        optim_wrapper=dict(
            optimizer=dict(type='SGD', lr=0.2, momentum=0.9,
                           weight_decay=1e-4)),
        param_scheduler=dict(
            type='MultiStepLR', by_epoch=True, milestones=[1, 3], gamma=0.5),
        default_hooks=dict(
            checkpoint=dict(
                type='CheckpointHook', interval=1, save_best='acc',
                rule='greater'),
            logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=list(custom_hooks),
        randomness=dict(seed=0, deterministic=True),
        resume=resume,
        load_from=load_from,
        default_scope='mmpretrain',
        log_level='WARNING',
        # unique: mmengine shares MessageHub/logger instances by this name
        experiment_name=f'safe_load_{uuid.uuid4().hex}')


@pytest.fixture(autouse=True, scope='module')
def _restore_global_state():
    """``deterministic=True`` and seeding change process-wide state."""
    det = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    cudnn = (torch.backends.cudnn.deterministic,
             torch.backends.cudnn.benchmark)
    rng = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    yield
    torch.use_deterministic_algorithms(det, warn_only=warn_only)
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn
    random.setstate(rng[0])
    np.random.set_state(rng[1])
    torch.set_rng_state(rng[2])


def _state(runner):
    state = runner.model.state_dict()
    return {k: v.detach().clone() for k, v in state.items()}


@pytest.fixture(scope='module')
def interrupted_run(tmp_path_factory):
    """A 4-epoch run that crashes right after saving epoch_2.pth."""
    work_dir = tmp_path_factory.mktemp('interrupted')
    runner = make_runner(work_dir, custom_hooks=[InterruptAfterEpoch(2)])
    with pytest.raises(_Interrupted):
        runner.train()
    assert (work_dir / 'epoch_2.pth').is_file()
    assert not (work_dir / 'epoch_3.pth').exists()
    return work_dir


def _without_allow_list():
    """Context manager: run without user safe globals (as MMEngine does
    outside the plugin's runs), then restore them."""

    class _Ctx:

        def __enter__(self):
            self.saved = torch.serialization.get_safe_globals()
            torch.serialization.clear_safe_globals()

        def __exit__(self, *exc):
            torch.serialization.clear_safe_globals()
            torch.serialization.add_safe_globals(self.saved)
            return False

    return _Ctx()


# --------------------------------------------------------------------------
# allow-list
# --------------------------------------------------------------------------


def test_allow_list_covers_mmengine_checkpoint(interrupted_run):
    ckpt = interrupted_run / 'epoch_2.pth'
    with _without_allow_list():
        needed = set(
            torch.serialization.get_unsafe_globals_in_checkpoint(str(ckpt)))
    # What mmengine 0.10.7 puts in a checkpoint besides tensors/containers.
    assert 'mmengine.logging.history_buffer.HistoryBuffer' in needed
    assert needed <= set(SAFE_GLOBAL_NAMES), needed - set(SAFE_GLOBAL_NAMES)
    with safe_globals_scope():  # what safe_torch_load adds for its call
        assert torch.serialization.get_unsafe_globals_in_checkpoint(
            str(ckpt)) == []
    # ... and only for its call
    assert torch.serialization.get_unsafe_globals_in_checkpoint(str(ckpt))
    ckpt_dict = safe_torch_load(ckpt)
    assert ckpt_dict['meta']['epoch'] == 2
    buf = ckpt_dict['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    assert np.isfinite(buf.mean())  # statistics methods restored


def test_register_safe_globals_is_idempotent():
    with _without_allow_list():  # process-wide: restored afterwards
        register_safe_globals()
        before = set(map(repr, torch.serialization.get_safe_globals()))
        register_safe_globals()
        register_safe_globals()
        after = set(map(repr, torch.serialization.get_safe_globals()))
    assert before == after
    assert len(SAFE_GLOBAL_NAMES) == len(set(SAFE_GLOBAL_NAMES))


def test_restricted_getattr_only_resolves_history_buffer_methods():
    resolved = _history_buffer_getattr(HistoryBuffer, 'mean')
    assert resolved is HistoryBuffer.mean
    with pytest.raises(pickle.UnpicklingError):
        _history_buffer_getattr(HistoryBuffer, '__init__')
    with pytest.raises(pickle.UnpicklingError):
        _history_buffer_getattr(np.zeros(1), 'tofile')
    assert 'builtins.getattr' in SAFE_GLOBAL_NAMES
    # the real getattr is never allow-listed
    assert getattr not in torch.serialization.get_safe_globals()


def test_resume_fails_without_allow_list(interrupted_run, tmp_path):
    """What mmengine 0.10.7 does on torch >= 2.6 outside the plugin's runs
    (importing the plugin changes nothing): its own local loader (plain
    ``torch.load``) and no allow-list."""
    work_dir = tmp_path / 'resume'
    shutil.copytree(interrupted_run, work_dir)
    with _without_allow_list():
        with pytest.raises(pickle.UnpicklingError,
                           match='HistoryBuffer|getattr|numpy'):
            torch.load(work_dir / 'epoch_2.pth', map_location='cpu')
        runner = make_runner(work_dir, resume=True)
        with pytest.raises(pickle.UnpicklingError):
            runner.train()


# --------------------------------------------------------------------------
# resume == uninterrupted
# --------------------------------------------------------------------------


def test_resume_matches_uninterrupted_run(interrupted_run, tmp_path):
    # uninterrupted 4 epochs
    straight = make_runner(tmp_path / 'straight')
    straight.train()
    expected = _state(straight)

    # NEW runner, auto-resume (latest checkpoint of the work dir) up to 4
    work_dir = tmp_path / 'resumed'
    shutil.copytree(interrupted_run, work_dir)
    epochs = RecordEpochs()
    resumed = make_runner(work_dir, resume=True, custom_hooks=[epochs])
    with plugin_io():
        resumed.train()
    assert epochs.epochs == [2, 3]  # only the missing epochs were trained
    assert resumed.epoch == 4 and resumed.iter == straight.iter == 24
    got = _state(resumed)

    assert expected.keys() == got.keys()
    for key in expected:
        assert torch.equal(expected[key], got[key]), key

    # the comparison is sensitive to the data order: another sampler seed
    # (same init, same hyper-parameters) ends elsewhere
    other = make_runner(tmp_path / 'other_order', sampler_seed=1)
    other.train()
    assert not all(
        torch.equal(v, _state(other)[k]) for k, v in expected.items())


# --------------------------------------------------------------------------
# malicious pickles
# --------------------------------------------------------------------------


class OsSystemPayload:
    """Classic pickle RCE: ``os.system`` at load time."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}', ))


class GetattrGadgetPayload:
    """Only uses globals that *are* allow-listed (numpy arrays) plus
    ``builtins.getattr``: ``getattr(array, 'tofile')(marker)`` writes a file.
    Allow-listing the real ``getattr`` would make this succeed."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (np.zeros(1).tofile, (self.marker, ))


PAYLOADS = [OsSystemPayload, GetattrGadgetPayload]


def _malicious_checkpoint(path, payload):
    """Looks like an mmengine checkpoint; the payload hides in message_hub."""
    state = ToyModel().state_dict()
    torch.save(
        dict(
            meta=dict(epoch=1, iter=6),
            state_dict=state,
            message_hub=dict(log_scalars={}, runtime_info=payload),
        ), path)


def test_gadget_payload_is_live(tmp_path):
    """Control: an unrestricted unpickler does run the getattr gadget, so
    the refusals below are meaningful."""
    marker = tmp_path / 'control_marker'
    pickle.loads(pickle.dumps(GetattrGadgetPayload(marker), protocol=2))
    assert marker.exists()


@pytest.mark.parametrize('payload_cls', PAYLOADS)
def test_safe_torch_load_refuses_malicious_pickle(tmp_path, payload_cls):
    marker = tmp_path / 'pwned'
    ckpt = tmp_path / 'evil.pth'
    _malicious_checkpoint(ckpt, payload_cls(marker))
    with pytest.raises(UnsafeCheckpointError) as excinfo:
        safe_torch_load(ckpt)
    msg = str(excinfo.value)
    assert str(ckpt) in msg
    assert 'disallowed' in msg and 'refused for safety' in msg
    assert isinstance(excinfo.value, pickle.UnpicklingError)
    assert not marker.exists()


@pytest.mark.parametrize('payload_cls', PAYLOADS)
def test_mmengine_load_checkpoint_refuses_malicious_pickle(
        tmp_path, payload_cls):
    marker = tmp_path / 'pwned'
    ckpt = tmp_path / 'evil.pth'
    _malicious_checkpoint(ckpt, payload_cls(marker))
    with pytest.raises(UnsafeCheckpointError), plugin_io():
        load_checkpoint(ToyModel(), str(ckpt), map_location='cpu')
    assert not marker.exists()


@pytest.mark.parametrize('payload_cls', PAYLOADS)
def test_runner_resume_refuses_malicious_pickle(tmp_path, payload_cls):
    marker = tmp_path / 'pwned'
    ckpt = tmp_path / 'evil.pth'
    _malicious_checkpoint(ckpt, payload_cls(marker))
    runner = make_runner(tmp_path / 'work', resume=True, load_from=str(ckpt))
    with pytest.raises(UnsafeCheckpointError), plugin_io():
        runner.train()
    assert not marker.exists()
