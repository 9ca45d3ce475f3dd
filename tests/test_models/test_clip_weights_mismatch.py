"""CLIP weights files of another architecture get the plugin's own message
(not open_clip's ``text pos_embed width changed!`` assertion); another image
size is interpolated with a warning naming both sizes; a failed download of
a pretrained tag says how to use a local file instead."""
import logging
import urllib.error

import open_clip
import pytest
import torch

import projects.hicropl  # noqa: F401
from mmengine.logging import MMLogger
from mmpretrain.registry import MODELS
from projects.hicropl.errors import CheckpointError, UserError
from projects.hicropl.models.backbones.clip_weights_check import check_clip_weights
from projects.hicropl.testing import tiny_clip_arch


def other_arch(tower, **changes):
    arch = tiny_clip_arch()
    arch[tower] = dict(arch[tower], **changes)
    return arch


def save(path, arch, fmt):
    """Weights of ``arch`` as an open_clip file, a checkpoint with a
    ``state_dict`` entry and DDP ``module.`` prefixes, or an OpenAI
    TorchScript archive."""
    model = open_clip.model.CLIP(**arch).eval()
    if fmt == 'torchscript':
        torch.jit.save(torch.jit.script(model), str(path))
    elif fmt == 'nested':
        torch.save({'state_dict': {f'module.{k}': v for k, v in model.state_dict().items()}},
                   path)
    else:
        torch.save(model.state_dict(), path)
    return str(path)


def build(pretrained, arch=None):
    return MODELS.build(dict(type='PromptedCLIP', arch=arch or tiny_clip_arch(),
                             pretrained=pretrained))


@pytest.mark.parametrize('fmt', ['open_clip', 'nested', 'torchscript'])
def test_other_text_width_names_file_tensors_and_widths(tmp_path, fmt):
    path = save(tmp_path / 'wide_text.pt', other_arch('text_cfg', width=64), fmt)
    with pytest.raises(CheckpointError) as err:
        build(path)
    msg = str(err.value)
    assert isinstance(err.value, UserError)
    assert f'The CLIP checkpoint {path} does not fit the configured architecture' in msg
    assert 'text_width 64 (model: 48)' in msg
    assert 'text_projection (64, 32) vs (48, 32)' in msg
    assert 'set `arch` to the architecture the file was trained with' in msg
    assert 'pos_embed width changed' not in msg


def test_other_vision_width_and_depth(tmp_path):
    path = save(tmp_path / 'other.pt', other_arch('vision_cfg', width=96, layers=4), 'open_clip')
    with pytest.raises(CheckpointError) as err:
        build(path)
    msg = str(err.value)
    assert 'vision_width 96 (model: 64)' in msg and 'vision_layers 4 (model: 3)' in msg
    assert 'visual.conv1.weight (96, 3, 8, 8) vs (64, 3, 8, 8)' in msg
    assert 'not in the model: visual.transformer.resblocks.3.' in msg
    assert isinstance(err.value, ValueError)  # the builtin raised before


def test_fix_names_the_matching_open_clip_model():
    """The message names the open_clip model whose config the file fits."""
    with torch.device('meta'):  # shapes only: no memory, no weights
        vit_b_32 = open_clip.model.CLIP(**open_clip.get_model_config('ViT-B-32'))
    tiny = open_clip.model.CLIP(**tiny_clip_arch())
    error, notes = check_clip_weights(tiny, vit_b_32.state_dict(), 'b32.pt')
    assert "model.backbone.arch='ViT-B-32'" in error
    assert 'text_width 512 (model: 48)' in error and not notes


class Warnings(logging.Handler):

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_other_image_size_warns_before_interpolating(tmp_path):
    path = save(tmp_path / 'at48.pt', other_arch('vision_cfg', image_size=48), 'open_clip')
    logger = MMLogger.get_current_instance()
    capture = Warnings()
    logger.addHandler(capture)
    try:
        clip = build(path)
    finally:
        logger.removeHandler(capture)
    (msg, ) = [m for m in capture.messages if path in m]
    assert 'trained at 48px images, the model is configured for 32px' in msg
    assert 'interpolates' in msg
    assert clip.clip.visual.positional_embedding.shape == (17, 64)  # loaded, resized


def test_same_architecture_loads_without_warning(tmp_path):
    path = save(tmp_path / 'same.pt', tiny_clip_arch(), 'open_clip')
    logger = MMLogger.get_current_instance()
    capture = Warnings()
    logger.addHandler(capture)
    try:
        build(path)
    finally:
        logger.removeHandler(capture)
    assert not [m for m in capture.messages if path in m]


def test_failed_download_says_how_to_use_a_local_file(monkeypatch):

    def offline(*args, **kwargs):
        raise urllib.error.URLError('[Errno -3] Temporary failure in name resolution')

    # open_clip's factory imported the function by name: patch both.
    monkeypatch.setattr(open_clip.pretrained, 'download_pretrained', offline)
    monkeypatch.setattr(open_clip.factory, 'download_pretrained', offline)
    with pytest.raises(CheckpointError) as err:
        build('openai', arch='ViT-B-32')
    msg = str(err.value)
    assert "arch='ViT-B-32', pretrained='openai'" in msg
    assert 'Temporary failure in name resolution' in msg
    assert "model.backbone.pretrained='/path/to/file.pt'" in msg
    assert open_clip.get_pretrained_cfg('ViT-B-32', 'openai')['url'] in msg
