"""The ``results.json`` file of a finished protocol run.

``tools/run_protocol.py`` writes one per work directory after testing and
``tools/analysis/report.py`` collects them. A file describes one training
run (protocol, setting, dataset, shots, seed, tested checkpoint) and every
evaluation of its checkpoint: ::

    {
      "format": "hicropl-results", "version": 1,
      "protocol": "base2novel",        # base2novel | fewshot | ...
      "setting": "HiCroPL",            # method / variant label (a table row)
      "dataset": "OxfordPets",         # training dataset
      "num_shots": 16, "seed": 1,
      "config": "configs/hicropl/base2novel/oxford_pets.py",
      "checkpoint": "best_accuracy_top1_epoch_37.pth",
      "selection": "best",             # best (val) | last | given
      "epoch": 37,
      "finished": "2025-06-01T12:00:00",
      "plugin_version": "0.1.0",       # projects/hicropl/version.py
      "backbone": "ViT-B-16",          # model.backbone.arch (name or dict)
      "pretrained": "openai",          # tag / file; null = random weights
      "shots_per_class": [16, ...],    # real train images per class
      "paper_data": true,              # the paper's dataset and split
      "data_note": "",                 # why not, when paper_data is false
      "evaluations": [
        {"protocol": "base2novel", "role": "test", "dataset": "OxfordPets",
         "config": "...", "metrics": {"b2n/base": 95.1, "b2n/novel": 97.0,
                                      "b2n/hm": 96.0, "b2n/all": 91.2}}
      ]
    }

Cross-dataset runs have one ``"role": "source"`` evaluation (ImageNet) and
one ``"role": "target"`` evaluation per target dataset, each with its own
``protocol`` (``cross_dataset`` or ``domain_generalization``).

The provenance keys (``backbone`` ... ``data_note``, see
:func:`describe_run`) are filled in by :func:`write_results` from the run's
config; files written before they existed load without them.

"The paper's data" (:func:`paper_data`) means: the training dataset is one
of the paper's benchmark classes (``CoOpOxfordPets``, ...), read from its
official CoOp split file (the class default ``split_file``) and with the
full-split sizes of the paper's Table 10 (the class' ``EXPECTED_SIZES``:
classes and images per split). Your own data (``CoOpDataset`` with your
split, ``CoOpImageFolder``, the demo), another split file, or a modified
or incomplete copy of a benchmark is not.
"""
import datetime
import json
import os
import os.path as osp
import tempfile
from typing import Dict, Iterable, List, Optional, Tuple

from ..version import __version__

RESULTS_FILE = 'results.json'
FORMAT = 'hicropl-results'
VERSION = 1

_RUN_KEYS = ('protocol', 'setting', 'dataset', 'num_shots', 'seed',
             'evaluations')
_EVAL_KEYS = ('protocol', 'role', 'dataset', 'metrics')


def _validate(record: Dict, where: str) -> Dict:
    if not isinstance(record, dict):
        raise ValueError(f'{where}: a results record must be a JSON object')
    if record.get('format') != FORMAT or record.get('version') != VERSION:
        raise ValueError(
            f'{where}: not a {FORMAT} v{VERSION} file (format='
            f'{record.get("format")!r}, version={record.get("version")!r})')
    missing = [k for k in _RUN_KEYS if k not in record]
    if missing:
        raise ValueError(f'{where}: missing keys {missing}')
    for i, evaluation in enumerate(record['evaluations']):
        missing = [k for k in _EVAL_KEYS if k not in evaluation]
        if missing:
            raise ValueError(f'{where}: evaluation {i} misses keys {missing}')
        bad = {k: v for k, v in evaluation['metrics'].items()
               if not isinstance(v, (int, float)) or isinstance(v, bool)}
        if bad:
            raise ValueError(f'{where}: evaluation {i} has non-numeric '
                             f'metrics {bad}')
    return record


def write_results(work_dir: str, record: Dict, cfg=None) -> str:
    """Write ``record`` to ``work_dir/results.json`` atomically.

    ``format``, ``version``, ``plugin_version`` and ``finished`` (local
    time, ISO 8601) are filled in, and with ``cfg`` (the run's config) what
    produced the results (:func:`describe_run`; keys of ``record`` win);
    the record is validated first.

    Returns:
        str: The path written.
    """
    record = dict(record)
    if cfg is not None:
        record = {**describe_run(cfg), **record}
    record.setdefault('plugin_version', __version__)
    record.update(format=FORMAT, version=VERSION)
    record.setdefault(
        'finished', datetime.datetime.now().isoformat(timespec='seconds'))
    path = osp.join(work_dir, RESULTS_FILE)
    _validate(record, path)
    os.makedirs(work_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{RESULTS_FILE}.', dir=work_dir)
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            json.dump(record, f, indent=2)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return path


def load_results(path: str) -> Dict:
    """Read and validate one ``results.json``."""
    with open(path, encoding='utf-8') as f:
        try:
            record = json.load(f)
        except json.JSONDecodeError as e:
            raise ValueError(f'{path} is not valid JSON: {e}') from e
    return _validate(record, path)


def find_results(roots: Iterable[str]) -> List[str]:
    """Every ``results.json`` under the given folders (or the files
    themselves), sorted."""
    found = set()
    for root in roots:
        if osp.isfile(root):
            found.add(osp.abspath(root))
            continue
        if not osp.isdir(root):
            raise FileNotFoundError(f'{root} is neither a folder nor a '
                                    f'{RESULTS_FILE} file')
        for folder, _, files in os.walk(root):
            if RESULTS_FILE in files:
                found.add(osp.abspath(osp.join(folder, RESULTS_FILE)))
    return sorted(found)


# ---------------------------------------------------------------------------
# What produced a run


def _inner_dataset_cfg(dataset_cfg: Dict) -> Dict:
    """The innermost dataset config of dataset wrappers."""
    while isinstance(dataset_cfg.get('dataset'), dict):
        dataset_cfg = dataset_cfg['dataset']
    return dataset_cfg


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def paper_data(dataset) -> Tuple[bool, str]:
    """Whether a built CoOp dataset is the paper's data (see the module
    docstring), and why not.

    Returns:
        tuple: ``(is_paper_data, note)``; the note is empty when it is.
    """
    from ..datasets.coop_dataset import CoOpDataset
    cls = type(dataset)
    if not isinstance(dataset, CoOpDataset) or not cls.DATASET_NAME or \
            cls.EXPECTED_SIZES is None:
        return False, f'{cls.__name__} is not one of the paper\'s datasets'
    if cls.SPLIT_FILE and dataset.split_file != cls.SPLIT_FILE:
        return False, (f'split file {dataset.split_file!r} is not CoOp\'s '
                       f'{cls.SPLIT_FILE!r}')
    splits = dataset.read_split()
    got = dict(classes=len({d.label for items in splits.values()
                            for d in items}),
               **{k: len(v) for k, v in splits.items()})
    wrong = [f'{k} {got[k]:,} (paper {want:,})'
             for k, want in cls.EXPECTED_SIZES.items()
             if want is not None and got.get(k) != want]
    if wrong:
        return False, (f'{cls.DATASET_NAME} differs from the paper\'s '
                       f'splits: ' + ', '.join(wrong))
    return True, ''


def _weights_name(pretrained):
    """A tag as it is; a file inside the working directory (a repository
    checkout, e.g. the shipped world CLIP) relative to it, other files
    normalised."""
    if not pretrained or not osp.isfile(pretrained):
        return pretrained
    path = osp.normpath(osp.abspath(pretrained))
    inside = osp.relpath(path)
    return path if inside.startswith('..') else inside


def describe_run(cfg) -> Dict:
    """What produced a run, from its config: ``backbone`` (the
    ``model.backbone.arch`` name, or its config dict), ``pretrained`` (tag
    or file; None = random weights), ``shots_per_class`` (the real training
    images per class, label order, from the built train dataset),
    ``plugin_version``, ``paper_data`` and ``data_note``
    (:func:`paper_data`)."""
    import copy

    from mmengine.registry import DefaultScope

    from mmpretrain.registry import DATASETS
    backbone = (cfg.get('model') or {}).get('backbone') or {}
    out = dict(
        plugin_version=__version__,
        backbone=_plain(backbone.get('arch')),
        pretrained=_weights_name(backbone.get('pretrained')),
        shots_per_class=None,
        paper_data=False,
        data_note='no train dataset in the config')
    loader = cfg.get('train_dataloader') or {}
    if not loader.get('dataset'):
        return out
    dataset_cfg = copy.deepcopy(_inner_dataset_cfg(dict(loader['dataset'])))
    dataset_cfg.pop('pipeline', None)
    scope = cfg.get('default_scope', None) or 'mmpretrain'
    with DefaultScope.overwrite_default_scope(scope):
        dataset = DATASETS.build(dataset_cfg)
    shots = dataset.metainfo.get('shots_per_class')
    out['shots_per_class'] = None if shots is None else list(shots)
    out['paper_data'], out['data_note'] = paper_data(dataset)
    return out


def random_weights(record: Dict) -> Optional[bool]:
    """Whether a run used a randomly initialised CLIP (None: unknown, a
    file written before ``pretrained`` was recorded)."""
    if 'pretrained' not in record:
        return None
    return not record['pretrained']


def default_setting(cfg) -> str:
    """The config's ``setting``, else the prompt learner's type without the
    ``PromptLearner`` suffix (e.g. ``HiCroPL``, ``HiCroPLOfficial``), with
    the config's ``ablation`` name in brackets when it has one."""
    if cfg.get('setting'):
        return str(cfg.setting)
    model = cfg.get('model', {})
    learner = model.get('prompt_learner', None) or {}
    name = str(learner.get('type', model.get('type', 'model')))
    name = name.replace('PromptLearner', '') or name
    if cfg.get('ablation', None):
        name = f'{name} [{cfg.ablation}]'
    return name
