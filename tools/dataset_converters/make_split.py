#!/usr/bin/env python
"""Write a CoOp-format split JSON for a folder-per-class image tree.

The tree has one sub-folder of images per class (any depth inside a class
folder). Labels are the sorted folder names; per class the sorted file list
is shuffled with ``--seed`` and cut by ``--ratios`` (train / val / test,
CoOp's 50/20/30 by default). The output is the format of the benchmarks'
``split_zhou_<Name>.json`` (``{"train" | "val" | "test": [[impath, label,
classname], ...]}``, paths relative to the image folder), so the data then
trains with every protocol config (``CoOpDataset`` with ``split_file`` and
``image_dir``; see docs/datasets.md, "Your own data").

Example::

    python tools/dataset_converters/make_split.py data/birds/images \\
        --out data/birds/split_birds.json --ratios 0.5 0.2 0.3 --seed 1
"""
import argparse
import json
import os
import os.path as osp
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from projects.hicropl.datasets.folder import (IMG_EXTENSIONS,  # noqa: E402
                                              make_split)
from projects.hicropl.errors import ConfigError  # noqa: E402
from projects.hicropl.utils.cli import (add_debug_argument,  # noqa: E402
                                        run_main)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Write a CoOp split JSON for a folder-per-class tree')
    parser.add_argument('image_root',
                        help='folder with one sub-folder of images per class')
    parser.add_argument('--out', required=True, help='split JSON to write')
    parser.add_argument(
        '--ratios', type=float, nargs=3, default=(0.5, 0.2, 0.3),
        metavar=('TRAIN', 'VAL', 'TEST'),
        help='fractions of each class for train, val and test (default: '
        '0.5 0.2 0.3, as CoOp)')
    parser.add_argument('--seed', type=int, default=1,
                        help='seed of the per-class shuffle (default: 1)')
    parser.add_argument(
        '--classnames',
        help='optional JSON {"folder": "class name"} renaming folders (e.g. '
        'to the keys of your description JSON)')
    parser.add_argument(
        '--extensions', nargs='+', default=list(IMG_EXTENSIONS),
        help='image file extensions (default: common image formats)')
    parser.add_argument('--force', action='store_true',
                        help='overwrite an existing --out file')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    if osp.exists(args.out) and not args.force:
        raise ConfigError(f'{args.out} exists; pass --force to overwrite it')
    classnames = None
    if args.classnames:
        with open(args.classnames, encoding='utf-8') as f:
            classnames = json.load(f)
    split = make_split(args.image_root, args.ratios, args.seed, classnames,
                       args.extensions)
    folder = osp.dirname(osp.abspath(args.out))
    os.makedirs(folder, exist_ok=True)
    with open(args.out, 'w', encoding='utf-8') as f:
        json.dump(split, f, indent=1)

    num_classes = len({item[1] for item in split['train']})
    sizes = ', '.join(f'{k} {len(v)}' for k, v in split.items())
    image_dir = osp.relpath(osp.abspath(args.image_root), folder)
    print(f'Wrote {args.out}: {num_classes} classes; {sizes} images.')
    print('Use it with (e.g. in configs/_base_/datasets/custom_split.py):')
    print(f"  dict(type='CoOpDataset', data_root='{folder}', "
          f"split_file='{osp.basename(args.out)}', "
          f"image_dir='{image_dir.replace(os.sep, '/')}')")
    return split


if __name__ == '__main__':
    run_main(main)
