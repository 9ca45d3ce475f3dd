"""``--cfg-options`` on a top-level config variable that nothing reads
(``projects/hicropl/utils/cfg_options.py``, used by tools/train.py and
tools/test.py)."""
import importlib.util
from pathlib import Path

import pytest
from mmengine.config import Config

from projects.hicropl.utils.cfg_options import unread_options

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO = REPO_ROOT / 'configs' / 'hicropl' / 'hicropl_demo.py'
PETS = REPO_ROOT / 'configs' / 'hicropl' / 'base2novel' / 'oxford_pets.py'
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(
        f'hicropl_tools_{name}_opts', REPO_ROOT / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_data_root_names_the_dataset_keys():
    cfg = Config.fromfile(str(PETS))
    unread = unread_options(cfg, {'data_root': 'elsewhere'})
    assert unread == {
        'data_root': [f'{loader}.dataset.data_root' for loader in LOADERS]
    }


def test_demo_variables():
    cfg = Config.fromfile(str(DEMO))
    unread = unread_options(
        cfg, {
            'data_root': '/tmp/x',
            'num_shots': 4,
            'max_epochs': 2,
            'model.backbone.pretrained': 'openai',  # a key: read
            'work_dir': 'w',  # read by the runner
            'train_cfg': dict(max_epochs=3),  # read by the runner
            'not_in_config': 1,
        })
    assert set(unread) == {'data_root', 'num_shots', 'max_epochs'}
    # the copies, and the description path built from data_root
    assert set(unread['data_root']) == {
        *(f'{loader}.dataset.data_root' for loader in LOADERS),
        'model.class_text.descriptions'
    }
    assert unread['num_shots'] == [
        f'{loader}.dataset.num_shots' for loader in LOADERS
    ]
    assert unread['max_epochs'] == ['train_cfg.max_epochs']


@pytest.mark.parametrize('tool', ['train', 'test'])
def test_tools_warn_before_merging(tool, monkeypatch):
    module = _load_tool(tool)
    seen = []
    monkeypatch.setattr(module, 'warn_unread_options',
                        lambda cfg, options: seen.append(
                            unread_options(cfg, options)))
    argv = [str(PETS)] + (['ck.pth'] if tool == 'test' else []) + [
        '--cfg-options', 'data_root=elsewhere',
        'train_dataloader.batch_size=4'
    ]
    cfg = module.merge_args(Config.fromfile(str(PETS)),
                            module.parse_args(argv))
    assert list(seen[0]) == ['data_root']
    # merged as asked, and indeed read by nothing else
    assert cfg.data_root == 'elsewhere'
    assert cfg.train_dataloader.dataset.data_root != 'elsewhere'
