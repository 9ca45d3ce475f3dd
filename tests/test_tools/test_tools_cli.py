"""tools/train.py, tools/test.py and the launcher scripts.

* ``--help`` works from any working directory;
* CLI -> config merging (``merge_args``), unit-tested without a runner;
* the .sh launchers build the right torchrun/srun command lines (checked
  with stub ``python``/``srun`` executables, nothing is launched);
* one tiny end-to-end train/resume/test through the tools (``e2e``).
"""
import importlib.util
import os
import os.path as osp
import stat
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS = REPO_ROOT / 'tools'


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(f'hicropl_tools_{name}',
                                                  TOOLS / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


train_tool = _load_tool('train')
test_tool = _load_tool('test')


@pytest.fixture(autouse=True)
def _keep_local_rank(monkeypatch):
    # parse_args() exports LOCAL_RANK like MMPretrain; keep it test-local
    monkeypatch.setenv('LOCAL_RANK', os.environ.get('LOCAL_RANK', '0'))


def _clean_env(**extra):
    """Environment without the repo on PYTHONPATH (the tools must find it
    themselves)."""
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    env.update(extra)
    return env


# --------------------------------------------------------------------------
# --help from another working directory
# --------------------------------------------------------------------------


@pytest.mark.parametrize('tool', ['train', 'test'])
def test_help_from_other_cwd(tmp_path, tool):
    proc = subprocess.run(
        [sys.executable, str(TOOLS / f'{tool}.py'), '--help'],
        cwd=tmp_path,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=120)
    assert proc.returncode == 0, proc.stderr
    for flag in ('--cfg-options', '--seed', '--amp', '--launcher',
                 '--work-dir', '--debug'):
        assert flag in proc.stdout
    if tool == 'train':
        for flag in ('--resume', '--amp-dtype', '--auto-scale-lr'):
            assert flag in proc.stdout
    else:
        for flag in ('--out', '--show-dir', '--tta'):
            assert flag in proc.stdout


def test_tools_put_repo_root_on_sys_path():
    assert str(REPO_ROOT) == train_tool.REPO_ROOT == test_tool.REPO_ROOT
    assert str(REPO_ROOT) in sys.path


# --------------------------------------------------------------------------
# merge_args
# --------------------------------------------------------------------------


def _base_cfg(with_randomness=True):
    cfg = Config(
        dict(
            model=dict(type='Toy'),
            optim_wrapper=dict(
                type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1)),
            randomness=dict(seed=1, deterministic=True),
            train_dataloader=dict(
                batch_size=4,
                sampler=dict(type='DefaultSampler', shuffle=True, seed=1),
                dataset=dict(
                    type='RepeatDataset',
                    times=2,
                    dataset=dict(type='FewShot', num_shots=16, seed=1))),
            val_dataloader=dict(
                batch_size=4,
                sampler=dict(type='DefaultSampler', shuffle=False),
                dataset=dict(type='FewShot', split='val', seed=1)),
            test_dataloader=dict(
                batch_size=4, dataset=dict(type='Plain', split='test')),
            test_cfg=dict(),
            auto_scale_lr=dict(base_batch_size=32, enable=False),
            default_hooks=dict(
                visualization=dict(type='VisualizationHook', enable=False)),
        ))
    if not with_randomness:
        cfg = Config({k: v for k, v in cfg.to_dict().items()
                      if k != 'randomness'})
    return cfg


def _train_cfg(argv):
    args = train_tool.parse_args(['configs/hicropl/my_config.py', *argv])
    return train_tool.merge_args(_base_cfg(), args)


def _test_cfg(argv):
    args = test_tool.parse_args(['configs/hicropl/my_config.py', 'ck.pth',
                                 *argv])
    return test_tool.merge_args(_base_cfg(), args)


def test_train_merge_defaults():
    cfg = _train_cfg([])
    assert cfg.work_dir == osp.join('./work_dirs', 'my_config')
    assert cfg.launcher == 'none'
    assert cfg.optim_wrapper.type == 'OptimWrapper'
    assert cfg.randomness == dict(seed=1, deterministic=True)
    assert 'resume' not in cfg
    # pinned memory only with a GPU (torch warns about it on a CPU host)
    assert cfg.train_dataloader.pin_memory is torch.cuda.is_available()
    assert cfg.train_dataloader.persistent_workers is True
    assert cfg.train_dataloader.collate_fn == dict(type='default_collate')
    assert cfg.train_dataloader.dataset.dataset.seed == 1


def test_train_merge_amp():
    cfg = _train_cfg(['--amp'])
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    assert 'dtype' not in cfg.optim_wrapper
    assert cfg.optim_wrapper.optimizer == dict(type='SGD', lr=0.1)

    cfg = _train_cfg(['--amp', '--amp-dtype', 'bfloat16'])
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'

    with pytest.raises(SystemExit):  # --amp-dtype needs --amp
        train_tool.parse_args(['c.py', '--amp-dtype', 'float16'])
    with pytest.raises(SystemExit):
        train_tool.parse_args(['c.py', '--amp', '--amp-dtype', 'int8'])


def test_train_merge_seed():
    cfg = _train_cfg(['--seed', '7'])
    assert cfg.randomness == dict(seed=7, deterministic=True)
    # through the RepeatDataset wrapper
    assert cfg.train_dataloader.dataset.dataset.seed == 7
    assert 'seed' not in cfg.train_dataloader.dataset  # wrapper has none
    assert cfg.val_dataloader.dataset.seed == 7
    assert 'seed' not in cfg.test_dataloader.dataset  # not added
    assert cfg.train_dataloader.sampler.seed == 7  # explicit -> updated
    assert 'seed' not in cfg.val_dataloader.sampler  # mmengine derives it

    # no randomness section at all
    base = _base_cfg(with_randomness=False)
    assert 'randomness' not in base
    args = train_tool.parse_args(['c.py', '--seed', '3'])
    assert train_tool.merge_args(base, args).randomness == dict(seed=3)


def test_cfg_options_seed_alone_sets_the_dataset_seeds():
    """`--cfg-options randomness.seed=N` without --seed: the few-shot
    sampling seed follows, as with --seed."""
    cfg = _train_cfg(['--cfg-options', 'randomness.seed=5'])
    assert cfg.randomness.seed == 5
    assert cfg.train_dataloader.dataset.dataset.seed == 5
    assert cfg.val_dataloader.dataset.seed == 5


def test_train_merge_cfg_options_resume_workdir():
    cfg = _train_cfg([
        '--seed', '7', '--work-dir', 'out/dir', '--resume', '--launcher',
        'pytorch', '--auto-scale-lr', '--no-pin-memory',
        '--no-persistent-workers', '--cfg-options',
        'optim_wrapper.optimizer.lr=0.5', 'train_dataloader.batch_size=8',
        'randomness.seed=11', 'model.extra=[1,2]'
    ])
    assert cfg.optim_wrapper.optimizer.lr == 0.5
    assert cfg.train_dataloader.batch_size == 8
    assert cfg.model.extra == [1, 2]
    # --cfg-options is applied last, so it wins over --seed
    assert cfg.randomness.seed == 11
    assert cfg.val_dataloader.dataset.seed == 7
    assert cfg.work_dir == 'out/dir'
    assert cfg.resume is True and cfg.load_from is None
    assert cfg.launcher == 'pytorch'
    assert cfg.auto_scale_lr.enable is True
    assert cfg.train_dataloader.pin_memory is False
    assert cfg.train_dataloader.persistent_workers is False

    cfg = _train_cfg(['--resume', 'work/epoch_3.pth', '--no-validate'])
    assert cfg.resume is True and cfg.load_from == 'work/epoch_3.pth'
    assert cfg.val_dataloader is None and cfg.val_cfg is None


def test_test_merge_args():
    cfg = _test_cfg([])
    assert cfg.load_from == 'ck.pth'
    assert cfg.work_dir == osp.join('./work_dirs', 'my_config')
    assert 'fp16' not in cfg.test_cfg
    assert cfg.test_dataloader.pin_memory is torch.cuda.is_available()
    assert cfg.randomness.seed == 1

    cfg = _test_cfg([
        '--amp', '--seed', '5', '--work-dir', 'w', '--show-dir', 'vis',
        '--no-pin-memory', '--cfg-options', 'test_dataloader.batch_size=2'
    ])
    assert cfg.test_cfg.fp16 is True
    assert cfg.randomness.seed == 5
    assert cfg.val_dataloader.dataset.seed == 5
    assert cfg.train_dataloader.dataset.dataset.seed == 5
    assert cfg.work_dir == 'w'
    assert cfg.default_hooks.visualization.enable is True
    assert cfg.default_hooks.visualization.out_dir == 'vis'
    assert cfg.test_dataloader.batch_size == 2
    assert cfg.test_dataloader.pin_memory is False


# --------------------------------------------------------------------------
# launcher scripts (stubbed python / srun)
# --------------------------------------------------------------------------


def _stub_bin(tmp_path, name):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(exist_ok=True)
    stub = bin_dir / name
    stub.write_text('#!/usr/bin/env bash\n'
                    f'echo "STUB={name}"\n'
                    'echo "PYTHONPATH=$PYTHONPATH"\n'
                    'printf "%s\\n" "$@"\n')
    stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def _run_script(tmp_path, script, args, stub, **env):
    bin_dir = _stub_bin(tmp_path, stub)
    cwd = tmp_path / 'elsewhere'
    cwd.mkdir(exist_ok=True)
    # call it through a relative path from an unrelated directory
    rel = osp.relpath(TOOLS / script, cwd)
    proc = subprocess.run(['bash', rel, *args],
                          cwd=cwd,
                          env=_clean_env(
                              PATH=f'{bin_dir}{os.pathsep}'
                              f'{os.environ["PATH"]}',
                              **env),
                          capture_output=True,
                          text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f'STUB={stub}'
    pythonpath = lines[1][len('PYTHONPATH='):]
    assert Path(pythonpath.split(os.pathsep)[0]).resolve() == REPO_ROOT
    return lines[2:]


def test_dist_train_sh(tmp_path):
    argv = _run_script(
        tmp_path,
        'dist_train.sh', ['cfg.py', '4', '--seed', '3', '--cfg-options',
                          'a=1', 'b=x y'],
        'python',
        NNODES='2',
        NODE_RANK='1',
        MASTER_ADDR='10.0.0.1',
        PORT='12345')
    assert argv[:8] == [
        '-m', 'torch.distributed.run', '--nnodes=2', '--node_rank=1',
        '--master_addr=10.0.0.1', '--nproc_per_node=4',
        '--master_port=12345',
        str(TOOLS / 'train.py')
    ]
    assert argv[8:] == [
        'cfg.py', '--launcher', 'pytorch', '--seed', '3', '--cfg-options',
        'a=1', 'b=x y'
    ]


def test_dist_test_sh_defaults(tmp_path):
    argv = _run_script(tmp_path, 'dist_test.sh',
                       ['cfg.py', 'ck.pth', '2', '--out', 'r.pkl'], 'python')
    assert argv == [
        '-m', 'torch.distributed.run', '--nnodes=1', '--node_rank=0',
        '--master_addr=127.0.0.1', '--nproc_per_node=2',
        '--master_port=29500',
        str(TOOLS / 'test.py'), 'cfg.py', 'ck.pth', '--launcher', 'pytorch',
        '--out', 'r.pkl'
    ]


def test_slurm_scripts(tmp_path):
    argv = _run_script(
        tmp_path,
        'slurm_train.sh', ['part', 'job', 'cfg.py', 'wd', '--seed', '1'],
        'srun',
        GPUS='4',
        GPUS_PER_NODE='4')
    assert argv[:2] == ['-p', 'part']
    assert '--ntasks=4' in argv and '--gres=gpu:4' in argv
    i = argv.index('python')
    assert argv[i:] == [
        'python', '-u',
        str(TOOLS / 'train.py'), 'cfg.py', '--work-dir=wd',
        '--launcher=slurm', '--seed', '1'
    ]

    argv = _run_script(tmp_path, 'slurm_test.sh',
                       ['part', 'job', 'cfg.py', 'ck.pth', '--out', 'o.pkl'],
                       'srun')
    i = argv.index('python')
    assert argv[i:] == [
        'python', '-u',
        str(TOOLS / 'test.py'), 'cfg.py', 'ck.pth', '--launcher=slurm',
        '--out', 'o.pkl'
    ]


def test_scripts_are_executable():
    for name in ('train.py', 'test.py', 'dist_train.sh', 'dist_test.sh',
                 'slurm_train.sh', 'slurm_test.sh'):
        assert os.access(TOOLS / name, os.X_OK), name


# --------------------------------------------------------------------------
# end to end through the tools (toy model, CPU)
# --------------------------------------------------------------------------

TOY_MODULE = '''
import torch
import torch.nn as nn
from mmengine.model import BaseModel
from mmpretrain.registry import DATASETS, MODELS
from torch.utils.data import Dataset


@DATASETS.register_module(name='HiCroPLCliToyDataset', force=True)
class ToyDataset(Dataset):
    def __init__(self, num_samples=16, seed=0):
        gen = torch.Generator().manual_seed(seed)
        self.x = torch.randn(num_samples, 4, generator=gen)
        self.y = (self.x.sum(1) > 0).long()
        self.metainfo = dict(classes=('neg', 'pos'))

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return dict(inputs=self.x[i], labels=self.y[i])


@MODELS.register_module(name='HiCroPLCliToyModel', force=True)
class ToyModel(BaseModel):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, inputs, labels=None, mode='tensor'):
        out = self.fc(inputs)
        if mode == 'loss':
            return dict(loss=nn.functional.cross_entropy(out, labels))
        if mode == 'predict':
            return [dict(pred_label=o.argmax(0, keepdim=True),
                         gt_label=l.view(1))
                    for o, l in zip(out, labels)]
        return out
'''

TOY_CONFIG = '''
custom_imports = dict(
    imports=['projects.hicropl', 'hicropl_cli_toy'],
    allow_failed_imports=False)
default_scope = 'mmpretrain'
model = dict(type='HiCroPLCliToyModel')
_loader = dict(
    dataset=dict(type='HiCroPLCliToyDataset', seed=0),
    sampler=dict(type='DefaultSampler', shuffle=True, seed=0),
    batch_size=4,
    num_workers=0,
    persistent_workers=False)
train_dataloader = _loader
test_dataloader = _loader
test_evaluator = dict(type='mmpretrain.Accuracy', topk=(1, ))
train_cfg = dict(by_epoch=True, max_epochs=1)
test_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=1),
    logger=dict(type='LoggerHook', interval=1))
randomness = dict(seed=0)
log_level = 'WARNING'
'''


@pytest.mark.e2e
def test_train_resume_test_through_tools(tmp_path):
    """Train from another cwd in a fresh process (no PYTHONPATH to the
    repo), then resume (torch >= 2.6 safe load) and test in-process."""
    toy_dir = tmp_path / 'toy'
    toy_dir.mkdir()
    (toy_dir / 'hicropl_cli_toy.py').write_text(textwrap.dedent(TOY_MODULE))
    config = tmp_path / 'toy_cfg.py'
    config.write_text(TOY_CONFIG)
    work_dir = tmp_path / 'work'

    cmd = [
        sys.executable,
        str(TOOLS / 'train.py'),
        str(config), '--work-dir',
        str(work_dir), '--seed', '3', '--cfg-options',
        f'experiment_name=cli_{uuid.uuid4().hex}'
    ]
    proc = subprocess.run(
        cmd,
        cwd=tmp_path,
        env=_clean_env(PYTHONPATH=str(toy_dir)),
        capture_output=True,
        text=True,
        timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (work_dir / 'epoch_1.pth').is_file()
    dumped = Config.fromfile(
        str(work_dir / 'toy_cfg.py'), import_custom_modules=False)
    assert dumped.randomness.seed == 3
    assert dumped.train_dataloader.dataset.seed == 3

    # resume to 2 epochs in-process: mmengine loads with weights_only=True
    sys.path.insert(0, str(toy_dir))
    try:
        runner = train_tool.main([
            str(config), '--work-dir',
            str(work_dir), '--seed', '3', '--resume', '--no-pin-memory',
            '--cfg-options', 'train_cfg.max_epochs=2',
            f'experiment_name=cli_{uuid.uuid4().hex}'
        ])
        assert runner.epoch == 2
        assert (work_dir / 'epoch_2.pth').is_file()

        out = tmp_path / 'metrics.json'
        metrics = test_tool.main([
            str(config),
            str(work_dir / 'epoch_2.pth'), '--work-dir',
            str(work_dir), '--out',
            str(out), '--out-item', 'metrics', '--no-pin-memory',
            '--cfg-options', f'experiment_name=cli_{uuid.uuid4().hex}'
        ])
        assert 'accuracy/top1' in metrics
        assert out.is_file()
    finally:
        sys.path.remove(str(toy_dir))
