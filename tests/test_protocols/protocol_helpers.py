"""Shared helpers of the protocol tests: tiny configs over the real protocol
configs, generated data, the tools as modules."""
import importlib.util
import json
from pathlib import Path
from typing import Dict, Optional

from projects.hicropl.datasets import prepare_demo_dataset
from projects.hicropl.testing import tiny_clip_arch
from projects.hicropl.testing.coop_layouts import PETS, make_pets

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / 'configs' / 'hicropl'


def load_tool(name: str):
    """``tools/<name>.py`` (or ``tools/<sub>/<name>.py``) as a module."""
    path = REPO / 'tools' / f'{name}.py'
    spec = importlib.util.spec_from_file_location(
        f'protocol_tests_{name.replace("/", "_")}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def demo_data(root: Path, num_classes: int = 6) -> Dict:
    """A generated demo dataset read through the generic ``CoOpDataset``
    (any split file name / image folder), as a dataset config."""
    prepare_demo_dataset(str(root), num_classes=num_classes, num_train=16,
                         num_val=4, num_test=10, image_size=32)
    return dict(type='CoOpDataset', data_root=str(root),
                split_file='split_zhou_HiCroPLDemo.json', image_dir='images',
                dataset_name='Demo')


def demo_descriptions(root: Path) -> str:
    return str(root / 'descriptions.json')


def pets_data(root: Path) -> Dict:
    """A generated Oxford Pets layout (5 breeds) for the real Pets class."""
    make_pets(root, n_train=4, n_val=2, n_test=3)
    (root / 'descriptions.json').write_text(json.dumps({
        name.replace('_', ' '): [f'a photo of a {name}, a type of pet.']
        for name, _ in PETS
    }))
    return dict(data_root=str(root))


def write_tiny_config(path: Path, base: str, dataset: Dict,
                      descriptions: str, max_epochs: int = 2,
                      with_val: bool = True, extra: str = '') -> str:
    """A config inheriting ``base`` (a real protocol config) with a tiny
    random CLIP, 32-pixel pipelines, ``dataset`` merged into the three
    dataset dicts and 0 loader workers."""
    val = ('val_dataloader = dict(batch_size=16, **tiny_loader, '
           'dataset=dict(tiny_data, pipeline=test_pipeline))'
           if with_val else '')
    text = f'''
_base_ = [{str(base)!r}]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.5, 1.0)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=32, edge='short'),
    dict(type='CenterCrop', crop_size=32),
    dict(type='PackInputs'),
]
tiny_data = {dataset!r}
tiny_loader = dict(num_workers=0, persistent_workers=False)
model = dict(
    backbone=dict(arch=dict(_delete_=True, **{tiny_clip_arch()!r}),
                  pretrained=None),
    prompt_learner=dict(n_ctx=2, depth=3, cross_layer=1, num_heads=4),
    class_text=dict(descriptions={descriptions!r}))
train_dataloader = dict(batch_size=8, **tiny_loader,
                        dataset=dict(tiny_data, pipeline=train_pipeline))
test_dataloader = dict(batch_size=16, **tiny_loader,
                       dataset=dict(tiny_data, pipeline=test_pipeline))
{val}
train_cfg = dict(max_epochs={max_epochs})
param_scheduler = dict(T_max={max_epochs})
default_hooks = dict(logger=dict(interval=1))
{extra}
'''
    path.write_text(text)
    return str(path)


def read_json(path) -> Optional[Dict]:
    with open(path) as f:
        return json.load(f)

