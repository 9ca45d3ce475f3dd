#!/usr/bin/env python
"""Check a prepared dataset folder before training.

Verifies, for one dataset: the data root and the files the loader needs
(split JSON, list files, ``classnames.txt``, image folders), the rules the
loaders apply to the splits (the same code:
``projects/hicropl/datasets/rules.py``: labels 0..n-1 without gaps, val/test
labels among the train labels, distinct class prompts), the number of
classes and of images per split against the full-split sizes of the paper's
Table 10 (CoOp's splits), classes with fewer than ``--num-shots`` training
images, that every listed image exists, and that the description JSON is
valid, has an entry for every class name (pointing at keys that differ only
by ``_`` vs space) and no sentence longer than the text context. Prints what
is missing and how to fix it; exits with status 1 when something is wrong.

Examples::

    python tools/dataset_converters/check_data.py oxford_pets --data-root data/oxford_pets
    python tools/dataset_converters/check_data.py ImageNetA \\
        --data-root data/imagenet-adversarial --gpt-dir data/gpt_file
    # your own data (no expected counts)
    python tools/dataset_converters/check_data.py CoOpDataset --data-root data/mine \\
        --split-file split_mine.json --image-dir images \\
        --descriptions data/mine/descriptions.json

``DATASET`` is a registered dataset type (``CoOpOxfordPets``), a benchmark
name (``OxfordPets``), its folder name (``oxford_pets``) or config name.
"""
import argparse
import os.path as osp
import re
import sys
from typing import Dict, List

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

HICROPL_GPT_FILES = 'https://github.com/zzeoZheng/HiCroPL (folder gpt_file/)'
COOP_DATASETS_MD = 'https://github.com/KaiyangZhou/CoOp/blob/main/DATASETS.md'


def _norm(name: str) -> str:
    return re.sub(r'[^a-z0-9]', '', name.lower())


def dataset_classes() -> Dict[str, type]:
    """Registered CoOp-family dataset classes by type name."""
    import projects.hicropl.datasets as datasets
    return {
        name: cls
        for name, cls in vars(datasets).items()
        if isinstance(cls, type) and issubclass(cls, datasets.CoOpDataset)
    }


def resolve_dataset(name: str) -> type:
    """Dataset class from a type, benchmark, folder or config name."""
    classes = dataset_classes()
    aliases = {'dtd': 'CoOpDescribableTextures',
               'flowers102': 'CoOpOxfordFlowers',
               'imagenetsketch': 'CoOpImageNetSketch'}
    key = _norm(name)
    for type_name, cls in classes.items():
        names = {type_name, type_name[len('CoOp'):], cls.DATASET_NAME,
                 cls.DIRNAME}
        if key in {_norm(n) for n in names if n}:
            return cls
    if key in aliases:
        return classes[aliases[key]]
    raise SystemExit(f'Unknown dataset {name!r}. Known: '
                     f'{", ".join(sorted(classes))}')


def dataset_tree(cls: type) -> str:
    """The directory tree of a dataset class' docstring."""
    lines = (cls.__doc__ or '').splitlines()
    for i, line in enumerate(lines):
        if line.rstrip().endswith('::'):
            block = []
            for line in lines[i + 1:]:
                if block and line.strip() and not line.startswith(' ' * 8):
                    break
                block.append(line)
            return '\n'.join(b[8:] if b.startswith(' ' * 8) else b
                             for b in block).strip('\n')
    return ''


class Checker:
    """Collects OK / FAIL / WARN lines."""

    def __init__(self, max_list: int):
        self.max_list = max_list
        self.problems = 0

    def ok(self, msg: str) -> None:
        print(f'[ OK ] {msg}')

    def fail(self, msg: str, fix: str = '') -> None:
        self.problems += 1
        print(f'[FAIL] {msg}')
        if fix:
            fix = fix.replace('\n', '\n' + ' ' * 12)
            print(f'       fix: {fix}')

    def warn(self, msg: str) -> None:
        print(f'[WARN] {msg}')

    def listing(self, items: List[str]) -> None:
        for item in items[:self.max_list]:
            print(f'         {item}')
        if len(items) > self.max_list:
            print(f'         ... and {len(items) - self.max_list} more')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Check a dataset folder (files, image counts, class '
        'descriptions) and say how to fix what is missing')
    parser.add_argument('dataset', help='dataset type or name, e.g. '
                        'oxford_pets, CoOpOxfordPets, ImageNetA')
    parser.add_argument('--data-root', required=True,
                        help='the dataset folder, e.g. data/oxford_pets')
    parser.add_argument(
        '--descriptions',
        help='class-description JSON (default: GPT_DIR/<the dataset\'s '
        'file>, e.g. data/gpt_file/oxford_pets_prompt.json)')
    parser.add_argument('--gpt-dir', default='data/gpt_file',
                        help='folder of the description JSONs')
    parser.add_argument('--split-file', help='split JSON (CoOpDataset)')
    parser.add_argument('--image-dir', help='image folder (CoOpDataset)')
    parser.add_argument('--no-counts', action='store_true',
                        help='do not compare image counts with the paper')
    parser.add_argument('--max-list', type=int, default=5,
                        help='how many missing items to list')
    parser.add_argument(
        '--num-shots', type=int, default=16,
        help='warn about classes with fewer training images than this '
        '(the paper\'s 16 shots)')
    parser.add_argument(
        '--context-length', type=int, default=77,
        help='text context of the CLIP tokenizer (77 for the paper\'s '
        'backbones): longer description sentences are an error')
    return parser.parse_args(argv)


def check_files(cls, args, check: Checker):
    """Build the dataset lazily and read its full splits; None on failure."""
    from projects.hicropl.datasets import DatasetNotFoundError
    tree = dataset_tree(cls)
    root = osp.abspath(osp.expanduser(args.data_root))
    if not osp.isdir(root):
        check.fail(f'data root not found: {root}',
                   f'prepare the dataset as in CoOp\'s DATASETS.md '
                   f'({COOP_DATASETS_MD}) with this layout:\n' + tree
                   if cls.DATASET_NAME else 'point --data-root at it')
        return None, None
    check.ok(f'data root {root}')
    kwargs = dict(data_root=root, lazy_init=True, check_images=False)
    if args.split_file:
        kwargs['split_file'] = args.split_file
    if args.image_dir is not None:
        kwargs['image_dir'] = args.image_dir
    test_only = cls.EXPECTED_SIZES is not None and \
        cls.EXPECTED_SIZES.get('train') is None
    kwargs['split'] = 'test' if test_only else 'train'
    try:
        dataset = cls(**kwargs)
        splits = dataset.read_split()
    except DatasetNotFoundError as e:
        check.fail(str(e), 'expected layout:\n' + tree if tree else '')
        return None, None
    except ValueError as e:
        check.fail(str(e))
        return None, None
    check.ok('split files / lists / folders readable')
    try:
        # The loader's own rules on what it builds (full splits, all
        # classes): one implementation for loader and checker.
        dataset.validate_splits(dataset.build_splits())
    except ValueError as e:
        check.fail(str(e))
        return None, None
    check.ok('labels and class names follow the loader\'s rules')
    return dataset, splits


def check_shots(splits, args, check: Checker) -> None:
    """Classes with fewer training images than ``--num-shots`` (a
    warning, as in training: such a class gets all its images)."""
    from projects.hicropl.datasets import get_classnames
    from projects.hicropl.datasets.rules import (describe_short_classes,
                                                 short_classes,
                                                 shots_per_class)
    if not splits['train']:
        return
    shots = shots_per_class(splits['train'])
    short = short_classes(get_classnames(splits['train']), shots,
                          args.num_shots)
    if short:
        check.warn(describe_short_classes(short, args.num_shots,
                                          len(shots), args.max_list))


def check_counts(cls, splits, args, check: Checker) -> None:
    expected = cls.EXPECTED_SIZES
    found_classes = len({item.label for items in splits.values()
                         for item in items})
    if expected is None or args.no_counts:
        print(f'       {found_classes} classes; ' + ', '.join(
            f'{k} {len(v):,}' for k, v in splits.items()) + ' images')
        return
    wrong = 0
    for key in ('classes', 'train', 'val', 'test'):
        want = expected.get(key)
        if want is None:
            continue
        got = found_classes if key == 'classes' else len(splits[key])
        what = 'classes' if key == 'classes' else f'{key} images'
        if got == want:
            check.ok(f'{got:,} {what}')
        else:
            wrong += 1
            check.fail(f'{got:,} {what}, expected {want:,} (paper Table 10)')
    if wrong:
        print(f'       fix: use the official split file and the complete '
              f'image archive ({COOP_DATASETS_MD}); for a deliberately '
              f'modified dataset pass --no-counts')


def check_images(dataset, splits, check: Checker) -> None:
    seen = set()
    for key, items in splits.items():
        paths = [dataset._image_path(item.impath) for item in items
                 if item.impath not in seen]
        seen.update(item.impath for item in items)
        missing = [p for p in paths if not osp.isfile(p)]
        if missing:
            check.fail(f'{len(missing):,} of {len(paths):,} {key} images '
                       f'missing under {dataset.image_root}:',
                       'extract the image archive completely (and check '
                       'image_dir)')
            check.listing(missing)
        elif paths:
            check.ok(f'all {len(paths):,} {key} images present')


def check_descriptions(cls, splits, args, check: Checker) -> None:
    """The description JSON, read and looked up as training does."""
    import open_clip

    from projects.hicropl.errors import DataError
    from projects.hicropl.models.text_features.class_text_embeddings import (
        check_sentence_lengths, description_key, missing_descriptions,
        near_miss_message, read_descriptions)
    path = args.descriptions or (osp.join(args.gpt_dir, cls.DESCRIPTION_FILE)
                                 if cls.DESCRIPTION_FILE else None)
    if path is None:
        check.warn('no description JSON given (--descriptions); configs '
                   'need one or a TemplateTextEmbeddings class_text')
        return
    if not osp.isfile(path):
        source = f'download {osp.basename(path)} from {HICROPL_GPT_FILES}' \
            if cls.DESCRIPTION_FILE else 'write {"class name": ["sentence",' \
            ' ...]} for your classes'
        check.fail(f'description JSON not found: {path}',
                   f'{source} (the config key class_descriptions names it)')
        return
    try:
        descriptions = read_descriptions(path)
    except DataError as e:
        check.fail(str(e))
        return
    names = sorted({item.classname for items in splits.values()
                    for item in items})
    missing, near = missing_descriptions(descriptions, names)
    empty = [n for n in missing if description_key(n) in descriptions]
    missing = [n for n in missing if n not in empty and n not in near]
    if near:
        check.fail(near_miss_message(near, path))
    if missing:
        check.fail(
            f'{len(missing)} of {len(names)} classes have no entry in '
            f'{path} (keys are class names with "_" replaced by spaces):',
            'use the description file of this dataset, or set '
            "class_text=dict(on_missing='template') to fall back to a "
            'template for them')
        check.listing([repr(description_key(n)) for n in missing])
    if empty:
        check.fail(f'{len(empty)} classes have no sentences in {path}')
        check.listing([repr(n) for n in empty])
    described = [n for n in names if descriptions.get(description_key(n))]
    try:
        check_sentence_lengths(
            open_clip.SimpleTokenizer(context_length=args.context_length),
            args.context_length, described,
            [descriptions[description_key(n)] for n in described], path)
    except DataError as e:
        check.fail(str(e))
        return
    if not missing and not empty and not near:
        check.ok(f'descriptions for all {len(names)} classes in {path}')


def main(argv=None) -> int:
    args = parse_args(argv)
    cls = resolve_dataset(args.dataset)
    print(f'Checking {cls.DATASET_NAME or cls.__name__} '
          f'({cls.__name__}) at {args.data_root}')
    check = Checker(args.max_list)
    dataset, splits = check_files(cls, args, check)
    if splits is not None:
        check_counts(cls, splits, args, check)
        check_shots(splits, args, check)
        check_images(dataset, splits, check)
        check_descriptions(cls, splits, args, check)
    if check.problems:
        print(f'{check.problems} problem(s) found.')
        return 1
    print('Everything needed is there.')
    return 0


if __name__ == '__main__':
    from projects.hicropl.utils.cli import run_main
    sys.exit(run_main(main))
