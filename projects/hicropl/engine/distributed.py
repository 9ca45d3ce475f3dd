"""Distributed settings shared by ``tools/train.py`` and ``tools/test.py``."""
import contextlib

import torch
import torch.distributed as dist
from mmengine.config import Config, ConfigDict

__all__ = ['init_process_group', 'setup_distributed']


def setup_distributed(cfg: Config, training: bool = True) -> Config:
    """Distributed settings for ``--launcher`` (after ``--cfg-options``).

    * Backend: ``env_cfg.dist_cfg.backend`` when it can run here; ``nccl``
      (the default runtime's) on a host without CUDA becomes ``gloo``, and
      an unset backend is ``nccl`` with CUDA, ``gloo`` without.
    * ``model_wrapper_cfg`` (``MMDistributedDataParallel`` unless the config
      names another wrapper): ``broadcast_buffers=False`` (MMEngine's
      default), ``device_ids=None`` without CUDA (CPU modules), and, when
      ``training``, ``find_unused_parameters`` from the config's top-level
      ``find_unused_parameters`` (MMEngine's key; False when unset: every
      trainable parameter of a method gets a gradient unless its config
      says otherwise, e.g. ``_base_/models/hicropl-official_vit-b16.py``;
      testing runs no backward and keeps DDP's default). Values set in
      ``model_wrapper_cfg`` win.

    Only trainable parameters enter DDP's gradient buckets: the frozen CLIP
    has ``requires_grad=False``.

    Args:
        cfg (Config): The merged config; modified in place.
        training (bool): For ``tools/train.py``. Defaults to True.

    Returns:
        Config: ``cfg``.
    """
    if cfg.get('launcher', 'none') == 'none':
        return cfg
    import mmengine.model  # noqa: F401 (registers MMEngine's wrappers)
    from mmengine.registry import MODEL_WRAPPERS
    from torch.nn.parallel import DistributedDataParallel

    on_gpu = torch.cuda.is_available()
    if cfg.get('env_cfg', None) is None:
        cfg.env_cfg = ConfigDict()
    if cfg.env_cfg.get('dist_cfg', None) is None:
        cfg.env_cfg.dist_cfg = ConfigDict()
    dist_cfg = cfg.env_cfg.dist_cfg
    backend = dist_cfg.get('backend', None)
    if backend is None or (backend == 'nccl' and not on_gpu):
        dist_cfg.backend = 'nccl' if on_gpu else 'gloo'

    wrapper = cfg.get('model_wrapper_cfg', None) or ConfigDict()
    wrapper.setdefault('type', 'MMDistributedDataParallel')
    wrapper_type = MODEL_WRAPPERS.get(wrapper.type)
    if isinstance(wrapper_type, type) and issubclass(
            wrapper_type, DistributedDataParallel):
        wrapper.setdefault('broadcast_buffers', False)
        if not on_gpu:
            wrapper.setdefault('device_ids', None)
        if training:
            wrapper.setdefault('find_unused_parameters',
                               cfg.get('find_unused_parameters', False))
    cfg.model_wrapper_cfg = wrapper
    return cfg


@contextlib.contextmanager
def _without_cuda_device_pinning():
    """MMEngine's ``init_dist`` calls ``torch.cuda.set_device`` before
    ``init_process_group``; on a host without CUDA that call is skipped."""
    set_device = torch.cuda.set_device
    torch.cuda.set_device = lambda device: None
    try:
        yield
    finally:
        torch.cuda.set_device = set_device


def init_process_group(cfg: Config) -> None:
    """Initialise torch.distributed on CPU-only hosts before the Runner
    (which then skips ``init_dist``); with CUDA the Runner does it."""
    if (cfg.get('launcher', 'none') == 'none' or torch.cuda.is_available()
            or dist.is_initialized()):
        return
    from mmengine.dist import init_dist
    with _without_cuda_device_pinning():
        init_dist(cfg.launcher, **cfg.env_cfg.dist_cfg)
