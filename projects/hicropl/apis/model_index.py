"""Register the plugin's models with MMPretrain's model hub."""
import os.path as osp
from typing import List, Optional

from mmpretrain.apis.model import ModelHub

__all__ = ['MODEL_INDEX', 'register_model_index']

REPO_ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
MODEL_INDEX = osp.join(REPO_ROOT, 'model-index.yml')

_registered: List[str] = []


def register_model_index(path: str = MODEL_INDEX,
                         config_prefix: Optional[str] = None) -> bool:
    """Add the models of a ``model-index.yml`` to ``mmpretrain.ModelHub``.

    Afterwards ``mmpretrain.list_models('hicropl*')``, ``get_model(name)``,
    ``inference_model(name, ...)`` and the inferencers accept our model
    names. Importing the plugin registers the repository's index. A
    registered file is skipped (idempotent).

    Args:
        path (str): The model index. Defaults to the repository's.
        config_prefix (str, optional): Folder the config paths are relative
            to. Defaults to the index's folder.

    Returns:
        bool: Whether the file was registered now (False: missing, e.g. a
        non-editable install, or registered before).
    """
    path = osp.abspath(path)
    if path in _registered or not osp.isfile(path):
        return False
    ModelHub.register_model_index(
        path, config_prefix=config_prefix or osp.dirname(path))
    _registered.append(path)
    return True
