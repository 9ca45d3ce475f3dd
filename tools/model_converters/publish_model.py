#!/usr/bin/env python
"""Prepare a work-dir checkpoint for release (MMPretrain's publish_model).

Keeps ``meta`` and the trainable tensors, drops the training state
(``optimizer``, ``param_schedulers``, ``message_hub``, ...) and any frozen
CLIP weight a full checkpoint of an older version may hold, optionally
stores the tensors in half precision (``--half``; loading casts them back to
the model's dtype), and names the file with the date and the first 8 hex
digits of its sha256, as MMPretrain does::

    python tools/model_converters/publish_model.py \\
        work_dirs/hicropl_demo/epoch_10.pth hicropl_demo.pth --half
    # -> hicropl_demo_20250101-1a2b3c4d.pth

The input is read with ``torch.load(weights_only=True)`` (the plugin's
allow-list of MMEngine objects): no pickled code runs.
"""
import argparse
import datetime
import hashlib
import os
import os.path as osp
import sys
from collections import OrderedDict
from typing import Dict

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import torch  # noqa: E402

from projects.hicropl.errors import CheckpointError, UserError  # noqa: E402
from projects.hicropl.utils.cli import (add_debug_argument,  # noqa: E402
                                        run_main)

# Training state, not needed to use the model.
TRAINING_KEYS = ('optimizer', 'param_schedulers', 'message_hub', 'hook_msgs',
                 'ema_state_dict')
# The frozen CLIP inside PromptCLIPClassifier (rebuilt from the config).
FROZEN_PREFIX = 'backbone.clip.'


class OutputFolderError(UserError, FileNotFoundError):
    """The folder of the output name does not exist."""


def publish(checkpoint: Dict, half: bool = False) -> Dict:
    """The released form of a training checkpoint.

    Args:
        checkpoint (dict): An MMEngine checkpoint of the plugin.
        half (bool): Store floating-point tensors as fp16.

    Returns:
        dict: ``meta`` and ``state_dict`` only.
    """
    if 'state_dict' not in checkpoint:
        raise CheckpointError(
            'Not an MMEngine checkpoint: no "state_dict" entry.')
    state_dict = OrderedDict()
    for key, value in checkpoint['state_dict'].items():
        if key.startswith('module.'):
            key = key[len('module.'):]
        if key.startswith(FROZEN_PREFIX):
            continue
        if half and value.is_floating_point():
            value = value.half()
        state_dict[key] = value
    if not state_dict:
        raise CheckpointError('The checkpoint holds no trainable tensor.')
    from projects.hicropl import __version__
    meta = dict(checkpoint.get('meta') or {})
    meta.setdefault('hicropl_version', __version__)
    meta['half_precision'] = half
    if 'classnames' in meta:
        meta.setdefault('dataset_meta', dict(classes=meta['classnames']))
    return dict(meta=meta, state_dict=state_dict)


def save_published(checkpoint: Dict, out_file: str) -> str:
    """Write ``checkpoint`` as ``<out stem>_<date>-<sha256[:8]>.pth``.

    Returns:
        str: The final file name.
    """
    out_dir = osp.dirname(osp.abspath(out_file))
    if not osp.isdir(out_dir):
        raise OutputFolderError(
            f'Output folder {out_dir} does not exist; create it first.')
    stem = out_file[:-4] if out_file.endswith('.pth') else out_file
    tmp = f'{stem}.tmp-{os.getpid()}'
    torch.save(checkpoint, tmp)
    with open(tmp, 'rb') as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    date = datetime.datetime.now().strftime('%Y%m%d')
    final = f'{stem}_{date}-{sha[:8]}.pth'
    os.replace(tmp, final)
    return final


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Strip a checkpoint to the trainable tensors + meta and '
        'name it with its hash, for release.')
    parser.add_argument('in_file', help='input checkpoint (work dir)')
    parser.add_argument('out_file', help='output name (date and hash added)')
    parser.add_argument(
        '--half',
        action='store_true',
        help='store the tensors in half precision (fp16)')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv=None) -> str:
    args = parse_args(argv)
    from projects.hicropl.engine import safe_torch_load
    checkpoint = publish(safe_torch_load(args.in_file), half=args.half)
    final = save_published(checkpoint, args.out_file)
    num = sum(v.numel() for v in checkpoint['state_dict'].values())
    print(f'Published {len(checkpoint["state_dict"])} tensors ({num:,} '
          f'values{", fp16" if args.half else ""}) as {final} '
          f'({osp.getsize(final) / 2**20:.2f} MiB).')
    return final


if __name__ == '__main__':
    run_main(main)
