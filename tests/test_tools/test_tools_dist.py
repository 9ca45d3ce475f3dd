"""Distributed settings of tools/train.py and tools/test.py (no launch).

``setup_distributed``: backend from the device unless the config can run
its own, DDP ``device_ids=None`` on CPU, ``find_unused_parameters`` from the
config (MMEngine's top-level key, False when unset), ``model_wrapper_cfg``
values winning. The 2-process runs are
in ``tests/test_distributed/``.
"""
import importlib.util
from pathlib import Path

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import MODEL_WRAPPERS

TOOLS = Path(__file__).resolve().parents[2] / 'tools'


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(
        f'hicropl_tools_dist_{name}', TOOLS / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOOL = {name: _load_tool(name) for name in ('train', 'test')}


@MODEL_WRAPPERS.register_module(name='HiCroPLToolsNotDDP', force=True)
class NotDDP(nn.Module):
    """A wrapper that is no DistributedDataParallel."""


def _cfg(launcher='pytorch', **extra):
    cfg = dict(
        launcher=launcher,
        model=dict(
            type='PromptCLIPClassifier',
            prompt_learner=dict(type='HiCroPLPromptLearner')),
        env_cfg=dict(dist_cfg=dict(backend='nccl')))  # the default runtime's
    cfg.update(extra)
    return Config(cfg)


@pytest.fixture(params=['cpu', 'gpu'])
def device(request, monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available',
                        lambda: request.param == 'gpu')
    return request.param


@pytest.mark.parametrize('tool', ['train', 'test'])
def test_no_launcher_changes_nothing(tool, device):
    cfg = TOOL[tool].setup_distributed(_cfg(launcher='none'))
    assert 'model_wrapper_cfg' not in cfg
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    TOOL[tool].init_process_group(cfg)  # nothing to initialise
    assert not torch.distributed.is_initialized()


@pytest.mark.parametrize('tool', ['train', 'test'])
def test_backend_and_device_ids_follow_the_device(tool, device):
    cfg = TOOL[tool].setup_distributed(_cfg())
    wrapper = cfg.model_wrapper_cfg
    assert wrapper.type == 'MMDistributedDataParallel'
    assert wrapper.broadcast_buffers is False
    if device == 'cpu':
        assert cfg.env_cfg.dist_cfg.backend == 'gloo'
        assert 'device_ids' in wrapper and wrapper.device_ids is None
    else:
        assert cfg.env_cfg.dist_cfg.backend == 'nccl'
        assert 'device_ids' not in wrapper  # MMEngine: [LOCAL_RANK]
    # no backend named: the device's
    cfg = _cfg()
    cfg.env_cfg.dist_cfg.pop('backend')
    TOOL[tool].setup_distributed(cfg)
    assert cfg.env_cfg.dist_cfg.backend == ('gloo'
                                            if device == 'cpu' else 'nccl')
    # a backend that runs here is kept (gloo on GPU)
    cfg = _cfg(env_cfg=dict(dist_cfg=dict(backend='gloo', timeout=60)))
    TOOL[tool].setup_distributed(cfg)
    assert cfg.env_cfg.dist_cfg == dict(backend='gloo', timeout=60)


@pytest.mark.parametrize('extra,find_unused', [(dict(), False),
                                               (dict(find_unused_parameters=True), True)])
def test_find_unused_parameters_from_config(device, extra, find_unused):
    cfg = TOOL['train'].setup_distributed(_cfg(**extra))
    assert cfg.model_wrapper_cfg.find_unused_parameters is find_unused
    # tools/test.py runs no backward: it leaves DDP's default
    cfg = TOOL['test'].setup_distributed(_cfg(**extra))
    assert 'find_unused_parameters' not in cfg.model_wrapper_cfg


def test_official_model_config_sets_find_unused_parameters(device):
    """The authors' HiCroPL leaves its mappers without gradient: its model
    config says so, the tools read nothing of the prompt learner."""
    cfg = Config.fromfile(str(Path(__file__).parents[2] / 'configs' / '_base_' / 'models' /
                              'hicropl-official_vit-b16.py'))
    cfg.launcher = 'pytorch'
    cfg = TOOL['train'].setup_distributed(cfg)
    assert cfg.model.prompt_learner.type == 'HiCroPLOfficialPromptLearner'
    assert cfg.model_wrapper_cfg.find_unused_parameters is True


def test_config_values_win(device):
    cfg = TOOL['train'].setup_distributed(
        _cfg(find_unused_parameters=True))  # MMEngine's top-level key
    assert cfg.model_wrapper_cfg.find_unused_parameters is True
    cfg = TOOL['train'].setup_distributed(
        _cfg(find_unused_parameters=True,
             model_wrapper_cfg=dict(find_unused_parameters=False,
                                    broadcast_buffers=True,
                                    static_graph=True)))
    assert cfg.model_wrapper_cfg.find_unused_parameters is False
    assert cfg.model_wrapper_cfg.broadcast_buffers is True
    assert cfg.model_wrapper_cfg.static_graph is True
    # another kind of wrapper gets no DDP arguments
    for tool in ('train', 'test'):
        cfg = TOOL[tool].setup_distributed(
            _cfg(model_wrapper_cfg=dict(type='HiCroPLToolsNotDDP')))
        assert cfg.model_wrapper_cfg == dict(type='HiCroPLToolsNotDDP')
