#!/usr/bin/env python
"""Run one evaluation protocol: train, test the selected checkpoint, record.

Trains with ``tools/train.py``, then tests with ``tools/test.py`` (both
in-process, with the same options) the checkpoint the protocol selects:

* ``best`` (default for configs with a validation split): the checkpoint
  kept by ``BestCheckpointHook`` (best few-shot val accuracy, ties to the
  later epoch), as the authors' code deploys it;
* ``last``: the last epoch (``--last``; the default of the ImageNet configs,
  whose val split is the test set).

A config that lists ``eval_targets`` (the cross-dataset source config) is
then tested with every target config and the same checkpoint, without
retraining. A config without training (zero-shot CLIP: no ``train_cfg`` or
no ``train_dataloader``) is tested without a checkpoint. Finally
``results.json`` is written into the work directory for
``tools/analysis/report.py``.

Examples::

    # base-to-novel on Oxford Pets, seeds 1..3 (work_dirs/hicropl/base2novel/
    # oxford_pets/seed{1,2,3})
    for s in 1 2 3; do
        python tools/run_protocol.py configs/hicropl/base2novel/oxford_pets.py --seed $s
    done
    # cross-dataset + domain generalization from one ImageNet training
    python tools/run_protocol.py configs/hicropl/cross_dataset/imagenet.py --seed 1
    # test again, on the last epoch, without training
    python tools/run_protocol.py configs/hicropl/base2novel/oxford_pets.py \\
        --seed 1 --test-only --last
"""
import argparse
import copy
import gc
import glob
import importlib.util
import os.path as osp
import re
import sys
from typing import Dict, List, Optional

TOOLS_DIR = osp.dirname(osp.abspath(__file__))
REPO_ROOT = osp.dirname(TOOLS_DIR)
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from mmengine.config import Config  # noqa: E402

from projects.hicropl.errors import (CheckpointNotFoundError,  # noqa: E402
                                     ConfigError)
from projects.hicropl.evaluation.results import default_setting  # noqa: E402
from projects.hicropl.utils.cli import (add_debug_argument,  # noqa: E402
                                        run_main)



def _load_tool(name: str):
    """``tools/<name>.py`` as a module (``test`` would clash with the
    standard library's ``test`` package under a plain import)."""
    spec = importlib.util.spec_from_file_location(
        f'hicropl_tools_{name}', osp.join(TOOLS_DIR, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Train with a protocol config, test the selected '
        'checkpoint (and the eval_targets), write results.json')
    parser.add_argument('config', help='protocol config file')
    parser.add_argument(
        '--work-dir',
        help='work directory (default: work_dirs/<config path under '
        'configs/ without .py>/seed<seed>)')
    parser.add_argument(
        '--seed',
        type=int,
        default=None,
        help='run and few-shot seed (default: randomness.seed of the '
        'config after --cfg-options, i.e. 1)')
    parser.add_argument(
        '--data-root',
        help='set data_root of the train/val/test datasets of the config')
    parser.add_argument(
        '--last',
        action='store_true',
        help='test the last epoch instead of the config\'s test_checkpoint '
        '(best on validation by default)')
    parser.add_argument(
        '--test-only',
        action='store_true',
        help='skip training; test the checkpoints already in the work dir')
    parser.add_argument(
        '--checkpoint', help='with --test-only: test this checkpoint')
    parser.add_argument(
        '--targets',
        nargs='*',
        default=None,
        help='target configs to test the checkpoint with (default: the '
        'config\'s eval_targets; give no value for none)')
    parser.add_argument(
        '--setting',
        help='label of this method/variant in results.json and the report '
        '(default: the config\'s `setting`, else the prompt learner, e.g. '
        '"HiCroPL" or "HiCroPL (official)")')
    parser.add_argument(
        '--resume',
        action='store_true',
        help='resume training from the latest checkpoint of the work dir')
    parser.add_argument(
        '--amp', action='store_true', help='mixed precision (train + test)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        default=[],
        help='key=value overrides of the config (as in tools/train.py); '
        'those under `model.` also apply to the target configs')
    parser.add_argument(
        '--target-cfg-options',
        nargs='+',
        default=[],
        help='key=value overrides of every target config')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    if args.checkpoint and not args.test_only:
        parser.error('--checkpoint requires --test-only')
    if args.checkpoint and args.last:
        parser.error('--checkpoint and --last exclude each other')
    return args


def _options_dict(train_tool, config: str, options: List[str]) -> Dict:
    """``key=value`` strings -> dict, parsed exactly as tools/train.py."""
    if not options:
        return {}
    return train_tool.parse_args([config, '--cfg-options', *options
                                  ]).cfg_options or {}


def _data_root_options(data_root: Optional[str]) -> List[str]:
    if not data_root:
        return []
    return [
        f'{loader}.dataset.data_root={data_root}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]


def _inner_dataset(dataset_cfg: Dict) -> Dict:
    """The innermost dataset config of dataset wrappers."""
    while isinstance(dataset_cfg.get('dataset'), dict):
        dataset_cfg = dataset_cfg['dataset']
    return dataset_cfg


def dataset_name(dataset_cfg: Optional[Dict]) -> Optional[str]:
    """The name a dataset config's dataset reports (``dataset_name`` of the
    CoOp datasets, built lazily without reading data), else its type."""
    if not dataset_cfg:
        return None
    from mmpretrain.registry import DATASETS
    cfg = copy.deepcopy(_inner_dataset(dict(dataset_cfg)))
    cfg.pop('pipeline', None)
    try:
        return DATASETS.build(dict(cfg, lazy_init=True)).dataset_name
    except Exception:  # not a CoOp dataset, or arguments only it checks
        return str(cfg.get('type'))


def effective_seed(cfg: Config, seed: Optional[int] = None) -> int:
    """``--seed`` if given, else ``randomness.seed`` of the config (after
    ``--cfg-options``), else 1. It is passed to tools/train.py and
    tools/test.py as ``--seed``, which also sets the datasets' few-shot
    seed, so ``--cfg-options randomness.seed=2`` changes both here."""
    if seed is not None:
        return seed
    return int((cfg.get('randomness', None) or {}).get('seed', 1))


def trains(cfg: Config) -> bool:
    """Whether the config trains (zero-shot configs set no train loop or
    no train dataloader: they are tested without a checkpoint)."""
    return bool(cfg.get('train_cfg', None)) and bool(
        cfg.get('train_dataloader', None))


def default_work_dir(config: str, seed: int) -> str:
    rel = osp.relpath(osp.abspath(config), osp.join(REPO_ROOT, 'configs'))
    if rel.startswith('..'):
        rel = osp.basename(config)
    return osp.join('work_dirs', osp.splitext(rel)[0], f'seed{seed}')


def _pointer(work_dir: str, name: str) -> Optional[str]:
    """Checkpoint named by ``work_dir/<name>``, also when the work dir was
    moved after training."""
    from projects.hicropl.engine.hooks.best_checkpoint_hook import \
        read_checkpoint_pointer
    target = read_checkpoint_pointer(work_dir, name)
    if target is None:
        return None
    if osp.isfile(target):
        return target
    moved = osp.join(work_dir, osp.basename(target))
    return moved if osp.isfile(moved) else None


def select_checkpoint(work_dir: str, mode: str) -> str:
    """The ``'best'`` or ``'last'`` checkpoint of a finished training."""
    if mode == 'last':
        path = _pointer(work_dir, 'last_checkpoint')
        if path is None:
            raise CheckpointNotFoundError(
                f'No last checkpoint in {work_dir} (last_checkpoint is '
                f'missing or names a missing file): train first, or pass '
                f'--test-only --checkpoint FILE.')
        return path
    if mode != 'best':
        raise ConfigError(f"test_checkpoint must be 'best' or 'last', got "
                         f'{mode!r}')
    from projects.hicropl.engine.hooks.best_checkpoint_hook import \
        BEST_CHECKPOINT_FILE
    path = _pointer(work_dir, BEST_CHECKPOINT_FILE)
    if path is None:
        found = sorted(glob.glob(osp.join(work_dir, 'best_*.pth')))
        if len(found) == 1:
            path = found[0]
    if path is None:
        raise CheckpointNotFoundError(
            f'No best checkpoint in {work_dir}: training ran without '
            f'validation (val_cfg None or --no-validate) or was not '
            f'finished. Use --last to test the last epoch.')
    return path


def _scalars(metrics: Dict) -> Dict[str, float]:
    """The scalar metrics (results.json holds numbers only)."""
    out = {}
    for key, value in metrics.items():
        try:
            out[key] = float(value)
        except (TypeError, ValueError, RuntimeError):  # e.g. a matrix
            continue
    return out


def checkpoint_epoch(path: str) -> Optional[int]:
    match = re.search(r'epoch_(\d+)\.pth$', osp.basename(path))
    return int(match.group(1)) if match else None


def _resolve_targets(config: str, cfg: Config,
                     targets: Optional[List[str]]) -> List[str]:
    if targets is not None:  # given on the command line: relative to cwd
        return [osp.abspath(t) for t in targets]
    folder = osp.dirname(osp.abspath(config))
    return [
        osp.normpath(osp.join(folder, t))
        for t in (cfg.get('eval_targets', None) or [])
    ]


def main(argv=None) -> Dict:
    args = parse_args(argv)
    train_tool = _load_tool('train')
    test_tool = _load_tool('test')
    train_tool.import_plugin()
    from mmengine.dist import is_main_process

    from projects.hicropl.evaluation import write_results

    options = _data_root_options(args.data_root) + list(args.cfg_options)
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(_options_dict(train_tool, args.config, options))
    seed = effective_seed(cfg, args.seed)
    work_dir = args.work_dir or default_work_dir(args.config, seed)
    shared = ['--seed', str(seed), '--launcher', args.launcher]
    if args.amp:
        shared.append('--amp')

    training = trains(cfg)
    if not args.test_only and training:
        train_argv = [args.config, '--work-dir', work_dir, *shared]
        if args.resume:
            train_argv.append('--resume')
        if options:
            train_argv += ['--cfg-options', *options]
        runner = train_tool.main(train_argv)
        work_dir = runner.work_dir
        del runner
        gc.collect()

    if args.checkpoint:
        checkpoint, selection = osp.abspath(args.checkpoint), 'given'
    elif not training:  # zero-shot: nothing trained, nothing to load
        checkpoint, selection = None, 'none'
    else:
        selection = 'last' if args.last else cfg.get('test_checkpoint',
                                                     'best')
        checkpoint = select_checkpoint(work_dir, selection)

    def test(config: str, test_work_dir: str, opts: List[str]) -> Dict:
        test_argv = [config, *([checkpoint] if checkpoint else []),
                     '--work-dir', test_work_dir, *shared]
        if opts:
            test_argv += ['--cfg-options', *opts]
        metrics = test_tool.main(test_argv)
        gc.collect()
        return _scalars(metrics)

    targets = _resolve_targets(args.config, cfg, args.targets)
    protocol = str(cfg.get('protocol', 'custom'))
    evaluations = [
        dict(
            protocol=protocol,
            role='source' if targets else 'test',
            dataset=dataset_name(cfg.test_dataloader.get('dataset')),
            config=args.config,
            metrics=test(args.config, work_dir, options))
    ]
    model_options = [o for o in args.cfg_options if o.startswith('model.')]
    for target in targets:
        target_cfg = Config.fromfile(target)
        target_options = model_options + list(args.target_cfg_options)
        target_cfg.merge_from_dict(
            _options_dict(train_tool, target, target_options))
        stem = osp.splitext(osp.basename(target))[0]
        evaluations.append(
            dict(
                protocol=str(target_cfg.get('protocol', protocol)),
                role='target',
                dataset=dataset_name(target_cfg.test_dataloader.get(
                    'dataset')),
                config=osp.relpath(target),
                metrics=test(target, osp.join(work_dir, 'targets', stem),
                             target_options)))

    data = cfg.train_dataloader if training else cfg.test_dataloader
    train_dataset = _inner_dataset(dict(data.dataset))
    record = dict(
        protocol=protocol,
        setting=args.setting or default_setting(cfg),
        dataset=dataset_name(data.dataset),
        num_shots=int(train_dataset.get('num_shots', 0)),
        seed=seed,
        config=args.config,
        work_dir=osp.abspath(work_dir),
        checkpoint=osp.basename(checkpoint) if checkpoint else None,
        selection=selection,
        epoch=checkpoint_epoch(checkpoint) if checkpoint else None,
        evaluations=evaluations)
    if cfg.get('ablation', None):
        record['ablation'] = str(cfg.ablation)
    if is_main_process():
        path = write_results(work_dir, record, cfg)
        print(f'Results of {len(evaluations)} evaluation(s) written to '
              f'{path}')
        for ev in evaluations:
            scores = ', '.join(f'{k}: {v:.2f}'
                               for k, v in ev['metrics'].items())
            print(f'  {ev["protocol"]:>22} {ev["dataset"]}: {scores}')
    return record


if __name__ == '__main__':
    run_main(main)
