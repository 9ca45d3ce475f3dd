"""Lean checkpoints: only what training changed, strict on trainable keys."""
import os
from types import SimpleNamespace

import pytest
import torch
from mmengine.runner import load_checkpoint, save_checkpoint

import projects.hicropl
from mmpretrain.registry import MODELS
from model_zoo_helpers import CLASSES, build_tiny, images, tiny_model_cfg
from projects.hicropl.engine import safe_torch_load
from projects.hicropl.engine.hooks.checkpoint_meta_hook import (
    CheckpointMetaHook, checkpoint_meta)
from projects.hicropl.models.classifiers.prompt_clip import \
    CheckpointMismatchError
from projects.hicropl.testing import tiny_clip_arch


def trainable_names(model):
    return {n for n, p in model.named_parameters() if p.requires_grad}


def full_state(model):
    """What a checkpoint without the lean mechanism would hold."""
    state = dict(model.state_dict())
    state.update({f'backbone.clip.{k}': v
                  for k, v in model.backbone.clip.state_dict().items()})
    return state


def test_state_dict_holds_exactly_the_trainable_tensors():
    model = build_tiny()
    state = model.state_dict()
    assert set(state) == trainable_names(model)
    assert not any(k.startswith('backbone') for k in state)
    assert model.backbone.state_dict() == {}


def test_random_backbone_is_rebuilt_identically_without_touching_the_rng():
    rng = torch.get_rng_state()
    a = MODELS.build(dict(type='PromptedCLIP', arch=tiny_clip_arch(),
                          pretrained=None))
    assert torch.equal(torch.get_rng_state(), rng)
    torch.manual_seed(123)  # whatever the global seed, the same weights
    b = MODELS.build(dict(type='PromptedCLIP', arch=tiny_clip_arch(),
                          pretrained=None))
    for (name, x), y in zip(a.clip.state_dict().items(),
                            b.clip.state_dict().values()):
        assert torch.equal(x, y), name


def test_lean_checkpoint_reloads_the_same_predictions(tmp_path):
    source = build_tiny()
    path = str(tmp_path / 'lean.pth')
    save_checkpoint(dict(meta=checkpoint_meta(source),
                         state_dict=source.state_dict()), path)
    torch.manual_seed(7)  # different prompts before loading
    target = build_tiny()
    assert not torch.equal(target.prompt_learner.text_prompts[0],
                           source.prompt_learner.text_prompts[0])
    checkpoint = load_checkpoint(target, path)
    assert checkpoint['meta']['backbone']['arch'] == tiny_clip_arch()
    batch = images()
    source.eval(), target.eval()
    with torch.no_grad():
        assert torch.equal(source(batch), target(batch))


def test_full_checkpoints_load_their_frozen_weights():
    source, target = build_tiny(), build_tiny()
    state = full_state(source)
    key = 'backbone.clip.visual.proj'
    state[key] = state[key] + 1  # e.g. a checkpoint of other CLIP weights
    target.load_state_dict(state, strict=True)
    assert torch.equal(target.backbone.clip.visual.proj, state[key])


@pytest.mark.parametrize('problem', ['missing', 'unexpected', 'shape'])
def test_trainable_mismatch_is_an_error_on_every_path(tmp_path, problem):
    model = build_tiny()
    state = dict(model.state_dict())
    if problem == 'missing':
        del state['prompt_learner.visual_prompts.2']
        match = r"missing: \['prompt_learner.visual_prompts.2'\]"
    elif problem == 'unexpected':
        state['prompt_learner.text_prompts.3'] = torch.zeros(3, 48)
        match = r"unexpected: \['prompt_learner.text_prompts.3'\]"
    else:
        state['prompt_learner.text_prompts.0'] = torch.zeros(4, 48)
        match = r'prompt_learner.text_prompts.0 \(4, 48\) vs \(3, 48\)'
    with pytest.raises(CheckpointMismatchError, match=match):
        model.load_state_dict(state)
    with pytest.raises(CheckpointMismatchError, match=match):
        model.load_state_dict(state, strict=False)
    path = str(tmp_path / 'bad.pth')
    torch.save(dict(state_dict=state), path)
    with pytest.raises(CheckpointMismatchError, match='config the checkpoint'):
        load_checkpoint(model, path)  # mmengine: strict=False by default
    # Deliberate partial loading goes through the submodule.
    model.prompt_learner.load_state_dict(
        {'text_prompts.0': torch.ones(3, 48)}, strict=False)
    assert torch.equal(model.prompt_learner.text_prompts[0], torch.ones(3, 48))


def test_loading_resets_the_eval_text_cache():
    model = build_tiny().eval()
    with torch.no_grad():
        model(images())
    assert model._eval_text_features is not None
    model.load_state_dict(build_tiny().state_dict())
    assert model._eval_text_features is None


def test_checkpoint_meta_hook_writes_and_checks_meta(monkeypatch):
    model = build_tiny('official')
    runner = SimpleNamespace(model=model)
    checkpoint = dict(meta=dict(classnames=['kept']))
    hook = CheckpointMetaHook()
    hook.before_save_checkpoint(runner, checkpoint)
    meta = checkpoint['meta']
    assert meta['hicropl_version'] == projects.hicropl.__version__
    assert meta['backbone'] == dict(arch=tiny_clip_arch(), pretrained=None)
    assert meta['prompt_learner'] == 'HiCroPLOfficialPromptLearner'
    assert meta['classnames'] == ['kept']  # ClassNamesHook's entry wins
    warnings = []
    logger = SimpleNamespace(warning=warnings.append)
    monkeypatch.setattr('mmengine.logging.MMLogger.get_current_instance',
                        lambda: logger)
    hook.after_load_checkpoint(runner, checkpoint)
    assert warnings == []
    meta['backbone'] = dict(arch='ViT-B-16', pretrained='openai')
    meta['prompt_learner'] = 'HiCroPLPromptLearner'
    hook.after_load_checkpoint(runner, checkpoint)
    assert len(warnings) == 2 and 'ViT-B-16' in warnings[0]


def test_vit_b16_paper_checkpoint_is_lean(tmp_path):
    """ViT-B/16 shapes, the paper's setting (16 tokens, depth 12, k = 6):
    the checkpoint holds exactly the trainable tensors, tens of millions of
    values, almost all in the LKPs and mappers, and no backbone tensor."""
    cfg = tiny_model_cfg(n_ctx=16, depth=12, cross_layer=6, num_heads=8)
    cfg['backbone'] = dict(type='PromptedCLIP', arch='ViT-B-16',
                           pretrained=None)
    model = MODELS.build(cfg)
    path = str(tmp_path / 'hicropl_vit-b16.pth')
    save_checkpoint(dict(meta=dict(checkpoint_meta(model), classnames=CLASSES),
                         state_dict=model.state_dict()), path)
    checkpoint = safe_torch_load(path)  # weights_only=True
    state = checkpoint['state_dict']
    params = dict(model.named_parameters())
    assert set(state) == trainable_names(model)
    assert not any(k.startswith('backbone.') for k in state)
    for key, value in state.items():
        assert value.shape == params[key].shape, key
    values = sum(v.numel() for v in state.values())
    assert 10_000_000 < values < 100_000_000, values
    prompts = sum(v.numel() for k, v in state.items()
                  if k.split('.')[1] in ('text_prompts', 'visual_prompts'))
    assert prompts == 12 * 16 * (512 + 768)
    assert (values - prompts) / values > 0.99  # LKPs and mappers
    attention = sum(v.numel() for k, v in state.items() if '.attn.' in k)
    assert attention / values > 0.6
    frozen = sum(p.numel() for p in model.backbone.parameters())
    assert frozen > 100_000_000
    assert checkpoint['meta']['backbone'] == dict(arch='ViT-B-16',
                                                  pretrained=None)
    assert checkpoint['meta']['classnames'] == CLASSES
    size = os.path.getsize(path)
    assert values * 4 < size < values * 4 * 1.01  # tensors + small meta
