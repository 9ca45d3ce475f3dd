"""Few-shot sampling and base/new class splitting of the CoOp/Dassl pipeline.

Pure functions on :class:`Datum` lists that reproduce, draw for draw, what the
authors' code (CoOp's ``datasets/*.py`` on top of Dassl's ``DatasetBase``)
does after reading a split:

1. ``train <- generate_fewshot(train, K)`` then ``val <- generate_fewshot(val,
   min(K, 4))``, both from one random stream seeded with the run's seed
   (:func:`sample_fewshot_splits`);
2. ``subsample_classes(train, val, test, subsample=...)`` keeps the first
   (``'base'``) or second (``'new'``) half of the sorted labels present in the
   few-shot train set and renumbers them from 0.

The authors seed the global :mod:`random` state at start-up and draw nothing
else before sampling when the split file exists, so a private
``random.Random(seed)`` gives the same picks without touching global state.
"""
import math
import random
from typing import Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

SUBSAMPLE_MODES = ('all', 'base', 'new')
# Validation shots used by the authors: ``min(num_shots, VAL_MAX_SHOTS)``.
VAL_MAX_SHOTS = 4


class Datum(NamedTuple):
    """One item of a CoOp split: ``[impath, label, classname]``.

    Attributes:
        impath: Image path relative to the dataset's image folder, with ``/``.
        label: 0-based integer label.
        classname: Class name as the dataset defines it (verbatim).
    """
    impath: str
    label: int
    classname: str


def to_datums(items: Iterable[Sequence]) -> List[Datum]:
    """Convert ``[impath, label, classname]`` triples (as stored in a CoOp
    split JSON) into :class:`Datum` items, keeping their order."""
    out = []
    for item in items:
        if len(item) != 3:
            raise ValueError('A split item must be [impath, label, '
                             f'classname], got {item!r}')
        impath, label, classname = item
        if isinstance(label, bool) or int(label) != label:
            raise ValueError(f'Label of split item {item!r} is not an integer')
        out.append(Datum(str(impath), int(label), str(classname)))
    return out


def split_by_label(items: Sequence[Datum]) -> Dict[int, List[Datum]]:
    """Group items by label; labels in order of first appearance, items in
    list order (Dassl's ``split_dataset_by_label``)."""
    groups: Dict[int, List[Datum]] = {}
    for item in items:
        groups.setdefault(item.label, []).append(item)
    return groups


def generate_fewshot(items: Sequence[Datum], num_shots: int,
                     rng: random.Random) -> List[Datum]:
    """Sample ``num_shots`` items per class (Dassl's
    ``generate_fewshot_dataset`` without repetition).

    Per label (in order of first appearance), a class with at least
    ``num_shots`` items contributes ``rng.sample(group, num_shots)`` in the
    order ``sample`` returns; a smaller class contributes all its items in
    list order and draws no random number.

    Args:
        items: The full split.
        num_shots: Shots per class; values below 1 return a copy of
            ``items`` unchanged.
        rng: The random stream to draw from (advanced in place).

    Returns:
        list[Datum]: The few-shot subset.
    """
    if num_shots < 1:
        return list(items)
    out: List[Datum] = []
    for group in split_by_label(items).values():
        if len(group) >= num_shots:
            out.extend(rng.sample(group, num_shots))
        else:
            out.extend(group)
    return out


def sample_fewshot_splits(
    train: Sequence[Datum],
    val: Optional[Sequence[Datum]],
    num_shots: int,
    seed: int,
) -> Tuple[List[Datum], Optional[List[Datum]]]:
    """Few-shot train and val sets exactly as the authors draw them.

    A fresh ``random.Random(seed)`` samples ``num_shots`` per class from
    ``train`` first, then ``min(num_shots, 4)`` per class from ``val`` from
    the same stream. A val set on its own therefore depends on the train
    draw, which must always be redone first.

    Args:
        train: Full training split.
        val: Full validation split, or None (ImageNet: only train is
            sampled and ``None`` is returned for val).
        num_shots: Shots per class K; ``0`` or ``-1`` (any value < 1) keeps
            both splits whole and draws nothing.
        seed: The run's seed (``random.Random(seed)``).

    Returns:
        tuple: ``(train, val)`` few-shot lists (``val`` None if given None).
    """
    if num_shots < 1:
        return list(train), None if val is None else list(val)
    rng = random.Random(seed)
    train = generate_fewshot(train, num_shots, rng)
    if val is not None:
        val = generate_fewshot(val, min(num_shots, VAL_MAX_SHOTS), rng)
    return train, val


def subsample_classes(*splits: Sequence[Datum],
                      subsample: str = 'all') -> Tuple[List[Datum], ...]:
    """Keep the base or new half of the classes (CoOp's
    ``OxfordPets.subsample_classes``).

    The sorted labels present in the first split (the few-shot train set)
    are cut at ``m = ceil(n / 2)``: ``'base'`` keeps ``labels[:m]``,
    ``'new'`` keeps ``labels[m:]``. Kept labels are renumbered ``0..`` in
    sorted order and every split is filtered and relabelled (order and class
    names unchanged). ``'all'`` returns the splits unchanged.

    Args:
        *splits: ``train`` first, then any other splits (val, test).
        subsample: ``'all'``, ``'base'`` or ``'new'``.

    Returns:
        tuple[list[Datum], ...]: One list per input split.
    """
    if subsample not in SUBSAMPLE_MODES:
        raise ValueError(f'subsample must be one of {SUBSAMPLE_MODES}, '
                         f'got {subsample!r}')
    if subsample == 'all' or not splits:
        return tuple(list(s) for s in splits)
    labels = sorted({item.label for item in splits[0]})
    m = math.ceil(len(labels) / 2)
    selected = labels[:m] if subsample == 'base' else labels[m:]
    relabel = {old: new for new, old in enumerate(selected)}
    return tuple([
        item._replace(label=relabel[item.label])
        for item in split if item.label in relabel
    ] for split in splits)


def get_classnames(train: Sequence[Datum]) -> List[str]:
    """Class names ordered by label, collected from the train items (Dassl's
    ``get_lab2cname``; the last name seen for a label wins)."""
    lab2cname = {item.label: item.classname for item in train}
    return [lab2cname[label] for label in sorted(lab2cname)]


def get_num_classes(train: Sequence[Datum]) -> int:
    """Number of classes = largest train label + 1 (Dassl's
    ``get_num_classes``)."""
    return max(item.label for item in train) + 1 if train else 0
