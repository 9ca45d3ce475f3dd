"""tools/model_converters/hicropl_official_to_mmpretrain.py.

The authors' checkpoints are written here by the tests themselves, in their
format (README of ../shared/reference, section 3): a torch.save'd dict with
``state_dict`` (the whole model, fp16, authors' names, ``ctx`` also under
``cross_prompts_text.0``, both CLIP towers, the frozen teacher image encoder,
``logit_scale``, ``token_prefix``/``token_suffix``), ``epoch``, ``optimizer``,
``scheduler`` (a Dassl scheduler object referencing ``dassl.*`` and
``yacs.*`` classes, which are faked in ``sys.modules`` while saving and
removed before converting) and ``val_result``.
"""
import os
import os.path as osp
import pickle
import sys
import types
from collections import OrderedDict

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from mmpretrain.registry import MODELS
from model_zoo_helpers import build_tiny, images, load_tool, tiny_model_cfg
from projects.hicropl.engine import safe_torch_load
from projects.hicropl.testing import (find_reference_cases, recipe_arch,
                                      recipe_state_dict)
from projects.hicropl.testing.reference import ReferenceCase

converter = load_tool(
    'tools/model_converters/hicropl_official_to_mmpretrain.py')
P = 'prompt_learner.'


def authors_names(model) -> 'OrderedDict[str, torch.Tensor]':
    """Our prompt learner under the authors' parameter names (README 3)."""
    learner = model.prompt_learner
    out = OrderedDict()
    out[P + 'ctx'] = learner.text_prompts[0]
    for i, prompt in enumerate(learner.text_prompts):
        out[P + f'cross_prompts_text.{i}'] = prompt  # .0 is ctx again
    for i, prompt in enumerate(learner.visual_prompts):
        out[P + f'cross_prompts_visual.{i}'] = prompt
    for kind, proxies in (('text', learner.text_proxies),
                          ('visual', learner.visual_proxies)):
        for i, lkp in enumerate(proxies):
            out[P + f'{kind}_proxy_token.{i}'] = lkp.proxy
            for name, value in lkp.state_dict().items():
                if name != 'proxy':
                    out[P + f'attn_pooling_{kind}_nets.{i}.{name}'] = value
    for ours, theirs in (('text_to_visual', 'text2visual_net'),
                         ('visual_to_text', 'visual2text_net')):
        for name, value in getattr(learner, ours).state_dict().items():
            out[P + f'{theirs}.{name}'] = value
    return out


def authors_state_dict(model) -> 'OrderedDict[str, torch.Tensor]':
    """The authors' whole-model state dict, fp16."""
    state = authors_names(model)
    clip = model.backbone.clip
    num_classes, n_ctx = len(model.classnames), model.prompt_learner.n_ctx
    width = clip.token_embedding.weight.shape[1]
    state[P + 'token_prefix'] = torch.randn(num_classes, 1, width)
    state[P + 'token_suffix'] = torch.randn(num_classes, 76 - n_ctx, width)
    for name, value in clip.visual.state_dict().items():
        state['image_encoder.' + name] = value
        state['ZS_image_encoder.' + name] = value
    for name in ('positional_embedding', 'text_projection', 'ln_final.weight'):
        state['text_encoder.' + name] = clip.state_dict()[name]
    state['logit_scale'] = clip.logit_scale
    return OrderedDict((k, v.detach().half()) for k, v in state.items())


def fake_module(monkeypatch, name: str, **classes):
    module = types.ModuleType(name)
    for cls_name, cls in classes.items():
        cls.__module__, cls.__qualname__ = name, cls_name
        setattr(module, cls_name, cls)
    monkeypatch.setitem(sys.modules, name, module)
    parent = name.rpartition('.')[0]
    while parent:
        if parent not in sys.modules:
            monkeypatch.setitem(sys.modules, parent, types.ModuleType(parent))
        parent = parent.rpartition('.')[0]


def write_dassl_checkpoint(path, state_dict, monkeypatch) -> None:
    """torch.save a checkpoint as Dassl writes it, with Dassl/yacs objects
    defined only while saving."""

    class ConstantWarmupScheduler:

        def __init__(self, successor, cfg):
            self.successor, self.cfg, self.last_epoch = successor, cfg, 3

    class CfgNode(dict):
        pass

    with monkeypatch.context() as patch:
        fake_module(patch, 'dassl.optim.lr_scheduler',
                    ConstantWarmupScheduler=ConstantWarmupScheduler)
        fake_module(patch, 'yacs.config', CfgNode=CfgNode)
        param = torch.nn.Parameter(torch.zeros(2))
        optimizer = torch.optim.Adam([param], lr=0.0025)
        cosine = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, 10)
        cfg = CfgNode(OPTIM=CfgNode(NAME='adam', LR=0.0025))
        torch.save(
            dict(
                state_dict=state_dict,
                epoch=5,
                optimizer=optimizer.state_dict(),
                scheduler=ConstantWarmupScheduler(cosine, cfg),
                val_result=81.25), path)
    assert 'dassl.optim.lr_scheduler' not in sys.modules
    assert 'yacs.config' not in sys.modules


def write_config(path, model_cfg: dict) -> str:
    with open(path, 'w') as f:
        f.write("custom_imports = dict(imports=['projects.hicropl'])\n")
        f.write(f'model = {model_cfg!r}\n')
    return str(path)


def fp16_exact(model) -> None:
    """Make the trainable tensors fp16-representable (the authors save
    fp16), so that the round trip can be compared exactly."""
    with torch.no_grad():
        for param in model.prompt_learner.parameters():
            param.copy_(param.half().float())


def test_round_trip_gives_the_same_logits(tmp_path, monkeypatch):
    source = build_tiny('official')
    source.train()
    for step in range(2):  # official forwards rewrite the mapped prompts
        source.forward_features(images(seed=step))
    fp16_exact(source)
    src = tmp_path / 'model-best.pth.tar'
    write_dassl_checkpoint(src, authors_state_dict(source), monkeypatch)
    with pytest.raises(pickle.UnpicklingError):  # why a special reader
        torch.load(src, weights_only=True)

    config = write_config(tmp_path / 'tiny_official.py',
                          tiny_model_cfg('paper'))  # converter forces official
    dst = str(tmp_path / 'converted.pth')
    converter.main([str(src), dst, '--config', config,
                    '--classnames', ','.join(source.classnames)])

    checkpoint = safe_torch_load(dst)  # weights_only=True
    state = checkpoint['state_dict']
    assert set(state) == set(source.state_dict())  # trainable tensors only
    assert all(v.dtype == torch.float32 for v in state.values())
    meta = checkpoint['meta']
    assert meta['classnames'] == source.classnames
    assert meta['dataset_meta']['classes'] == source.classnames
    assert meta['prompt_learner'] == 'HiCroPLOfficialPromptLearner'
    assert meta['converted_from']['epoch'] == 5
    assert meta['converted_from']['val_result'] == 81.25
    assert meta['converted_from']['dropped_frozen_entries'] > 0

    loaded = MODELS.build(tiny_model_cfg('official'))
    load_checkpoint(loaded, dst)  # mmengine's path; classes from meta below
    loaded._dataset_meta = meta['dataset_meta']
    for name, value in source.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], value), name
    source.eval(), loaded.eval()
    with torch.no_grad():
        for step in range(2):  # official eval forwards mutate identically
            batch = images(seed=10 + step)
            assert torch.equal(loaded(batch), source(batch))


def test_ctx_and_cross_prompts_text_0_must_agree(tmp_path, monkeypatch):
    model = build_tiny('official')
    state = authors_state_dict(model)
    state[P + 'ctx'] = state[P + 'ctx'] + 1
    with pytest.raises(ValueError, match='different values'):
        converter.convert_state_dict(state)
    state = authors_state_dict(model)
    state[P + 'mystery_net.weight'] = torch.zeros(1)
    with pytest.raises(ValueError, match='mystery_net'):
        converter.convert_state_dict(state)


def test_wrong_config_names_the_options(tmp_path, monkeypatch):
    source = build_tiny('official')
    src = tmp_path / 'model.pth.tar-5'
    write_dassl_checkpoint(src, authors_state_dict(source), monkeypatch)
    cfg = Config(dict(model=tiny_model_cfg('official', n_ctx=4, depth=2)))
    with pytest.raises(ValueError, match='model.prompt_learner.n_ctx=3'):
        converter.convert(str(src), str(tmp_path / 'x.pth'), cfg)


class _Evil:

    def __init__(self, reduce):
        self.reduce = reduce

    def __reduce__(self):
        return self.reduce


@pytest.mark.parametrize('gadget', ['system', 'getattr', 'eval'])
def test_refuses_malicious_pickles(tmp_path, gadget):
    marker = tmp_path / 'pwned'
    command = f'touch {marker}'
    reduce = {
        'system': (os.system, (command, )),
        'getattr': (getattr, (object, '__subclasses__')),
        'eval': (eval, (f'__import__("os").system({command!r})', )),
    }[gadget]
    path = tmp_path / 'model-best.pth.tar'
    torch.save(dict(state_dict={}, scheduler=_Evil(reduce)), path)
    with pytest.raises(converter.UnsafeCheckpointError, match='Refusing'):
        converter.load_dassl_checkpoint(str(path))
    assert not marker.exists()


def test_stand_ins_keep_data_and_run_no_code(tmp_path, monkeypatch):
    model = build_tiny('official')
    src = tmp_path / 'model-best.pth.tar'
    write_dassl_checkpoint(src, authors_state_dict(model), monkeypatch)
    checkpoint = converter.load_dassl_checkpoint(str(src))
    scheduler = checkpoint['scheduler']
    assert isinstance(scheduler, converter.StandIn)
    assert scheduler.original == 'dassl.optim.lr_scheduler.' \
        'ConstantWarmupScheduler'
    assert scheduler.state['last_epoch'] == 3
    assert scheduler.state['cfg']['OPTIM']['NAME'] == 'adam'
    assert isinstance(scheduler.state['successor'], converter.StandIn)
    assert checkpoint['state_dict'][P + 'ctx'].dtype == torch.float16


CASES = find_reference_cases()


@pytest.fixture(scope='module')
def recipe_weights(tmp_path_factory):
    """The tiny reference CLIP of a recipe written once per module."""
    written = {}

    def get(case: ReferenceCase) -> str:
        key = case.meta['backbone_recipe_file']
        if key not in written:
            written[key] = str(tmp_path_factory.mktemp('recipe') / 'clip.pt')
            torch.save(recipe_state_dict(case.recipe), written[key])
        return written[key]

    return get


@pytest.mark.parity
@pytest.mark.parametrize('folder', CASES, ids=[osp.basename(c) for c in CASES])
def test_converted_reference_checkpoint_gives_the_authors_logits(
        folder, tmp_path, monkeypatch, recipe_weights, one_torch_thread):
    """A checkpoint of the authors' run (their names and values after 3
    Adam steps) converted and evaluated in `official` mode gives the
    evaluation logits their code computed from it."""
    case = ReferenceCase(folder)
    authors = OrderedDict(
        (name, torch.from_numpy(value))
        for name, value in case.learner_recipe().items())  # mappers, LKPs
    for key in case.arrays:
        if key.startswith('final/'):  # prompts and proxies after step 3
            authors[key[len('final/'):]] = torch.from_numpy(case[key])
    authors[P + 'cross_prompts_text.0'] = authors[P + 'ctx']
    src = tmp_path / 'model-best.pth.tar'
    write_dassl_checkpoint(src, authors, monkeypatch)

    weights = recipe_weights(case)
    cfg = case.config
    model_cfg = dict(
        type='PromptCLIPClassifier',
        backbone=dict(type='PromptedCLIP', arch=recipe_arch(case.recipe),
                      pretrained=weights),
        prompt_learner=dict(
            type='HiCroPLOfficialPromptLearner', n_ctx=cfg['N_CTX'],
            ctx_init=cfg['CTX_INIT'], depth=cfg['PROMPT_DEPTH'],
            cross_layer=cfg['CROSS_LAYER'],
            num_heads=cfg['mapper_and_lkp_heads']),
        class_text=dict(type='DescriptionTextEmbeddings',
                        descriptions=case.descriptions_file),
        head=dict(type='FusedFrozenHead'))
    dst = str(tmp_path / 'converted.pth')
    converter.convert(str(src), dst, Config(dict(model=model_cfg)),
                      case.meta['classnames'])

    model = MODELS.build(model_cfg)
    checkpoint = load_checkpoint(model, dst)
    model._dataset_meta = checkpoint['meta']['dataset_meta']
    assert model.classnames == case.meta['classnames']
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(case['images']))
    problem = case.mismatch('eval1/logits', logits)
    assert problem is None, problem
