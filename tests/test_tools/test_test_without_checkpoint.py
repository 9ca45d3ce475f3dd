"""tools/test.py without a checkpoint: allowed only for a model that saves no
tensors; a PromptCLIPClassifier without prompt learner is such a model."""
import importlib.util
import os.path as osp

import pytest
import torch.nn as nn

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from projects.hicropl.testing import tiny_clip_arch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
spec = importlib.util.spec_from_file_location('hicropl_tools_test',
                                              osp.join(REPO, 'tools', 'test.py'))
test_tool = importlib.util.module_from_spec(spec)
spec.loader.exec_module(test_tool)


def build(prompt_learner):
    return MODELS.build(dict(
        type='PromptCLIPClassifier',
        backbone=dict(type='PromptedCLIP', arch=tiny_clip_arch(), pretrained=None),
        prompt_learner=prompt_learner, class_text=dict(type='TemplateTextEmbeddings'),
        classnames=['cat', 'dog']))


def test_checkpoint_argument_is_optional(monkeypatch):
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    assert test_tool.parse_args(['cfg.py']).checkpoint is None
    assert test_tool.parse_args(['cfg.py', 'ck.pth']).checkpoint == 'ck.pth'


def test_only_a_model_without_saved_tensors_tests_without_checkpoint():
    frozen = build(None)
    assert frozen.state_dict() == {}
    test_tool.check_needs_no_checkpoint(frozen)  # zero-shot: fine
    with pytest.raises(ValueError, match='give the checkpoint'):
        test_tool.check_needs_no_checkpoint(build(dict(type='CoOpPromptLearner', n_ctx=2)))
    with pytest.raises(ValueError, match='learned tensors'):
        test_tool.check_needs_no_checkpoint(nn.Linear(2, 2))
