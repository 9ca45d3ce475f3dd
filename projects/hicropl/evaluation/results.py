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
      "evaluations": [
        {"protocol": "base2novel", "role": "test", "dataset": "OxfordPets",
         "config": "...", "metrics": {"b2n/base": 95.1, "b2n/novel": 97.0,
                                      "b2n/hm": 96.0, "b2n/all": 91.2}}
      ]
    }

Cross-dataset runs have one ``"role": "source"`` evaluation (ImageNet) and
one ``"role": "target"`` evaluation per target dataset, each with its own
``protocol`` (``cross_dataset`` or ``domain_generalization``).
"""
import datetime
import json
import os
import os.path as osp
import tempfile
from typing import Dict, Iterable, List

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


def write_results(work_dir: str, record: Dict) -> str:
    """Write ``record`` to ``work_dir/results.json`` atomically.

    ``format``, ``version`` and ``finished`` (local time, ISO 8601) are
    filled in; the record is validated first.

    Returns:
        str: The path written.
    """
    record = dict(record)
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
