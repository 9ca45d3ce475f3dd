"""Read-only access to the cache pickles the authors' code leaves in data
folders, for exact parity with earlier runs of their code.

The authors' pipeline prefers ``<dataset>/split_fewshot/shot_{K}-seed_{S}.pkl``
(few-shot ``train``/``val``; ImageNet: ``train`` only) and
``imagenet/preprocessed.pkl`` (full ImageNet ``train``/``test``) over
sampling/scanning. Each holds lists of Dassl ``Datum`` objects with an
absolute ``_impath`` from the machine that wrote it and the label before
base/new relabelling.

Pickles can execute code when loaded, so the plugin's restricted unpickler maps only
``dassl.data.datasets.base_dataset.Datum`` to an inert stand-in and refuses
every other global. We never write these files.
"""
import os.path as osp
import pickle
import re
from typing import Dict, List, Sequence

from ..errors import DataError
from ..engine.safe_load import UnsafeCheckpointError, safe_pickle_load
from .fewshot import Datum

_DATUM_GLOBAL = 'dassl.data.datasets.base_dataset.Datum'


class _PickledDatum:
    """Inert stand-in for Dassl's ``Datum``; the pickle restores its
    ``__dict__`` (``_impath``, ``_label``, ``_domain``, ``_classname``)."""


def fewshot_cache_path(data_root: str, num_shots: int, seed: int) -> str:
    """Where the authors' code caches the few-shot split of a run."""
    return osp.join(data_root, 'split_fewshot',
                    f'shot_{num_shots}-seed_{seed}.pkl')


def rebase_impath(impath: str, anchor: Sequence[str]) -> str:
    """Make a stored absolute path relative to the dataset's image folder.

    The last occurrence of the ``anchor`` components (dataset folder name
    followed by the image folder's components) in ``impath`` is located and
    what follows it is returned, joined with ``/``.

    Example:
        >>> rebase_impath('/home/u/data/oxford_pets/images/pug_1.jpg',
        ...               ('oxford_pets', 'images'))
        'pug_1.jpg'
    """
    parts = [p for p in re.split(r'[\\/]+', impath) if p]
    anchor = [a for a in anchor if a]
    n = len(anchor)
    for start in range(len(parts) - n - 1, -1, -1):
        if parts[start:start + n] == anchor:
            return '/'.join(parts[start + n:])
    raise DataError(f'Cannot re-root cached image path {impath!r}: it does '
                    f'not contain {"/".join(anchor)}/')


def load_official_cache(path: str, anchor: Sequence[str],
                        keys: Sequence[str]) -> Dict[str, List[Datum]]:
    """Load an authors' cache pickle without executing code from it.

    Args:
        path: The ``.pkl`` file.
        anchor: Components that precede image paths relative to the image
            folder, e.g. ``('oxford_pets', 'images')`` (see
            :func:`rebase_impath`).
        keys: Lists expected in the pickled dict, e.g. ``('train', 'val')``.

    Returns:
        dict: ``key -> list[Datum]`` with re-rooted relative paths and the
        stored labels and class names.
    """
    with open(path, 'rb') as f:
        try:
            data = safe_pickle_load(f, {_DATUM_GLOBAL: _PickledDatum},
                                    what="an authors' cache pickle")
        except pickle.UnpicklingError as err:
            raise UnsafeCheckpointError(
                f'{path}: {err}. Nothing from the file was executed; delete '
                'it or set official_cache=False.') from err
    if not isinstance(data, dict):
        raise DataError(f'{path}: expected a pickled dict, got '
                        f'{type(data).__name__}')
    out = {}
    for key in keys:
        if key not in data:
            raise DataError(f'{path}: no {key!r} list in the cache pickle')
        items = []
        for obj in data[key]:
            state = getattr(obj, '__dict__', None)
            if not isinstance(obj, _PickledDatum) or not {
                    '_impath', '_label', '_classname'} <= set(state or ()):
                raise DataError(f'{path}: {key!r} holds an item that is not '
                                f'a Dassl Datum: {obj!r}')
            items.append(
                Datum(rebase_impath(str(state['_impath']), anchor),
                      int(state['_label']), str(state['_classname'])))
        out[key] = items
    return out
