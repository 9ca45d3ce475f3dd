"""Shared helpers of the model-zoo tests: tiny models and the tools."""
import importlib.util
from pathlib import Path

import torch

import projects.hicropl  # noqa: F401
from mmpretrain.registry import MODELS
from projects.hicropl.testing import tiny_clip_arch

REPO_ROOT = Path(__file__).resolve().parents[2]
CLASSES = ['cat', 'dog', 'red_fox', 'sea turtle']


def load_tool(relative: str):
    """Import a script of ``tools/`` or ``demo/`` as a module."""
    path = REPO_ROOT / relative
    spec = importlib.util.spec_from_file_location(
        'hicropl_' + path.stem.replace('-', '_'), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LEARNERS = dict(paper='HiCroPLPromptLearner',
                official='HiCroPLOfficialPromptLearner')


def tiny_model_cfg(semantics: str = 'paper', **learner) -> dict:
    """HiCroPL on a tiny CLIP; ``semantics`` names the learner
    (:data:`LEARNERS`)."""
    learner = dict(
        dict(type=LEARNERS[semantics], n_ctx=3, depth=3, cross_layer=1,
             num_heads=4), **learner)
    return dict(
        type='PromptCLIPClassifier',
        backbone=dict(type='PromptedCLIP', arch=tiny_clip_arch(),
                      pretrained=None),
        prompt_learner=learner,
        class_text=dict(type='TemplateTextEmbeddings'),
        head=dict(type='FusedFrozenHead'),
        losses=[dict(type='LogitsLoss'),
                dict(type='ConsistencyLoss', loss_weight=1.0)])


def build_tiny(semantics: str = 'paper', classnames=CLASSES, **learner):
    return MODELS.build(dict(tiny_model_cfg(semantics, **learner),
                             classnames=classnames))


def images(n: int = 4, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, 3, 32, 32, generator=generator)


def write_descriptions(path, classes=CLASSES) -> str:
    import json
    table = {c.replace('_', ' '): [f'a photo of a {c}.', f'a small {c}.']
             for c in classes}
    with open(path, 'w') as f:
        json.dump(table, f)
    return str(path)


def write_tiny_setup(folder):
    """A tiny config (description file included), a checkpoint with the
    meta a training run writes, and three image files.

    Returns:
        dict: ``config``, ``checkpoint``, ``images``, ``descriptions``.
    """
    import numpy as np
    from mmengine.runner import save_checkpoint
    from PIL import Image

    from projects.hicropl.engine.hooks.checkpoint_meta_hook import \
        checkpoint_meta
    folder = Path(folder)
    descriptions = write_descriptions(folder / 'descriptions.json')
    model_cfg = tiny_model_cfg()
    model_cfg['class_text'] = dict(
        type='DescriptionTextEmbeddings', descriptions=descriptions)
    config = folder / 'tiny_hicropl.py'
    pipeline = [
        # the loader of the real configs: MMPretrain's inferencer keeps it
        dict(type='SafeLoadImageFromFile'),
        dict(type='ResizeEdge', scale=32, edge='short', backend='pillow'),
        dict(type='CenterCrop', crop_size=32),
        dict(type='PackInputs'),
    ]
    config.write_text(
        "custom_imports = dict(imports=['projects.hicropl'])\n"
        "default_scope = 'mmpretrain'\n"
        f'model = {model_cfg!r}\n'
        'test_dataloader = dict(dataset=dict(type="HiCroPLDemoDataset", '
        f'pipeline={pipeline!r}))\n')
    model = MODELS.build(dict(model_cfg, classnames=CLASSES))
    with torch.no_grad():  # trained-looking prompts
        for param in model.prompt_learner.parameters():
            param.add_(torch.randn_like(param) * 0.1)
    checkpoint = str(folder / 'tiny_hicropl.pth')
    save_checkpoint(
        dict(meta=dict(checkpoint_meta(model),
                       dataset_meta=dict(classes=CLASSES)),
             state_dict=model.state_dict()), checkpoint)
    rng = np.random.RandomState(0)
    image_files = []
    for i, (h, w) in enumerate([(40, 48), (48, 40), (36, 36)]):
        path = folder / f'image_{i}.png'
        Image.fromarray(rng.randint(0, 256, (h, w, 3), dtype=np.uint8)).save(
            path)
        image_files.append(str(path))
    return dict(config=str(config), checkpoint=checkpoint,
                images=image_files, descriptions=descriptions)
