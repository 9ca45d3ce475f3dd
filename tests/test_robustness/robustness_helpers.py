"""A tiny HiCroPL run on the generated demo data, written as a real config
file that inherits ``configs/hicropl/hicropl_demo.py`` (the config path
users take)."""
import importlib.util
import logging
import os.path as osp
import uuid
from pathlib import Path
from typing import Optional

from mmengine.config import Config

from projects.hicropl.datasets import prepare_demo_dataset
from projects.hicropl.testing import tiny_clip_arch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_CONFIG = osp.join(REPO, 'configs', 'hicropl', 'hicropl_demo.py')

TINY_CONFIG = '''
_base_ = [{demo!r}]
image_size = 32
model = dict(
    backbone=dict(arch=dict(_delete_=True, **{arch!r}), pretrained=None),
    prompt_learner=dict(n_ctx=2, depth=3, cross_layer=1, num_heads=4),
    class_text=dict(descriptions={descriptions!r}))
_load = dict(type='{load}')
train_pipeline = [
    _load,
    dict(type='RandomResizedCrop', scale=image_size, crop_ratio_range=(0.5, 1.0),
         interpolation='bicubic', backend='pillow'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    _load,
    dict(type='ResizeEdge', scale=image_size, edge='short', interpolation='bicubic',
         backend='pillow'),
    dict(type='CenterCrop', crop_size=image_size),
    dict(type='PackInputs'),
]
_data = dict(data_root={root!r}, num_shots=4)
train_dataloader = dict(batch_size=4, num_workers={workers},
                        dataset=dict(pipeline=train_pipeline, **_data))
val_dataloader = dict(batch_size=20, num_workers=0, persistent_workers=False,
                      dataset=dict(pipeline=test_pipeline, **_data))
test_dataloader = dict(batch_size=20, num_workers=0, persistent_workers=False,
                       dataset=dict(pipeline=test_pipeline, **_data))
max_epochs = {epochs}
param_scheduler = dict(type='ConstantWarmupCosineLR', T_max=max_epochs, warmup=1,
                       warmup_value=1e-5, by_epoch=True)
train_cfg = dict(max_epochs=max_epochs, val_interval=1)
default_hooks = dict(logger=dict(interval=1))
log_level = 'INFO'
'''


def load_tool(name: str):
    """``tools/<name>.py`` as a module (``main(argv)`` runs it in-process)."""
    spec = importlib.util.spec_from_file_location(
        f'hicropl_robustness_tools_{name}', osp.join(REPO, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def demo_root(folder) -> str:
    """Generate (once per folder) a small demo dataset: 10 classes."""
    return prepare_demo_dataset(
        str(Path(folder) / 'hicropl_demo'), num_train=8, num_val=4,
        num_test=4, image_size=32)


def write_tiny_config(folder,
                      data_root: str,
                      epochs: int = 3,
                      workers: int = 0,
                      load: str = 'SafeLoadImageFromFile',
                      extra: str = '',
                      name: str = 'tiny_hicropl.py') -> str:
    """Write a config inheriting the demo config with a tiny random CLIP,
    32-pixel images and 4 shots per base class (20 train images)."""
    text = TINY_CONFIG.format(
        demo=DEMO_CONFIG,
        arch=tiny_clip_arch(),
        descriptions=osp.join(data_root, 'descriptions.json'),
        root=data_root,
        workers=workers,
        epochs=epochs,
        load=load) + extra
    path = Path(folder) / name
    path.write_text(text)
    return str(path)


def load_tiny_config(folder, data_root: str, work_dir: Optional[str] = None,
                     **kwargs) -> Config:
    """:func:`write_tiny_config`, loaded, with a unique experiment name."""
    cfg = Config.fromfile(write_tiny_config(folder, data_root, **kwargs))
    cfg.work_dir = str(work_dir or Path(folder) / 'work')
    cfg.experiment_name = f'robustness_{uuid.uuid4().hex}'
    return cfg


class WarningCapture(logging.Handler):
    """Collects the messages of WARNING and above logged to the logger it
    is added to."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())
