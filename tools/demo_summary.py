#!/usr/bin/env python
"""Print where a finished demo run keeps its outputs and how it scored.

``tools/demo.sh`` runs it after training and testing::

    python tools/demo_summary.py CONFIG WORK_DIR METRICS_JSON

It names the tested checkpoint, the log folders of the runs, the metrics
file, and compares the test accuracy with chance (1 / number of test
classes). ``METRICS_JSON`` is the metrics file of ``tools/test.py`` or the
``results.json`` of ``tools/run_protocol.py``. Base-to-novel runs print
base / novel / HM accuracy, next to zero-shot CLIP's with ``--zero-shot
ZS_METRICS_JSON``.
"""
import argparse
import glob
import json
import os.path as osp
import re
import sys
from typing import Dict, List, Optional, Tuple

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
    parser.add_argument(
        '--zero-shot', metavar='METRICS_JSON',
        help='metrics of zero-shot CLIP on the same test set, printed '
        'alongside')
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


_B2N = ('b2n/base', 'b2n/novel', 'b2n/hm')


def _accuracy_lines(metrics: Dict, classes: List[str],
                    zero_shot: Optional[Dict], setting: str) -> List[str]:
    if all(k in metrics for k in _B2N):
        rows = [('zero-shot CLIP', zero_shot)] if zero_shot else []
        rows.append((setting, metrics))
        lines = [f'  {"":16}{"base":>8}{"novel":>8}{"HM":>8}   (accuracy, %)']
        for name, values in rows:
            lines.append(f'  {name:16}' + ''.join(
                f'{float(values[k]):8.1f}' for k in _B2N))
        return lines
    accuracy = float(metrics['accuracy/top1'])
    chance = 100.0 / len(classes)
    lines = [f'  test accuracy: {accuracy:.1f}% on {len(classes)} classes '
             f'(chance: {chance:.1f}%, {accuracy / chance:.1f}x chance)']
    if zero_shot and 'accuracy/top1' in zero_shot:
        lines.append(f'  zero-shot CLIP: {float(zero_shot["accuracy/top1"]):.1f}%')
    return lines


def summary(checkpoint: Optional[str], logs: List[str], metrics_file: str,
            metrics: Dict, classes: List[str],
            zero_shot: Optional[Dict] = None,
            setting: str = 'trained',
            random_weights: bool = True) -> str:
    """The summary text (see the module docstring)."""
    lines = [
        'Demo summary',
        f'  checkpoint: {checkpoint or "(none recorded)"}',
        f'  logs:       {logs[-2] if len(logs) > 1 else "-"} (training)',
        f'              {logs[-1] if logs else "-"} (test)',
        f'  results:    {metrics_file}',
    ] + _accuracy_lines(metrics, classes, zero_shot, setting)
    if random_weights:
        lines.append('  The demo CLIP has random weights: the accuracy shows '
                     'that training works; it is meaningful only with real '
                     'CLIP weights.')
    return '\n'.join(lines)


def read_metrics(path: str) -> Tuple[Dict, Dict]:
    """``(metrics, run)``: the metrics of ``tools/test.py --out-item
    metrics`` (``run`` empty), or of the first evaluation of a
    ``results.json`` (``run``: its record)."""
    if not osp.isfile(path):
        raise UserError(f'No metrics file {path}: run tools/test.py with '
                        f'--out {path} --out-item metrics.')
    with open(path, encoding='utf-8') as f:
        data = json.load(f)
    if 'evaluations' in data:
        return data['evaluations'][0]['metrics'], data
    return data, {}


def main(argv=None) -> str:
    args = parse_args(argv)
    metrics, run = read_metrics(args.metrics)
    zero_shot = read_metrics(args.zero_shot)[0] if args.zero_shot else None
    pointer = osp.join(args.work_dir, 'last_checkpoint')
    if run:
        checkpoint = osp.join(run['work_dir'], run['checkpoint'])
    else:
        checkpoint = open(pointer).read().strip() if osp.isfile(pointer) else None
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    classes = test_classes(cfg)
    text = summary(checkpoint, run_logs(args.work_dir), args.metrics,
                   metrics, classes, zero_shot, run.get('setting', 'trained'),
                   random_weights=not cfg.model.backbone.get('pretrained'))
    print(text)
    return text


if __name__ == '__main__':
    run_main(main)
