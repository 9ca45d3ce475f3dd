#!/usr/bin/env python
"""Check that the shipped world CLIP can be made again.

Runs ``tools/world/pretrain_clip.py`` with the arguments recorded in the
shipped training curve (``docs/world_clip/training_curve.json``) into a
temporary folder (or takes ``--weights``), then tests zero-shot CLIP with
the shipped and the new weights on every test set of the miniature
benchmark suite (``configs/zsclip/*/world_*.py``) and prints both
accuracies. Exits non-zero when one differs by more than ``--tolerance``
points (default 2).

Example::

    python tools/world/check_regeneration.py   # about 30 minutes on 2 CPU cores
"""
import argparse
import glob
import json
import os.path as osp
import subprocess
import sys
import tempfile

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from mmengine.config import Config  # noqa: E402

from projects.hicropl.errors import UserError  # noqa: E402
from projects.hicropl.utils.cli import run_main  # noqa: E402

CURVE = osp.join(REPO_ROOT, 'docs', 'world_clip', 'training_curve.json')
ARCH_CONFIG = osp.join(REPO_ROOT, 'configs', '_base_', 'world_clip.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--weights', help='weights to compare (default: '
                        'train them again with the recorded arguments)')
    parser.add_argument('--tolerance', type=float, default=2.0,
                        help='largest accepted difference, points')
    parser.add_argument('--work-dir', help='where to write (default: a '
                        'temporary folder)')
    return parser.parse_args(argv)


def retrain(work_dir: str) -> str:
    with open(CURVE) as f:
        recorded = json.load(f)['args']
    out = osp.join(work_dir, 'world_clip.pt')
    cmd = [sys.executable, osp.join(REPO_ROOT, 'tools', 'world',
                                    'pretrain_clip.py'), '--out', out,
           '--curve', osp.join(work_dir, 'training_curve.json')]
    for key, value in recorded.items():
        if key not in ('out', 'curve') and value is not None:
            cmd += [f'--{key.replace("_", "-")}', str(value)]
    print(' '.join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    return out


def zero_shot(config: str, weights: str, work_dir: str) -> dict:
    out = osp.join(work_dir, 'metrics.json')
    subprocess.run(
        [sys.executable, osp.join(REPO_ROOT, 'tools', 'test.py'), config,
         '--work-dir', work_dir, '--out', out, '--out-item', 'metrics',
         '--cfg-options', f'model.backbone.pretrained={weights}'],
        check=True, capture_output=True)
    with open(out) as f:
        return json.load(f)


def main(argv=None):
    args = parse_args(argv)
    work_dir = args.work_dir or tempfile.mkdtemp(prefix='world_clip_regen_')
    weights = args.weights or retrain(work_dir)
    if not osp.isfile(weights):
        raise UserError(f'No weights file {weights}.')
    shipped = Config.fromfile(ARCH_CONFIG).world_clip_weights
    configs = sorted(glob.glob(osp.join(REPO_ROOT, 'configs', 'zsclip', '*',
                                        'world_*.py')))
    worst = 0.0
    print(f'{"test set":58} {"metric":12} {"shipped":>8} {"new":>8}')
    for config in configs:
        name = osp.relpath(config, osp.join(REPO_ROOT, 'configs'))
        runs = [zero_shot(config, w, osp.join(work_dir, tag, name))
                for tag, w in (('shipped', shipped), ('new', weights))]
        for key, value in runs[0].items():
            if not isinstance(value, (int, float)):
                continue
            diff = abs(value - runs[1][key])
            worst = max(worst, diff)
            print(f'{name:58} {key:12} {value:8.2f} {runs[1][key]:8.2f}')
    print(f'largest difference: {worst:.2f} points '
          f'(tolerance {args.tolerance})')
    if worst > args.tolerance:
        raise SystemExit(1)


if __name__ == '__main__':
    run_main(main)
