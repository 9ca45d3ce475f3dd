"""Check a run's datasets and class texts before the runner is built.

``tools/train.py`` and ``tools/test.py`` call :func:`preflight` right after
merging the config: it builds the train, val and test datasets (the
loaders apply the split rules of :mod:`projects.hicropl.datasets.rules`)
and the class texts of each split's classes, so a bad split or description
file stops the run with one message naming the split and the fix, before
any training time is spent and before the work directory is written.
"""
import copy
import logging
import math
import os
from typing import Dict, Optional, Sequence

from mmengine.logging import print_log
from mmengine.registry import DefaultScope

from ..datasets.rules import describe_short_classes, short_classes
from ..errors import ConfigError, UserError

SPLITS = ('train', 'val', 'test')
_LOOP_CFG = dict(train='train_cfg', val='val_cfg', test='test_cfg')


def _used_splits(cfg, splits: Optional[Sequence[str]]) -> list:
    """Splits with a dataloader (and, unless asked for, a loop)."""
    if splits is not None:
        return [s for s in splits if cfg.get(f'{s}_dataloader')]
    return [s for s in SPLITS
            if cfg.get(f'{s}_dataloader')
            and cfg.get(_LOOP_CFG[s], None) is not None]


def _world_size(cfg) -> int:
    """Processes the run will have (the launchers' environment)."""
    if cfg.get('launcher', 'none') == 'none':
        return 1
    return int(os.environ.get('WORLD_SIZE')
               or os.environ.get('SLURM_NTASKS') or 1)


def _in_split(split: str, err: UserError) -> UserError:
    """``err`` with the split it is about (same type, one message)."""
    return type(err)(f'The {split} split ({split}_dataloader.dataset): '
                     f'{err}')


def build_dataset(cfg, split: str):
    """The dataset of ``<split>_dataloader``, built as the runner builds it
    (MMPretrain's registry in the config's default scope)."""
    from mmpretrain.registry import DATASETS
    dataset_cfg = copy.deepcopy(cfg[f'{split}_dataloader']['dataset'])
    try:
        return DATASETS.build(dataset_cfg)
    except UserError as err:
        raise _in_split(split, err) from err


def check_batch_size(cfg, num_items: int) -> None:
    """A train batch larger than a process' share of the training set with
    ``drop_last=True`` gives epochs of zero iterations (the run would save
    an untrained checkpoint and exit 0): refuse it."""
    loader = cfg.train_dataloader
    batch_size = int(loader.get('batch_size', 1))
    world_size = _world_size(cfg)
    per_rank = math.ceil(num_items / world_size)
    if loader.get('drop_last', False) and batch_size > per_rank:
        share = f' ({per_rank} per process on {world_size} processes)' \
            if world_size > 1 else ''
        raise ConfigError(
            f'train_dataloader.batch_size={batch_size} is larger than the '
            f'{num_items} training images{share} and '
            f'train_dataloader.drop_last=True: every epoch would have zero '
            f'iterations. Set train_dataloader.batch_size to at most '
            f'{per_rank}, or train_dataloader.drop_last=False.')


def warn_short_classes(metainfo: dict) -> None:
    """Warn (once per run, here) when ``num_shots`` exceeds some classes.

    A warning, not an error: the authors' sampler takes every image of a
    smaller class, and runs on such data are legitimate; the real counts
    are in the dataset's ``metainfo['shots_per_class']`` (and so in
    checkpoints and results.json). The loaders do not warn themselves: each
    split object rebuilds the train split, and the message would repeat.
    """
    shots = metainfo.get('shots_per_class')
    num_shots = metainfo.get('num_shots', 0)
    if not shots:
        return
    short = short_classes(metainfo['classes'], shots, num_shots)
    if short and int(os.environ.get('RANK', 0)) == 0:
        print_log(describe_short_classes(short, num_shots, len(shots)),
                  logger='current', level=logging.WARNING)


def _tokenizer_of(backbone_cfg: dict):
    """``(tokenizer, context_length)`` of the backbone config without
    building it, or None when that needs a download (HF tokenizers)."""
    import open_clip
    arch = backbone_cfg.get('arch')
    if isinstance(arch, dict):
        context = int(arch.get('text_cfg', {}).get('context_length', 77))
        return open_clip.SimpleTokenizer(context_length=context), context
    if isinstance(arch, str):
        model_cfg = open_clip.get_model_config(arch)
        if model_cfg is None:
            return None  # the backbone names the unknown arch itself
        text_cfg = model_cfg.get('text_cfg', {})
        if text_cfg.get('hf_tokenizer_name'):
            return None
        context = int(text_cfg.get('context_length', 77))
        return open_clip.get_tokenizer(arch), context
    return None


def check_class_texts(cfg, classes: Dict[str, Sequence[str]]) -> None:
    """Build ``model.class_text`` and read each split's class sentences:
    missing or malformed description files, missing keys (and near
    misses), sentences longer than the text context."""
    from mmpretrain.registry import MODELS
    from ..models.text_features.class_text_embeddings import \
        check_sentence_lengths
    model = cfg.get('model') or {}
    text_cfg = model.get('class_text')
    if not isinstance(text_cfg, dict):
        return
    try:
        class_text = MODELS.build(copy.deepcopy(text_cfg))
    except UserError as err:
        raise type(err)(f'model.class_text: {err}') from err
    tokenizer = _tokenizer_of(model.get('backbone') or {})
    for split, names in classes.items():
        try:
            per_class = class_text.sentences(names)
            if tokenizer is not None:
                check_sentence_lengths(tokenizer[0], tokenizer[1], names,
                                       per_class, class_text.source)
        except UserError as err:
            raise type(err)(f'The classes of the {split} split: {err}'
                            ) from err


def check_trainable(cfg) -> None:
    """A config without ``train_dataloader`` (a test-only dataset such as
    ImageNet-Sketch) cannot be trained: say so, and what to run instead."""
    if not cfg.get('train_dataloader', None):
        raise ConfigError(
            'The config has no train_dataloader: its dataset has only a test '
            'split (a test-only target such as ImageNet-Sketch). Train with '
            'the source config of its protocol (e.g. the cross_dataset '
            'source), then test this config with: python tools/test.py '
            'CONFIG CHECKPOINT.')


def preflight(cfg, splits: Optional[Sequence[str]] = None) -> Dict[str, dict]:
    """Build and check the datasets and class texts of a run.

    Args:
        cfg (Config): The merged config.
        splits (list[str], optional): The splits to check. Default: every
            split with a dataloader and a loop config (``train_cfg``,
            ``val_cfg``, ``test_cfg``).

    Returns:
        dict: ``split -> metainfo`` of the built datasets.

    Raises:
        UserError: naming the split and the fix (DataError, ConfigError,
            DatasetNotFoundError).
    """
    scope = cfg.get('default_scope', None) or 'mmpretrain'
    metainfo: Dict[str, dict] = {}
    with DefaultScope.overwrite_default_scope(scope):
        for split in _used_splits(cfg, splits):
            dataset = build_dataset(cfg, split)
            metainfo[split] = dict(dataset.metainfo)
            if split == 'train':
                check_batch_size(cfg, len(dataset))
                warn_short_classes(metainfo[split])
        classes = {s: list(m['classes']) for s, m in metainfo.items()
                   if m.get('classes')}
        check_class_texts(cfg, classes)
    return metainfo
