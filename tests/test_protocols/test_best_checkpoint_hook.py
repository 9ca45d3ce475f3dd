"""BestCheckpointHook: the best validation checkpoint is kept, ties going to
the later epoch (the authors' rule), and recorded in work_dir/best_checkpoint."""
import os
import os.path as osp
import uuid

import pytest
import torch
import torch.nn as nn
from mmengine.evaluator import BaseMetric, Evaluator
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

import projects.hicropl  # noqa: F401
from projects.hicropl.engine import plugin_io
from projects.hicropl.engine.hooks import BestCheckpointHook
from projects.hicropl.engine.hooks.best_checkpoint_hook import (
    BEST_CHECKPOINT_FILE, read_checkpoint_pointer)
from mmpretrain.registry import HOOKS


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        if mode == 'loss':
            return dict(loss=(self.w - 1).pow(2).sum() + 0 * inputs.sum())
        return [dict(x=float(x)) for x in inputs]


class ToyDataset(Dataset):
    metainfo = dict(classes=('a', ))

    def __len__(self):
        return 4

    def __getitem__(self, idx):
        return dict(inputs=torch.tensor(float(idx)))


class ScriptedAccuracy(BaseMetric):
    """Returns the next scripted score at each validation."""
    default_prefix = 'accuracy'

    def __init__(self, scores):
        super().__init__()
        self.scores = list(scores)

    def process(self, data_batch, data_samples):
        self.results.append(len(data_samples))

    def compute_metrics(self, results):
        return dict(top1=self.scores.pop(0))


def train(work_dir, scores, hook_type, name):
    loader = dict(dataset=ToyDataset(), batch_size=2, num_workers=0,
                  sampler=dict(type='DefaultSampler', shuffle=False),
                  collate_fn=dict(type='default_collate'))
    runner = Runner(
        model=ToyModel(),
        work_dir=str(work_dir),
        # unique: mmengine shares MessageHub (best score) instances by name
        experiment_name=f'{name}_{uuid.uuid4().hex}',
        train_dataloader=loader,
        val_dataloader=loader,
        val_evaluator=Evaluator(ScriptedAccuracy(scores)),
        train_cfg=dict(by_epoch=True, max_epochs=len(scores), val_interval=1),
        val_cfg=dict(),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        default_hooks=dict(checkpoint=dict(
            type=hook_type, interval=1, max_keep_ckpts=1, save_best='auto')),
        default_scope='mmpretrain',
        log_level='WARNING')
    runner.train()
    return sorted(f for f in os.listdir(work_dir)
                  if f.startswith('best_') and f.endswith('.pth'))


def test_registered_subclass():
    assert HOOKS.get('BestCheckpointHook') is BestCheckpointHook


@pytest.mark.parametrize('scores, epoch', [
    ([50, 70, 70, 60], 3),     # tie: the later epoch wins
    ([50, 70, 80, 80], 4),     # tie at the end
    ([90, 70, 80, 85], 1),     # strict best stays
    ([60, 60, 60, 60], 4),     # all equal: the last epoch
])
def test_ties_go_to_the_later_epoch(tmp_path, scores, epoch):
    best = train(tmp_path, scores, 'BestCheckpointHook', f'best{epoch}')
    assert best == [f'best_accuracy_top1_epoch_{epoch}.pth']
    pointer = read_checkpoint_pointer(str(tmp_path), BEST_CHECKPOINT_FILE)
    assert pointer == osp.join(str(tmp_path), best[0])
    assert read_checkpoint_pointer(str(tmp_path), 'last_checkpoint').endswith(
        f'epoch_{len(scores)}.pth')


def test_mmengine_hook_keeps_the_earlier_epoch(tmp_path):
    """The rule this hook changes: MMEngine keeps epoch 2 of a 2/3 tie."""
    best = train(tmp_path, [50, 70, 70, 60], 'CheckpointHook', 'mmengine')
    assert best == ['best_accuracy_top1_epoch_2.pth']
    assert not osp.exists(osp.join(tmp_path, BEST_CHECKPOINT_FILE))


class KilledBeforeValidation(Exception):
    pass


class KillBeforeValidating:
    """Stands for a kill between the save of epoch ``epoch`` and the end of
    its validation."""

    def __init__(self, epoch):
        self.epoch = epoch

    def __call__(self, runner):
        if runner.epoch == self.epoch:
            raise KilledBeforeValidation


def run_toy(work_dir, scores, max_epochs, resume=False, kill_at=None,
            resume_validation=True):
    from mmengine.hooks import Hook
    hooks = [dict(type='ResumeValidationHook')] if resume_validation else []
    if kill_at is not None:
        hook = Hook()
        hook.before_val_epoch = KillBeforeValidating(kill_at)
        hooks.append(hook)
    loader = dict(dataset=ToyDataset(), batch_size=2, num_workers=0,
                  sampler=dict(type='DefaultSampler', shuffle=False),
                  collate_fn=dict(type='default_collate'))
    runner = Runner(
        model=ToyModel(), work_dir=str(work_dir),
        experiment_name=f'resume_{uuid.uuid4().hex}',
        train_dataloader=loader, val_dataloader=loader,
        val_evaluator=Evaluator(ScriptedAccuracy(scores)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs, val_interval=1),
        val_cfg=dict(),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        default_hooks=dict(checkpoint=dict(
            type='BestCheckpointHook', interval=1, save_best='auto')),
        custom_hooks=hooks, resume=resume, default_scope='mmpretrain',
        log_level='WARNING')
    with plugin_io():  # the plugin's safe loader reads mmengine checkpoints
        runner.train()
    return runner, sorted(f for f in os.listdir(work_dir)
                          if f.startswith('best_') and f.endswith('.pth'))


@pytest.mark.parametrize('resume_validation, best_epoch', [(True, 2),
                                                           (False, 3)])
def test_resume_validates_the_resumed_epoch_again(tmp_path, resume_validation,
                                                  best_epoch):
    """Scores 50, 80, 70: the uninterrupted run keeps epoch 2. Killed after
    saving epoch 2 but before validating it, then resumed: with
    ResumeValidationHook epoch 2 is validated again and stays the best;
    without it epoch 2 is never validated and epoch 3 (70 > 50) wins."""
    _, straight = run_toy(tmp_path / 'straight', [50, 80, 70], 3)
    assert straight == ['best_accuracy_top1_epoch_2.pth']
    work_dir = tmp_path / 'killed'
    with pytest.raises(KilledBeforeValidation):
        run_toy(work_dir, [50, 80], 3, kill_at=2)
    runner, best = run_toy(work_dir, [80, 70] if resume_validation else [70],
                           3, resume=True, resume_validation=resume_validation)
    assert runner.epoch == 3
    assert best == [f'best_accuracy_top1_epoch_{best_epoch}.pth']


def test_resume_after_the_last_epoch_still_validates_it(tmp_path):
    """Killed after saving the last epoch, before its validation: the
    resumed run trains nothing and logs the last epoch's metrics."""
    work_dir = tmp_path / 'killed'
    with pytest.raises(KilledBeforeValidation):
        run_toy(work_dir, [50, 80], 2, kill_at=2)
    runner, best = run_toy(work_dir, [60], 2, resume=True)
    assert runner.message_hub.get_scalar('val/accuracy/top1').current() == 60
    assert best == ['best_accuracy_top1_epoch_2.pth']
