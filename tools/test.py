#!/usr/bin/env python
# Copyright (c) OpenMMLab. All rights reserved.
# Adapted from MMPretrain's tools/test.py for the HiCroPL plugin.
"""Test (and evaluate) a model with MMPretrain + the HiCroPL plugin.

Differences from MMPretrain's ``tools/test.py``:

* works from any working directory: the repository root is put on
  ``sys.path`` so ``projects.hicropl`` imports without ``pip install``;
* the plugin is imported before the runner is built, and the run reads
  checkpoints through its safe loader (``plugin_io``; importing alone
  changes nothing in MMEngine);
* ``--seed`` sets ``cfg.randomness.seed`` and the ``seed`` of the
  train/val/test datasets (and samplers) that declare one;
* ``--launcher`` works on CPU-only hosts too (gloo; see
  :func:`setup_distributed`). Predictions of all ranks are gathered by
  MMEngine's evaluator, so metrics equal single-process metrics;
* ``checkpoint`` may be omitted for a model that saves no tensors (its
  ``state_dict()`` is empty, e.g. zero-shot CLIP: ``python tools/test.py
  CONFIG``); a model that has some refuses to test without one.
"""
import argparse
import os
import os.path as osp
import sys
from copy import deepcopy

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from mmengine.config import Config, ConfigDict, DictAction  # noqa: E402

from projects.hicropl.errors import (CheckpointNotFoundError,  # noqa: E402
                                     ConfigError)
from projects.hicropl.utils.cli import (add_debug_argument,  # noqa: E402
                                        discard_run_on_user_error, run_main)
from projects.hicropl.utils.cfg_options import (  # noqa: E402
    warn_unread_options)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='MMPreTrain test (and eval) a model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        default=None,
        help='checkpoint file; omit it only for a model without saved '
        'tensors (e.g. zero-shot CLIP)')
    parser.add_argument(
        '--work-dir',
        help='the directory to save the file containing evaluation metrics')
    parser.add_argument('--out', help='the file to output results.')
    parser.add_argument(
        '--out-item',
        choices=['metrics', 'pred'],
        help='To output whether metrics or predictions. '
        'Defaults to output predictions.')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override some settings in the used config, the key-value pair '
        'in xxx=yyy format will be merged into config file. If the value to '
        'be overwritten is a list, it should be like key="[a,b]" or key=a,b '
        'It also allows nested list/tuple values, e.g. key="[(a,b),(c,d)]" '
        'Note that the quotation marks are necessary and that no white space '
        'is allowed.')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic-mixed-precision test')
    parser.add_argument(
        '--seed',
        type=int,
        default=None,
        help='random seed: sets cfg.randomness.seed and the `seed` of the '
        'train/val/test datasets (e.g. few-shot sampling) and samplers that '
        'define one.')
    parser.add_argument(
        '--show-dir',
        help='directory where the visualization images will be saved.')
    parser.add_argument(
        '--show',
        action='store_true',
        help='whether to display the prediction results in a window.')
    parser.add_argument(
        '--interval',
        type=int,
        default=1,
        help='visualize per interval samples.')
    parser.add_argument(
        '--wait-time',
        type=float,
        default=2,
        help='display time of every window. (second)')
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='whether to disable the pin_memory option in dataloaders.')
    parser.add_argument(
        '--tta',
        action='store_true',
        help='Whether to enable the Test-Time-Aug (TTA). If the config file '
        'has `tta_pipeline` and `tta_model` fields, use them to determine the '
        'TTA transforms and how to merge the TTA results. Otherwise, use flip '
        'TTA by averaging classification score.')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    # When using PyTorch version >= 2.0.0, the `torch.distributed.launch`
    # will pass the `--local-rank` parameter to `tools/train.py` instead
    # of `--local_rank`.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    """Merge CLI arguments to config."""
    cfg.launcher = args.launcher

    # work_dir is determined in this priority: CLI > segment in file > filename
    if args.work_dir is not None:
        # update configs according to CLI args if args.work_dir is not None
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        # use config filename as default work_dir if cfg.work_dir is None
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    cfg.load_from = args.checkpoint

    # enable automatic-mixed-precision test
    if args.amp:
        if cfg.get('test_cfg', None) is None:
            cfg.test_cfg = ConfigDict()
        cfg.test_cfg.fp16 = True

    # random seed (before --cfg-options, which has the last word):
    # --seed, or `--cfg-options randomness.seed=N`, also sets the few-shot
    # sampling seed of the datasets
    seed = getattr(args, 'seed', None)
    if seed is None and args.cfg_options:
        seed = args.cfg_options.get('randomness.seed', None)
    if seed is not None:
        from projects.hicropl.engine.seed import apply_seed
        apply_seed(cfg, seed)

    # -------------------- visualization --------------------
    if args.show or (args.show_dir is not None):
        assert 'visualization' in cfg.default_hooks, \
            'VisualizationHook is not set in the `default_hooks` field of ' \
            'config. Please set `visualization=dict(type="VisualizationHook")`'

        cfg.default_hooks.visualization.enable = True
        cfg.default_hooks.visualization.show = args.show
        cfg.default_hooks.visualization.wait_time = args.wait_time
        cfg.default_hooks.visualization.out_dir = args.show_dir
        cfg.default_hooks.visualization.interval = args.interval

    # -------------------- TTA related args --------------------
    if args.tta:
        if 'tta_model' not in cfg:
            cfg.tta_model = dict(type='mmpretrain.AverageClsScoreTTA')
        if 'tta_pipeline' not in cfg:
            test_pipeline = cfg.test_dataloader.dataset.pipeline
            cfg.tta_pipeline = deepcopy(test_pipeline)
            flip_tta = dict(
                type='TestTimeAug',
                transforms=[
                    [
                        dict(type='RandomFlip', prob=1.),
                        dict(type='RandomFlip', prob=0.)
                    ],
                    [test_pipeline[-1]],
                ])
            cfg.tta_pipeline[-1] = flip_tta
        cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline

    # ----------------- Default dataloader args -----------------
    default_dataloader_cfg = ConfigDict(
        # pinned memory only helps copies to a GPU (on a CPU-only host torch
        # warns at every data-loader start)
        pin_memory=_cuda_available(),
        collate_fn=dict(type='default_collate'),
    )

    def set_default_dataloader_cfg(cfg, field):
        if cfg.get(field, None) is None:
            return
        dataloader_cfg = deepcopy(default_dataloader_cfg)
        dataloader_cfg.update(cfg[field])
        cfg[field] = dataloader_cfg
        if args.no_pin_memory:
            cfg[field]['pin_memory'] = False

    set_default_dataloader_cfg(cfg, 'test_dataloader')

    if args.cfg_options is not None:
        # e.g. `data_root=...`: already copied into the dataset dicts
        warn_unread_options(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)

    return cfg


def _cuda_available() -> bool:
    import torch
    return torch.cuda.is_available()


def setup_distributed(cfg):
    """See :func:`projects.hicropl.engine.setup_distributed`."""
    from projects.hicropl.engine import setup_distributed as setup
    return setup(cfg, training=False)


def init_process_group(cfg) -> None:
    """See :func:`projects.hicropl.engine.init_process_group`."""
    from projects.hicropl.engine import init_process_group as init
    init(cfg)


def check_needs_no_checkpoint(model) -> None:
    """Raise when ``model`` saves tensors (a checkpoint would set them):
    testing it without one would evaluate its initial values."""
    from mmengine.model import is_model_wrapper
    if is_model_wrapper(model):
        model = model.module
    saved = sorted(model.state_dict())
    if saved:
        more = f' and {len(saved) - 5} more' if len(saved) > 5 else ''
        raise ConfigError(
            f'This model has learned tensors ({saved[:5]}{more}): give the '
            'checkpoint to test, `tools/test.py CONFIG CHECKPOINT`. Only a '
            'model without any (e.g. zero-shot CLIP) tests without one.')


def import_plugin():
    """Import the HiCroPL plugin so its registrations (models, datasets,
    hooks, ``HiCroPLRunner``) exist before the runner is built."""
    import projects.hicropl  # noqa: F401
    import projects.hicropl.engine  # noqa: F401


def main(argv=None):
    args = parse_args(argv)

    if args.out is None and args.out_item is not None:
        raise ConfigError('Please use `--out` argument to specify the '
                          'path of the output file before using '
                          '`--out-item`.')
    if (args.checkpoint is not None and '://' not in args.checkpoint
            and not osp.isfile(args.checkpoint)):
        raise CheckpointNotFoundError(
            f'Checkpoint not found: {args.checkpoint}. Pass a .pth file '
            f'written by tools/train.py (the latest is named in '
            f'<work_dir>/last_checkpoint).')

    import_plugin()
    import mmengine
    from mmengine.evaluator import DumpResults
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    from projects.hicropl.engine.preflight import preflight
    from projects.hicropl.engine import plugin_io

    # load config
    cfg = Config.fromfile(args.config)

    # merge cli arguments to config
    cfg = merge_args(cfg, args)
    preflight(cfg, splits=['test'])  # before the runner
    setup_distributed(cfg)
    init_process_group(cfg)

    # a user error leaves no log folder behind
    with discard_run_on_user_error(cfg.work_dir):
        # build the runner from config
        if 'runner_type' not in cfg:
            # build the default runner
            runner = Runner.from_cfg(cfg)
        else:
            # build customized runner from the registry
            # if 'runner_type' is set in the cfg
            runner = RUNNERS.build(cfg)

        if args.out and args.out_item in ['pred', None]:
            runner.test_evaluator.metrics.append(
                DumpResults(out_file_path=args.out))

        if args.checkpoint is None:
            check_needs_no_checkpoint(runner.model)

        # start testing (safe checkpoint loading, atomic saves)
        with plugin_io():
            metrics = runner.test()

    if args.out and args.out_item == 'metrics':
        mmengine.dump(metrics, args.out)

    return metrics


if __name__ == '__main__':
    run_main(main)
