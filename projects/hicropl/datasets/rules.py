"""The rules a run's splits must satisfy: one implementation, applied by the
loaders (:meth:`CoOpDataset.load_data_list`) and by
``tools/dataset_converters/check_data.py``, so the checker accepts exactly
what the loaders accept.
"""
from collections import Counter
from typing import Dict, List, Sequence

from ..errors import DataError
from .fewshot import Datum, get_classnames


def prompt_name(classname: str) -> str:
    """The text a class name becomes in its prompt and its description key
    (the authors' convention: every ``_`` is a space)."""
    return classname.replace('_', ' ')


def check_train_labels(train: Sequence[Datum], where: str) -> None:
    """Train labels are ``0..n-1`` without gaps: the classifier has one
    output per label up to the largest, so a gap is a class without data."""
    labels = sorted({item.label for item in train})
    if labels != list(range(len(labels))):
        gaps = sorted(set(range(max(labels, default=-1) + 1)) - set(labels))
        raise DataError(
            f'{where}: the train labels must be 0..n-1 without gaps, got '
            f'{len(labels)} distinct labels up to {max(labels, default=-1)} '
            f'(missing: {gaps[:10]}{" ..." if len(gaps) > 10 else ""}). '
            f'Renumber the labels of the split file from 0 without gaps '
            f'(tools/dataset_converters/make_split.py writes such a file).')


def check_eval_labels(splits: Dict[str, Sequence[Datum]], where: str) -> None:
    """Every val/test label is a train label: the model classifies among
    the train classes, so another label could never be predicted."""
    known = {item.label for item in splits['train']}
    for key in ('val', 'test'):
        unknown = sorted({item.label for item in splits.get(key) or ()} -
                         known)
        if unknown:
            raise DataError(
                f'{where}: the {key} split has labels the train split lacks: '
                f'{unknown[:10]}{" ..." if len(unknown) > 10 else ""}. Give '
                f'every class training images, or remove these items from '
                f'the {key} split.')


def check_class_names(classnames: Sequence[str], where: str) -> None:
    """Distinct classes have distinct prompts: two names that differ only by
    ``_`` vs space (``red_circle``, ``red circle``) become the same prompt
    and description key, so the model could not tell them apart."""
    by_prompt: Dict[str, List[str]] = {}
    for name in classnames:
        by_prompt.setdefault(prompt_name(name), []).append(name)
    clashes = [names for names in by_prompt.values() if len(names) > 1]
    if clashes:
        shown = '; '.join(' and '.join(repr(n) for n in names)
                          for names in clashes[:5])
        raise DataError(
            f'{where}: class names {shown} become the same prompt '
            f'{prompt_name(clashes[0][0])!r} ("_" is read as a space). '
            f'Rename the classes apart in the split (or with `classnames` '
            f'of CoOpImageFolder), or merge them.')


def shots_per_class(train: Sequence[Datum]) -> List[int]:
    """Training images per class, in label order (the real shots)."""
    counts = Counter(item.label for item in train)
    return [counts[label] for label in sorted(counts)]


def check_splits(splits: Dict[str, Sequence[Datum]], where: str) -> None:
    """All rules on the final train/val/test lists of a run."""
    check_train_labels(splits['train'], where)
    check_eval_labels(splits, where)
    check_class_names(get_classnames(splits['train']), where)


def short_classes(classnames: Sequence[str], shots: Sequence[int],
                  num_shots: int) -> Dict[str, int]:
    """Classes with fewer than ``num_shots`` training images (-> count)."""
    if num_shots < 1:
        return {}
    return {name: n for name, n in zip(classnames, shots) if n < num_shots}


def describe_short_classes(short: Dict[str, int], num_shots: int,
                           num_classes: int, max_list: int = 10) -> str:
    """The warning for ``num_shots`` larger than some classes."""
    listed = ', '.join(f'{name!r} gets {n}'
                       for name, n in list(short.items())[:max_list])
    more = f' (and {len(short) - max_list} more)' \
        if len(short) > max_list else ''
    fewest = min(short.values())
    others = f'; the other classes get {num_shots}' \
        if len(short) < num_classes else ''
    return (f'num_shots={num_shots} but {len(short)} of {num_classes} '
            f'classes have fewer training images: {listed}{more}{others}. '
            f'The run trains on what there is '
            f'(results.json records the real shots_per_class); set '
            f'num_shots={fewest} for the same number per class.')
