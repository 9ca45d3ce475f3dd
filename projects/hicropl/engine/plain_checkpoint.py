"""Checkpoints of plain data, loadable by ``torch.load(weights_only=True)``
without any allow-list.

MMEngine puts its ``MessageHub`` state into every checkpoint: ``HistoryBuffer``
objects holding numpy arrays, and numpy scalars (e.g. ``eta``). On torch >= 2.6
``torch.load`` refuses those by default, so MMEngine's own loader (used by
MMPretrain's ``get_model``, inferencers and ``load_checkpoint`` outside the
plugin's runs) could not read a training checkpoint without a process-wide
allow-list. The plugin's checkpoints therefore store the message hub as
plain data -- each ``HistoryBuffer`` as a dict of two tensors (its numpy
arrays, same dtypes) and its ``max_length``, numpy scalars as Python numbers -- and turn it back into
``HistoryBuffer`` objects when a checkpoint is loaded
(:class:`~.hooks.CheckpointMetaHook` does both). Checkpoints written before
keep loading through the plugin's safe loader.
"""
from typing import Any

import numpy as np
import torch
from mmengine.logging import HistoryBuffer

__all__ = ['plain_message_hub', 'restore_message_hub']

_BUFFER_TAG = 'hicropl_history_buffer'


def _plain(value: Any) -> Any:
    if isinstance(value, HistoryBuffer):
        logs, counts = value.data
        return {
            _BUFFER_TAG: 1,
            'log_history': torch.from_numpy(np.array(logs)),
            'count_history': torch.from_numpy(np.array(counts)),
            'max_length': int(value.max_length),
        }
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value.copy())
    if isinstance(value, dict):
        return type(value)((k, _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)) and type(value) in (list, tuple):
        return type(value)(_plain(v) for v in value)
    return value


def _restored(value: Any) -> Any:
    if isinstance(value, dict) and value.get(_BUFFER_TAG) == 1:
        return HistoryBuffer(value['log_history'].numpy(),
                             value['count_history'].numpy(),
                             value['max_length'])
    if isinstance(value, dict):
        return type(value)((k, _restored(v)) for k, v in value.items())
    return value


def plain_message_hub(state: dict) -> dict:
    """``MessageHub.state_dict()`` as plain data (see the module doc)."""
    return _plain(state)


def restore_message_hub(state: dict) -> dict:
    """The inverse of :func:`plain_message_hub`; other states pass
    unchanged."""
    return _restored(state)
