"""Safe checkpoint loading for mmengine checkpoints on torch >= 2.6.

Since torch 2.6, ``torch.load`` defaults to ``weights_only=True``: it uses a
restricted unpickler that only rebuilds tensors, containers and an explicit
allow-list of globals. mmengine 0.10.7 calls ``torch.load`` with the default,
so resuming training (``Runner.resume``) and even ``load_checkpoint`` of a
checkpoint written by mmengine's own ``Runner.save_checkpoint`` fail, because
the ``message_hub`` entry holds non-tensor objects.

This module is the plugin's ONE place that decides what may be unpickled.
Every plugin path that reads a checkpoint or a pickle goes through it:

* :func:`safe_torch_load` -- torch checkpoints (mmengine's ``load_from``,
  ``--resume``, ``tools/test.py`` through the plugin's checkpoint loader,
  ``publish_model``): torch's own ``weights_only=True`` unpickler with the
  allow-list below, added for the duration of the call only;
* :class:`RestrictedUnpickler` (:func:`safe_pickle_load`,
  :func:`restricted_pickle_module`) -- foreign pickles that torch's
  ``weights_only`` unpickler cannot read: the authors' few-shot cache pickles
  and their Dassl checkpoints (converter). It resolves only the globals of
  an explicit allow-list (plus, optionally, inert stand-ins for a named set
  of modules) and refuses everything else.

Nothing is registered process-wide: importing the plugin leaves
``torch.load`` (and its safe globals) as they were for other code.

We do **not** fall back to ``weights_only=False`` (which executes arbitrary
pickles). Instead the allow-list names exactly the globals
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
import _compat_pickle
import contextlib
import io
import pickle
import types
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np
import torch

from ..errors import UserError

__all__ = [
    'register_safe_globals', 'safe_torch_load', 'UnsafeCheckpointError',
    'SAFE_GLOBAL_NAMES', 'RestrictedUnpickler', 'restricted_pickle_module',
    'safe_pickle_load', 'numpy_globals', 'safe_globals_scope'
]

# Statistics methods HistoryBuffer puts in its pickled state.
_HISTORY_BUFFER_METHODS = ('min', 'max', 'current', 'mean')

# numpy dtype characters whose payload is plain bytes (bool, ints, uints,
# floats, complex). Object ('O'), void/structured ('V'), str/bytes are left
# out on purpose: mmengine checkpoints do not need them.
_NUMERIC_DTYPE_CHARS = '?bhilqpBHILQPefdgFDG'


class UnsafeCheckpointError(UserError, pickle.UnpicklingError):
    """A checkpoint or pickle holds objects that the safe loader refuses to
    rebuild (nothing from the file was executed)."""


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


def numpy_globals() -> Dict[str, Any]:
    """The numpy globals that pickled arrays and scalars reference, under
    their numpy>=2 and numpy<2 names (shared by every allow-list)."""
    multiarray = _numpy_multiarray()
    found = {'numpy.dtype': np.dtype, 'numpy.ndarray': np.ndarray}
    for prefix in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        found[f'{prefix}._reconstruct'] = multiarray._reconstruct
        found[f'{prefix}.scalar'] = multiarray.scalar
    return found


def _safe_globals() -> List[Union[Callable, Tuple[Callable, str]]]:
    from mmengine.logging.history_buffer import HistoryBuffer
    entries: List[Union[Callable, Tuple[Callable, str]]] = [
        (HistoryBuffer, 'mmengine.logging.history_buffer.HistoryBuffer'),
        (_history_buffer_getattr, 'builtins.getattr'),
    ]
    entries += [(obj, name) for name, obj in numpy_globals().items()]
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
    loading in the whole process. Idempotent (torch keeps the allow-list as
    a set).

    The plugin never calls this (:func:`safe_torch_load` adds the allow-list
    for the duration of each load only); it is for code that wants plain
    ``torch.load`` of mmengine checkpoints to work everywhere.

    Returns:
        list: The registered ``(object, name)`` entries.
    """
    entries = _safe_globals()
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is not None:  # torch >= 2.4
        add_safe_globals(entries)
    return entries


@contextlib.contextmanager
def safe_globals_scope():
    """Add the mmengine allow-list to torch's safe globals until the block
    ends; entries the process had already allow-listed stay afterwards."""
    scoped = getattr(torch.serialization, 'safe_globals', None)
    if scoped is None:  # torch < 2.5: weights_only is not the default there
        yield
        return
    present = set(map(repr, torch.serialization.get_safe_globals()))
    missing = [e for e in _safe_globals() if repr(e) not in present]
    with scoped(missing):
        yield


def safe_torch_load(path, map_location='cpu') -> Any:
    """``torch.load(path, weights_only=True)`` with the mmengine allow-list
    (added for this call only, see :func:`safe_globals_scope`).

    Args:
        path: The file.
        map_location: As in :func:`torch.load`.

    Raises:
        UnsafeCheckpointError: if the file contains objects outside the
            allow-list; they are refused for safety and never executed.
    """
    try:
        with safe_globals_scope():
            return torch.load(
                path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        if isinstance(err, UnsafeCheckpointError):
            raise
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


# ---------------------------------------------------------------------------
# The restricted unpickler for pickles that are not mmengine checkpoints
# ---------------------------------------------------------------------------
class RestrictedUnpickler(pickle.Unpickler):
    """A :class:`pickle.Unpickler` that resolves only allow-listed globals.

    A pickle can call any global it names; ``find_class`` is where every
    global is resolved, so refusing there means no code outside the
    allow-list can run (the approach of the Python documentation's
    "Restricting Globals").

    Args:
        file: A binary file object.
        allowed (Mapping[str, Any]): ``'module.name' -> object`` to return
            for that global (a stand-in class may replace the original).
        stand_in (callable, optional): ``stand_in('module.name')`` returns an
            inert replacement for globals that are not in ``allowed``, or
            None to refuse them.
        what (str): What is read, for the refusal message.
        **kwargs: Other arguments of :class:`pickle.Unpickler`.
    """

    def __init__(self,
                 file,
                 allowed: Mapping[str, Any],
                 stand_in: Optional[Callable[[str], Any]] = None,
                 what: str = 'file',
                 **kwargs):
        super().__init__(file, **kwargs)
        self.allowed = allowed
        self.stand_in = stand_in
        self.what = what

    def find_class(self, module: str, name: str) -> Any:
        # Python 2 names, as protocol-2 pickles (torch.save) spell builtins.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        qualified = f'{module}.{name}'
        if qualified in self.allowed:
            return self.allowed[qualified]
        found = self.stand_in(qualified) if self.stand_in else None
        if found is not None:
            return found
        raise UnsafeCheckpointError(
            f'Refusing to load global {qualified} from {self.what}: it is '
            'read with a restricted unpickler that only rebuilds the objects '
            'such a file holds (nothing from the file was executed). The '
            'file may be of another kind or tampered with; only load files '
            'you trust.')


def restricted_pickle_module(allowed: Mapping[str, Any],
                             stand_in: Optional[Callable[[str], Any]] = None,
                             what: str = 'file') -> types.ModuleType:
    """A ``pickle_module`` for :func:`torch.load` (with
    ``weights_only=False``) whose unpickler is :class:`RestrictedUnpickler`.
    """
    class Unpickler(RestrictedUnpickler):  # torch.load subclasses it

        def __init__(self, file, **kwargs):
            super().__init__(file, allowed, stand_in, what, **kwargs)

    module = types.ModuleType('hicropl_restricted_pickle')
    module.Unpickler = Unpickler
    module.load = lambda f, **kwargs: Unpickler(f, **kwargs).load()
    module.loads = lambda data, **kwargs: Unpickler(
        io.BytesIO(data), **kwargs).load()
    return module


def safe_pickle_load(file,
                     allowed: Mapping[str, Any],
                     stand_in: Optional[Callable[[str], Any]] = None,
                     what: str = 'file') -> Any:
    """Unpickle ``file`` (an open binary file) with
    :class:`RestrictedUnpickler`."""
    return RestrictedUnpickler(file, allowed, stand_in, what).load()
