"""kill -9 at a random training iteration, or during a checkpoint save, then
``tools/train.py --resume``: the run ends exactly as an uninterrupted one,
and nothing of the interruption is left in the work dir.

The killed run is a real ``tools/train.py`` process that receives SIGKILL
from the test. To kill it at a chosen point, its config (a dump of the same
tiny demo config) adds a test-only hook that holds after iteration K, or a
test-only file backend that holds half-way through writing ``epoch_E.pth``
(``kill_points.py``). The random choices are drawn from
``HICROPL_KILL_SEED`` (default: a fresh seed) and printed on failure.
"""
import os
import os.path as osp
import random
import signal
import subprocess
import sys
import time
import uuid

import pytest
import torch
from mmengine.config import Config

from projects.hicropl.engine import safe_torch_load
from projects.hicropl.engine.hooks.checkpoint_recovery_hook import \
    is_complete_checkpoint
from robustness_helpers import REPO, demo_root, load_tool, write_tiny_config

train_tool = load_tool('train')
pytestmark = pytest.mark.e2e

HERE = osp.dirname(osp.abspath(__file__))
EPOCHS = 3
ITERS_PER_EPOCH = 5  # 5 base classes x 4 shots / batch 4
SEED = int(os.environ.get('HICROPL_KILL_SEED', random.SystemRandom().randrange(2**31)))


def train_in_process(config, work_dir, *extra):
    return train_tool.main([
        config, '--work-dir', str(work_dir), '--no-pin-memory', *extra, '--cfg-options',
        f'experiment_name=kill_{uuid.uuid4().hex}'
    ])


def prompt_tensors(checkpoint):
    state = safe_torch_load(checkpoint)['state_dict']
    return {k: v for k, v in state.items() if k.startswith('prompt_learner.')}


def final_results(runner):
    val = runner.message_hub.get_scalar('val/accuracy/top1').current()
    return val, runner.test()


@pytest.fixture(scope='module')
def straight(tmp_path_factory):
    """The uninterrupted run."""
    folder = tmp_path_factory.mktemp('kill_resume')
    root = demo_root(folder)
    config = write_tiny_config(folder, root, epochs=EPOCHS)
    work_dir = folder / 'straight'
    runner = train_in_process(config, work_dir)
    return dict(
        folder=folder,
        config=config,
        prompts=prompt_tensors(work_dir / f'epoch_{EPOCHS}.pth'),
        results=final_results(runner))


def run_until_held(config, work_dir, marker, log):
    """Start tools/train.py, wait until it holds at its kill point, SIGKILL."""
    # the killed process computes with as many threads as this one (the
    # uninterrupted and resumed runs): float sums are bit-identical only then
    env = dict(os.environ, PYTHONPATH=HERE, OMP_NUM_THREADS=str(torch.get_num_threads()))
    with open(log, 'w') as out:
        proc = subprocess.Popen(
            [sys.executable, osp.join(REPO, 'tools', 'train.py'), config, '--work-dir',
             str(work_dir)],
            cwd=str(osp.dirname(config)), env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.time() + 300
            while not osp.exists(marker) and proc.poll() is None and time.time() < deadline:
                time.sleep(0.05)
            reached = osp.exists(marker)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert reached and proc.returncode == -signal.SIGKILL, \
        f'seed {SEED}: not killed at the kill point\n' + open(log).read()[-3000:]


def killed_config(straight, tag, hook=None, backend_args=None):
    cfg = Config.fromfile(straight['config'])
    cfg.custom_imports.imports.append('kill_points')
    if hook is not None:
        cfg.custom_hooks.append(hook)
    if backend_args is not None:
        cfg.default_hooks.checkpoint.backend_args = backend_args
    path = str(straight['folder'] / f'killed_{tag}.py')
    cfg.dump(path)
    return path


def resume_and_compare(straight, work_dir):
    runner = train_in_process(straight['config'], work_dir, '--resume')
    assert runner.epoch == EPOCHS
    got = prompt_tensors(work_dir / f'epoch_{EPOCHS}.pth')
    assert got.keys() == straight['prompts'].keys() and got
    for key, value in straight['prompts'].items():
        assert torch.equal(value, got[key]), f'seed {SEED}: {key} differs'
    assert final_results(runner) == straight['results'], f'seed {SEED}'


def assert_nothing_left(work_dir):
    """No temporary file, half-made or protecting link, or other copy of a
    checkpoint anywhere under the work dir of a completed run."""
    left = sorted(osp.relpath(osp.join(folder, f), work_dir)
                  for folder, _, files in os.walk(work_dir) for f in files)
    temporary = [f for f in left if osp.basename(f).startswith('.')
                 or f.endswith(('.tmp', '.new', '.part', '.resume'))]
    assert temporary == [], f'seed {SEED}: {left}'
    checkpoints = [f for f in left if '.pth' in f]
    best = [f for f in checkpoints if f.startswith('best_') and f.endswith('.pth')]
    assert len(best) == 1 and sorted(checkpoints) == sorted(
        [f'epoch_{EPOCHS}.pth'] + best), f'seed {SEED}: {left}'


@pytest.mark.parametrize('epochs', ['first', 'later'])
def test_kill_at_random_iteration(straight, epochs):
    """``later``: a checkpoint and its protecting link exist when killed."""
    rng = random.Random(f'{SEED}-{epochs}')
    at_iter = rng.randint(1, ITERS_PER_EPOCH) if epochs == 'first' else rng.randint(
        ITERS_PER_EPOCH + 1, EPOCHS * ITERS_PER_EPOCH)
    work_dir = straight['folder'] / f'iter_{at_iter}'
    marker = str(straight['folder'] / f'held_iter_{at_iter}')
    config = killed_config(
        straight, f'iter_{at_iter}', hook=dict(
            type='HoldAtIterationHook', at_iter=at_iter, marker=marker))
    run_until_held(config, work_dir, marker, str(work_dir) + '.log')
    # killed inside epoch (at_iter - 1) // 5 + 1, before its checkpoint
    assert not osp.exists(work_dir / f'epoch_{(at_iter - 1) // ITERS_PER_EPOCH + 1}.pth')
    resume_and_compare(straight, work_dir)
    assert_nothing_left(work_dir)


@pytest.mark.parametrize('stage', ['during', 'after'])
def test_kill_during_checkpoint_save(straight, stage):
    """``during``: half of epoch_E.pth written, epoch_{E-1}.pth already
    removed by CheckpointHook (max_keep_ckpts=1). ``after``: epoch_E.pth
    complete, ``last_checkpoint`` still names the removed epoch_{E-1}.pth."""
    epoch = random.Random(f'{SEED}-{stage}').randint(2, EPOCHS)
    name = f'epoch_{epoch}.pth'
    work_dir = straight['folder'] / f'save_{stage}_{epoch}'
    marker = str(straight['folder'] / f'held_save_{stage}_{epoch}')
    config = killed_config(
        straight, f'save_{stage}_{epoch}', backend_args=dict(
            backend='hicropl_test_holding', hold_file=name, marker=marker, stage=stage))
    run_until_held(config, work_dir, marker, str(work_dir) + '.log')

    previous = work_dir / f'epoch_{epoch - 1}.pth'
    files = os.listdir(work_dir)
    assert not previous.exists(), files  # removed before the new save began
    with open(work_dir / 'last_checkpoint') as f:
        assert f.read().strip() == str(previous)
    assert is_complete_checkpoint(str(work_dir / f'.epoch_{epoch - 1}.pth.resume')), files
    if stage == 'during':
        assert not (work_dir / name).exists(), files  # never a partial epoch_E.pth
        assert any(f.startswith(f'.{name}.') and f.endswith('.tmp') for f in files), files
    else:
        assert is_complete_checkpoint(str(work_dir / name)), files

    resume_and_compare(straight, work_dir)
    assert_nothing_left(work_dir)
