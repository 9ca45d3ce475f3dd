#!/usr/bin/env python
"""Print where a finished demo run keeps its outputs and how it scored.

``tools/demo.sh`` runs it after training and testing::

    python tools/demo_summary.py CONFIG WORK_DIR METRICS_JSON

It names the tested checkpoint, the log folders of the runs, the metrics
file, and compares the test accuracy with chance (1 / number of test
classes).
"""
import argparse
import glob
import json
import os.path as osp
import re
import sys
from typing import Dict, List, Optional

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from mmengine.config import Config, DictAction  # noqa: E402

from projects.hicropl.errors import UserError  # noqa: E402
from projects.hicropl.utils.cli import (add_debug_argument,  # noqa: E402
                                        run_main)

_RUN_FOLDER = re.compile(r'^\d{8}_\d{6}$')  # MMEngine's log folder names


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='the config the demo ran')
    parser.add_argument('work_dir', help='the work dir of the demo')
    parser.add_argument('metrics', help='metrics JSON of tools/test.py '
                        '(--out FILE --out-item metrics)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='the --cfg-options the demo ran with (e.g. its data_root)')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def run_logs(work_dir: str) -> List[str]:
    """Log files of the runs in ``work_dir``, oldest first."""
    folders = sorted(
        f for f in glob.glob(osp.join(work_dir, '*'))
        if osp.isdir(f) and _RUN_FOLDER.match(osp.basename(f)))
    return [osp.join(f, f'{osp.basename(f)}.log') for f in folders]


def test_classes(cfg: Config) -> List[str]:
    """The class names of the config's test dataset."""
    import projects.hicropl  # noqa: F401  (registers the datasets)
    from mmpretrain.registry import DATASETS
    dataset = dict(cfg.test_dataloader.dataset, pipeline=[])
    return list(DATASETS.build(dataset).metainfo['classes'])


def summary(checkpoint: Optional[str], logs: List[str], metrics_file: str,
            metrics: Dict, classes: List[str]) -> str:
    """The summary text (see the module docstring)."""
    accuracy = float(metrics['accuracy/top1'])
    chance = 100.0 / len(classes)
    lines = [
        'Demo summary',
        f'  checkpoint: {checkpoint or "(none recorded)"}',
        f'  logs:       {logs[-2] if len(logs) > 1 else "-"} (training)',
        f'              {logs[-1] if logs else "-"} (test)',
        f'  results:    {metrics_file}',
        f'  test accuracy: {accuracy:.1f}% on {len(classes)} classes '
        f'(chance: {chance:.1f}%, {accuracy / chance:.1f}x chance)',
        '  The demo CLIP has random weights: the accuracy shows that '
        'training works; it is meaningful only with real CLIP weights.',
    ]
    return '\n'.join(lines)


def main(argv=None) -> str:
    args = parse_args(argv)
    if not osp.isfile(args.metrics):
        raise UserError(f'No metrics file {args.metrics}: run tools/test.py '
                        f'with --out {args.metrics} --out-item metrics.')
    with open(args.metrics, encoding='utf-8') as f:
        metrics = json.load(f)
    pointer = osp.join(args.work_dir, 'last_checkpoint')
    checkpoint = open(pointer).read().strip() if osp.isfile(pointer) else None
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    classes = test_classes(cfg)
    text = summary(checkpoint, run_logs(args.work_dir), args.metrics,
                   metrics, classes)
    print(text)
    return text


if __name__ == '__main__':
    run_main(main)
