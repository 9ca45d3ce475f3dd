"""Safe checkpoint loading for mmengine checkpoints on torch >= 2.6.

Since torch 2.6, ``torch.load`` defaults to ``weights_only=True``: it uses a
restricted unpickler that only rebuilds tensors, containers and an explicit
allow-list of globals. mmengine 0.10.7 calls ``torch.load`` with the default,
so resuming training (``Runner.resume``) and even ``load_checkpoint`` of a
checkpoint written by mmengine's own ``Runner.save_checkpoint`` fail, because
the ``message_hub`` entry holds non-tensor objects.

We do **not** fall back to ``weights_only=False`` (which executes arbitrary
pickles). Instead :func:`register_safe_globals` allow-lists exactly the globals
an mmengine checkpoint needs. They were derived by saving real checkpoints
through a ``Runner`` (epoch/iter based, validation + ``save_best``, param
schedulers, EMA) and inspecting them with
``torch.serialization.get_unsafe_globals_in_checkpoint``, then loading them
with ``weights_only=True`` to find the classes needed at ``BUILD`` time (which
the static scan cannot see):

* ``mmengine.logging.history_buffer.HistoryBuffer`` -- ``message_hub``'s
  ``log_scalars`` values.
* ``numpy._core.multiarray._reconstruct``, ``numpy.ndarray``,
  ``numpy.dtype`` -- the ``_log_history``/``_count_history`` numpy arrays
  inside ``HistoryBuffer``.
* ``numpy._core.multiarray.scalar`` -- numpy scalars such as the
  ``np.float64`` ``eta`` in ``message_hub.runtime_info``.
* The numeric numpy dtype classes (``numpy.dtypes.Float64DType``,
  ``Int64DType``, ...) -- instances built by ``numpy.dtype(...)`` receive a
  ``BUILD`` (``__setstate__``) which the unpickler only allows for
  allow-listed types. Object/void/string dtypes are *not* listed.
* ``builtins.getattr`` -- ``HistoryBuffer.__getstate__`` stores its
  statistics methods (``HistoryBuffer.min`` ...), which pickle protocol 2
  encodes as ``getattr(HistoryBuffer, 'min')``. The real ``getattr`` would be
  a code-execution gadget, so it is **not** allow-listed; a restricted
  replacement registered under that name resolves only
  ``HistoryBuffer.{min,max,current,mean}`` and refuses everything else.

The numpy names are also registered under their numpy<2 spelling
(``numpy.core.multiarray.*``) so checkpoints written with numpy 1.x load too.
``collections.OrderedDict`` is already allowed by torch; ``ConfigDict`` never
appears (mmengine stores the config as text).
"""
import pickle
from typing import Any, Callable, List, Tuple, Union

import numpy as np
import torch

__all__ = [
    'register_safe_globals', 'safe_torch_load', 'UnsafeCheckpointError',
    'SAFE_GLOBAL_NAMES'
]

# Statistics methods HistoryBuffer puts in its pickled state.
_HISTORY_BUFFER_METHODS = ('min', 'max', 'current', 'mean')

# numpy dtype characters whose payload is plain bytes (bool, ints, uints,
# floats, complex). Object ('O'), void/structured ('V'), str/bytes are left
# out on purpose: mmengine checkpoints do not need them.
_NUMERIC_DTYPE_CHARS = '?bhilqpBHILQPefdgFDG'


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds objects that the safe (``weights_only``) loader
    refuses to rebuild."""


def _numpy_multiarray():
    try:  # numpy >= 2
        from numpy._core import multiarray
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray
    return multiarray


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """Stand-in for ``builtins.getattr`` inside the restricted unpickler.

    Only the look-ups that a pickled ``HistoryBuffer`` performs are allowed.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is HistoryBuffer and name in _HISTORY_BUFFER_METHODS:
        return getattr(HistoryBuffer, name)
    target = obj.__qualname__ if isinstance(obj, type) else \
        f'<{type(obj).__qualname__} object>'
    raise pickle.UnpicklingError(
        f'getattr({target}, {name!r:.80}) is not allowed while loading a '
        'checkpoint: only HistoryBuffer statistics methods '
        f'{_HISTORY_BUFFER_METHODS} may be resolved.')


def _safe_globals() -> List[Union[Callable, Tuple[Callable, str]]]:
    from mmengine.logging.history_buffer import HistoryBuffer
    multiarray = _numpy_multiarray()
    entries: List[Union[Callable, Tuple[Callable, str]]] = [
        (HistoryBuffer, 'mmengine.logging.history_buffer.HistoryBuffer'),
        (np.ndarray, 'numpy.ndarray'),
        (np.dtype, 'numpy.dtype'),
        (_history_buffer_getattr, 'builtins.getattr'),
    ]
    for prefix in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        entries.append((multiarray._reconstruct, f'{prefix}._reconstruct'))
        entries.append((multiarray.scalar, f'{prefix}.scalar'))
    seen = set()
    for char in _NUMERIC_DTYPE_CHARS:
        dtype_cls = type(np.dtype(char))
        if dtype_cls in seen:
            continue
        seen.add(dtype_cls)
        # Needed only as BUILD targets; the name is informative.
        entries.append(
            (dtype_cls, f'{dtype_cls.__module__}.{dtype_cls.__qualname__}'))
    return entries


SAFE_GLOBAL_NAMES = tuple(name for _, name in _safe_globals())


def register_safe_globals() -> List[Union[Callable, Tuple[Callable, str]]]:
    """Allow-list the globals mmengine checkpoints need for ``weights_only``
    loading. Idempotent (torch keeps the allow-list as a set).

    Returns:
        list: The registered ``(object, name)`` entries.
    """
    entries = _safe_globals()
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is not None:  # torch >= 2.4
        add_safe_globals(entries)
    return entries


def safe_torch_load(path, map_location='cpu', register: bool = True) -> Any:
    """``torch.load(path, weights_only=True)`` with the mmengine allow-list.

    Args:
        path: The file.
        map_location: As in :func:`torch.load`.
        register (bool): (Re-)register the allow-list first. The plugin's
            checkpoint loader passes False: importing the plugin registered
            it, and whatever the process allow-lists since is respected.

    Raises:
        UnsafeCheckpointError: if the file contains objects outside the
            allow-list; they are refused for safety and never executed.
    """
    if register:
        register_safe_globals()
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        offending = ''
        try:
            names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
            if names:
                offending = f' Disallowed globals: {sorted(names)}.'
        except Exception:  # noqa: BLE001 - best effort, e.g. legacy format
            pass
        raise UnsafeCheckpointError(
            f'Refusing to load checkpoint {str(path)!r}: it contains '
            'disallowed objects that are refused for safety (loaded with '
            f'weights_only=True; nothing from the file was executed).'
            f'{offending} Only load files you trust; unpickler said: '
            f'{_unpickler_reason(err)}') from err


def _unpickler_reason(err: Exception) -> str:
    """The lines of torch's refusal that say what was refused (its advice to
    retry with ``weights_only=False`` is left out on purpose)."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    keep = [
        line for line in lines
        if 'GLOBAL' in line or 'not allowed' in line or 'Unsupported' in line
    ]
    return ' '.join(keep or lines[:1])
