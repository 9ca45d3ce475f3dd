"""Helpers to apply a run seed (``--seed`` of tools/train.py, tools/test.py)
to an mmengine config."""
from mmengine.config import ConfigDict

__all__ = ['apply_seed']

DATALOADER_FIELDS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _set_dataset_seed(dataset_cfg, seed):
    """Set ``seed`` on a dataset config that declares the key, recursing into
    dataset wrappers (``dataset`` / ``datasets``)."""
    if isinstance(dataset_cfg, (list, tuple)):
        for sub in dataset_cfg:
            _set_dataset_seed(sub, seed)
        return
    if not isinstance(dataset_cfg, dict):
        return
    if 'seed' in dataset_cfg:
        dataset_cfg['seed'] = seed
    # RepeatDataset / ClassBalancedDataset / ConcatDataset
    for key in ('dataset', 'datasets'):
        if key in dataset_cfg:
            _set_dataset_seed(dataset_cfg[key], seed)


def apply_seed(cfg, seed):
    """Apply a seed to ``cfg`` in place and return it.

    * ``cfg.randomness.seed = seed`` (``randomness`` is created if missing,
      other keys such as ``deterministic`` are kept);
    * for each of ``train/val/test_dataloader``: ``dataset.seed`` (the
      few-shot sampling seed of this project's datasets) is set when the key
      exists, also inside dataset wrappers; ``sampler.seed`` likewise when the
      sampler config sets one explicitly (otherwise mmengine already derives
      it from ``randomness.seed``).

    ``seed=None`` leaves the config untouched.
    """
    if seed is None:
        return cfg
    if cfg.get('randomness', None) is None:
        cfg.randomness = ConfigDict()
    cfg.randomness.seed = seed
    for field in DATALOADER_FIELDS:
        loader = cfg.get(field, None)
        if not isinstance(loader, dict):
            continue
        _set_dataset_seed(loader.get('dataset', None), seed)
        sampler = loader.get('sampler', None)
        if isinstance(sampler, dict) and 'seed' in sampler:
            sampler['seed'] = seed
    return cfg
