#!/usr/bin/env python
# Copyright (c) OpenMMLab. All rights reserved.
# Adapted from MMPretrain's tools/train.py for the HiCroPL plugin.
"""Train a model with MMPretrain + the HiCroPL plugin.

Differences from MMPretrain's ``tools/train.py``:

* works from any working directory: the repository root is put on
  ``sys.path`` so ``projects.hicropl`` imports without ``pip install``;
* the plugin is imported before the runner is built, and the run reads
  checkpoints through its safe loader and writes them atomically
  (``plugin_io``; importing alone changes nothing in MMEngine);
* ``--amp-dtype {float16,bfloat16}`` picks the ``AmpOptimWrapper`` dtype;
* ``--seed`` sets ``cfg.randomness.seed`` and the ``seed`` of the
  train/val/test datasets (and samplers) that declare one;
* ``--launcher`` works on CPU-only hosts too (gloo) and sets the DDP
  arguments the prompt learners need (:func:`setup_distributed`).
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

from projects.hicropl.utils.cli import (add_debug_argument,  # noqa: E402
                                        discard_run_on_user_error, run_main)
from projects.hicropl.utils.cfg_options import (  # noqa: E402
    warn_unread_options)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='If specify checkpoint path, resume from it, while if not '
        'specify, try to auto resume from the latest checkpoint '
        'in the work directory.')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic-mixed-precision training')
    parser.add_argument(
        '--amp-dtype',
        choices=['float16', 'bfloat16'],
        default=None,
        help='dtype used by AmpOptimWrapper (requires --amp). Defaults to '
        'the wrapper default (float16).')
    parser.add_argument(
        '--seed',
        type=int,
        default=None,
        help='random seed: sets cfg.randomness.seed and the `seed` of the '
        'train/val/test datasets (e.g. few-shot sampling) and samplers that '
        'define one.')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='whether not to evaluate the checkpoint during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='whether to auto scale the learning rate according to the '
        'actual batch size and the original batch size.')
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='whether to disable the pin_memory option in dataloaders.')
    parser.add_argument(
        '--no-persistent-workers',
        action='store_true',
        help='whether to disable the persistent_workers option in dataloaders.'
    )
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
    if args.amp_dtype is not None and not args.amp:
        parser.error('--amp-dtype requires --amp')
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)

    return args


def merge_args(cfg, args):
    """Merge CLI arguments to config."""
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None

    cfg.launcher = args.launcher

    # work_dir is determined in this priority: CLI > segment in file > filename
    if args.work_dir is not None:
        # update configs according to CLI args if args.work_dir is not None
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        # use config filename as default work_dir if cfg.work_dir is None
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    # enable automatic-mixed-precision training
    if args.amp is True:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        if getattr(args, 'amp_dtype', None) is not None:
            cfg.optim_wrapper.dtype = args.amp_dtype

    # resume training
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    # enable auto scale learning rate
    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True

    # random seed (before --cfg-options, which has the last word):
    # --seed, or `--cfg-options randomness.seed=N`, also sets the few-shot
    # sampling seed of the datasets
    seed = getattr(args, 'seed', None)
    if seed is None and args.cfg_options:
        seed = args.cfg_options.get('randomness.seed', None)
    if seed is not None:
        from projects.hicropl.engine.seed import apply_seed
        apply_seed(cfg, seed)

    # set dataloader args
    from mmengine.utils import digit_version
    from mmengine.utils.dl_utils import TORCH_VERSION
    default_dataloader_cfg = ConfigDict(
        # pinned memory only helps copies to a GPU (on a CPU-only host torch
        # warns at every data-loader start)
        pin_memory=_cuda_available(),
        persistent_workers=True,
        collate_fn=dict(type='default_collate'),
    )
    if digit_version(TORCH_VERSION) < digit_version('1.8.0'):
        default_dataloader_cfg.persistent_workers = False

    def set_default_dataloader_cfg(cfg, field):
        if cfg.get(field, None) is None:
            return
        dataloader_cfg = deepcopy(default_dataloader_cfg)
        dataloader_cfg.update(cfg[field])
        cfg[field] = dataloader_cfg
        if args.no_pin_memory:
            cfg[field]['pin_memory'] = False
        if args.no_persistent_workers:
            cfg[field]['persistent_workers'] = False

    set_default_dataloader_cfg(cfg, 'train_dataloader')
    set_default_dataloader_cfg(cfg, 'val_dataloader')
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
    return setup(cfg, training=True)


def init_process_group(cfg) -> None:
    """See :func:`projects.hicropl.engine.init_process_group`."""
    from projects.hicropl.engine import init_process_group as init
    init(cfg)


def import_plugin():
    """Import the HiCroPL plugin so its registrations (models, datasets,
    hooks, ``HiCroPLRunner``) exist before the runner is built."""
    import projects.hicropl  # noqa: F401
    import projects.hicropl.engine  # noqa: F401


def main(argv=None):
    args = parse_args(argv)

    import_plugin()
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    from projects.hicropl.engine.preflight import check_trainable, preflight
    from projects.hicropl.engine import plugin_io

    # load config
    cfg = Config.fromfile(args.config)

    # merge cli arguments to config
    cfg = merge_args(cfg, args)
    check_trainable(cfg)
    preflight(cfg)  # data and class texts, before the runner
    setup_distributed(cfg)
    init_process_group(cfg)

    # a user error (before a checkpoint is saved) leaves no log folder
    with discard_run_on_user_error(cfg.work_dir):
        # build the runner from config
        if 'runner_type' not in cfg:
            # build the default runner
            runner = Runner.from_cfg(cfg)
        else:
            # build customized runner from the registry
            # if 'runner_type' is set in the cfg
            runner = RUNNERS.build(cfg)

        # start training (safe checkpoint loading, atomic saves)
        with plugin_io():
            runner.train()
    return runner


if __name__ == '__main__':
    run_main(main)
