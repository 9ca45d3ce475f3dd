"""Find ``--cfg-options`` that change a top-level variable nothing reads.

Python configs copy top-level variables into the dicts that use them while
the file is parsed (``data_root = 'data/x'`` then
``dataset=dict(data_root=data_root)``). Overriding the variable afterwards
(``--cfg-options data_root=...``) changes only the variable: the runner
reads the dataset dicts, which keep the old value. :func:`unread_options`
finds such overrides and the keys that hold the copies, so the tools can say
which keys to set instead.
"""
import logging
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

# Top-level keys MMEngine's Runner.from_cfg and the plugin's tools read
# after parsing: overriding them works.
READ_KEYS = frozenset({
    'auto_scale_lr', 'compile', 'custom_hooks', 'custom_imports',
    'data_preprocessor', 'default_hooks', 'default_scope', 'env_cfg',
    'eval_targets', 'experiment_name', 'hicropl_disabled_hooks', 'launcher',
    'load_from', 'log_level',
    'log_processor', 'model', 'optim_wrapper', 'param_scheduler', 'protocol',
    'randomness', 'resume', 'runner_type', 'setting', 'strategy',
    'test_cfg', 'test_checkpoint', 'test_dataloader', 'test_evaluator',
    'train_cfg', 'train_dataloader', 'tta_model', 'tta_pipeline', 'val_cfg',
    'val_dataloader', 'val_evaluator', 'visualizer', 'work_dir'
})


def _leaves(node: Any, path: str = '') -> Iterator[Tuple[str, str, Any]]:
    """``(path, last key, value)`` of every non-container value."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _leaves(value, f'{path}.{key}' if path else str(key))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _leaves(value, f'{path}.{i}')
    else:
        yield path, path.rsplit('.', 1)[-1], node


def _copies(cfg: Mapping, key: str, value: Any) -> List[str]:
    """Keys (dotted paths, under keys that are read) that hold a parse-time
    copy of ``cfg[key]``: a key of the same name with the same value, or a
    string built from it (``data_root + '/descriptions.json'``)."""
    found = []
    read = {k: v for k, v in cfg.items() if k in READ_KEYS}
    for path, name, leaf in _leaves(read):
        same = name == key and type(leaf) is type(value) and leaf == value
        built = (isinstance(value, str) and isinstance(leaf, str)
                 and len(value) > 0 and value in leaf)
        if same or built:
            found.append(path)
    return found


def unread_options(cfg: Mapping,
                   options: Optional[Mapping]) -> Dict[str, List[str]]:
    """Top-level variables that ``options`` override but nothing reads.

    Args:
        cfg: The config before ``options`` are merged.
        options: ``--cfg-options`` as parsed by MMEngine's ``DictAction``.

    Returns:
        dict: ``{variable: [keys holding its parse-time copies]}``; only
        variables with at least one copy (the keys to set instead).
    """
    unread = {}
    for key in options or {}:
        if '.' in key or key in READ_KEYS or key not in cfg:
            continue
        value = cfg[key]
        if isinstance(value, Mapping):
            continue
        copies = _copies(cfg, key, value)
        if copies:
            unread[key] = copies
    return unread


def warn_unread_options(cfg: Mapping, options: Optional[Mapping]) -> None:
    """Log a warning per overridden variable nothing reads (see
    :func:`unread_options`), naming the keys to set instead."""
    from mmengine.logging import print_log
    for key, copies in unread_options(cfg, options).items():
        print_log(
            f'--cfg-options {key}=... changes nothing: `{key}` is a variable '
            f'of the config file, already copied into other keys when the '
            f'file was read. Set these keys instead: {", ".join(copies)}.',
            logger='current',
            level=logging.WARNING)
