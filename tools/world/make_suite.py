#!/usr/bin/env python
"""Generate the miniature benchmark suite of the synthetic world.

Writes each dataset in the CoOp layout (``images/<class>/``,
``split_zhou_<Name>.json``, ``descriptions.json``) under ``--root``; the
content is a deterministic function of the dataset and ``--seed``. Datasets
already there are kept. The configs generate a missing dataset on first use,
so this tool is only needed to prepare the suite beforehand or elsewhere.

Example::

    python tools/world/make_suite.py --root data/world
"""
import argparse
import os.path as osp
import sys
import time

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from projects.hicropl.datasets.world.suite import (  # noqa: E402
    SUITE, SUITE_SEED, prepare_world_dataset)
from projects.hicropl.utils.cli import run_main  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--root', default='data/world')
    parser.add_argument('--datasets', nargs='+', choices=sorted(SUITE),
                        default=sorted(SUITE))
    parser.add_argument('--seed', type=int, default=SUITE_SEED)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    for name in args.datasets:
        start = time.time()
        root = prepare_world_dataset(osp.join(args.root, name), name,
                                     seed=args.seed)
        spec = SUITE[name]
        print(f'{spec.name}: {len(spec.classes)} classes, '
              f'{dict(spec.counts)} images per class -> {root} '
              f'({time.time() - start:.0f} s)')


if __name__ == '__main__':
    run_main(main)
