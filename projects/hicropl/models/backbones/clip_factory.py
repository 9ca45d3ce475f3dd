"""Build an open_clip CLIP and its tokenizer from a name or config, with
pretrained weights from an open_clip tag or a local file."""
import copy
import os.path as osp
import zipfile
from typing import Callable, Dict, Optional, Tuple, Union

import open_clip
import open_clip.pretrained
import torch
import torch.nn as nn
from mmengine.logging import MMLogger
from open_clip.factory import convert_state_dict, load_state_dict
from open_clip.model import resize_pos_embed, resize_text_pos_embed

from ...errors import CheckpointError, ConfigError, UserError
from .clip_weights_check import check_clip_weights

# Non-tensor entries of OpenAI-format state dicts.
_OPENAI_META_KEYS = ('input_resolution', 'context_length', 'vocab_size')


def build_open_clip(
        arch: Union[str, Dict],
        pretrained: Optional[str] = None,
        quick_gelu: Optional[bool] = None) -> Tuple[nn.Module, Callable]:
    """Build an fp32 open_clip ``CLIP`` and its tokenizer.

    Args:
        arch: An open_clip model name or a model config dict.
        pretrained: An open_clip pretrained tag of ``arch``, a local
            checkpoint file, or None for random weights.
        quick_gelu: Force QuickGELU; None follows the config and the tag.

    Returns:
        tuple: ``(model, tokenizer)``.
    """
    if isinstance(arch, str):
        return _build_named(arch, pretrained, quick_gelu)
    if isinstance(arch, dict):
        return _build_from_config(arch, pretrained, quick_gelu)
    raise ArchTypeError(
        f'model.backbone.arch must be an open_clip model name (e.g. '
        f"'ViT-B-16') or an open_clip model config dict, got "
        f'{type(arch).__name__}')


def _build_named(name: str, pretrained: Optional[str],
                 quick_gelu: Optional[bool]) -> Tuple[nn.Module, Callable]:
    if open_clip.get_model_config(name) is None:
        raise ConfigError(
            f'Unknown open_clip architecture {name!r}. Use one of '
            f'open_clip.list_models(), e.g. ViT-B-16, ViT-B-32, ViT-L-14.')
    tag_cfg = open_clip.get_pretrained_cfg(name, pretrained) if pretrained \
        else {}
    if pretrained and not tag_cfg and not osp.isfile(pretrained):
        raise ConfigError(
            f'pretrained={pretrained!r} is neither an open_clip pretrained '
            f'tag of {name} (known tags: '
            f'{open_clip.list_pretrained_tags_by_model(name)}) nor an '
            f'existing checkpoint file. Fix the tag or the path.')
    if quick_gelu is None:
        quick_gelu = bool(tag_cfg.get('quick_gelu', False))
    if tag_cfg:
        _download_tag(name, pretrained, tag_cfg)
    model = open_clip.create_model(
        name,
        pretrained=pretrained if tag_cfg else None,
        force_quick_gelu=quick_gelu,
        pretrained_text=False)
    if pretrained and not tag_cfg:
        load_clip_weights(model, pretrained)
    model.float()
    return model, open_clip.get_tokenizer(name)


def _build_from_config(cfg: Dict, pretrained: Optional[str],
                       quick_gelu: Optional[bool]
                       ) -> Tuple[nn.Module, Callable]:
    cfg = copy.deepcopy(dict(cfg))
    if quick_gelu is not None:
        cfg['quick_gelu'] = quick_gelu
    if pretrained and not osp.isfile(pretrained):
        raise WeightsFileNotFoundError(
            f'CLIP checkpoint file not found: {pretrained}. With an open_clip '
            f'config dict as `arch`, `pretrained` must be an existing local '
            f'checkpoint file (open_clip tags such as "openai" need an '
            f'architecture name, e.g. arch="ViT-B-16").')
    model = open_clip.model.CLIP(**cfg)
    if pretrained:
        load_clip_weights(model, pretrained)
    context_length = model.positional_embedding.shape[0]
    tokenizer = open_clip.SimpleTokenizer(context_length=context_length)
    return model.float(), tokenizer


def _download_tag(name: str, tag: str, tag_cfg: Dict) -> None:
    """Fetch (or find in open_clip's cache) the weights of a pretrained tag,
    so that a failed download says how to use a local file instead."""
    try:
        open_clip.pretrained.download_pretrained(tag_cfg)
    except Exception as err:  # no network, proxy, hub error, bad checksum
        source = tag_cfg.get('url') or tag_cfg.get('hf_hub') or 'the hub'
        raise CheckpointError(
            f'Cannot download the CLIP weights arch={name!r}, '
            f'pretrained={tag!r} from {source}: '
            f'{str(err).strip() or type(err).__name__}. Without network '
            f'access, copy the weights file to this machine and point the '
            f'config at it: model.backbone.pretrained=\'/path/to/file.pt\' '
            f'(e.g. --cfg-options model.backbone.pretrained=/path/to/'
            f'file.pt), keeping arch={name!r}; open_clip checkpoints and '
            f'OpenAI\'s released .pt files are both read.') from err


class WeightsFileNotFoundError(UserError, FileNotFoundError):
    """The configured local CLIP weights file does not exist."""


class ArchitectureMismatchError(CheckpointError, ValueError):
    """A CLIP weights file of another architecture than the configured one."""


class ArchTypeError(ConfigError, TypeError):
    """``arch`` is neither an open_clip model name nor a config dict."""


def _is_torchscript_archive(path: str) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(n.endswith('constants.pkl') for n in archive.namelist())


def read_clip_state_dict(path: str) -> Dict[str, torch.Tensor]:
    """Read CLIP weights from a local file without unpickling code.

    Accepts open_clip checkpoints (``.pt``/``.bin``/``.safetensors``, plain
    or under ``state_dict``), OpenAI-format state dicts and OpenAI's
    TorchScript archives (read with ``torch.jit.load``, which runs no
    pickled Python).
    """
    if not osp.isfile(path):
        raise WeightsFileNotFoundError(
            f'CLIP checkpoint file not found: {path}. Set `pretrained` to an '
            f'existing file or to an open_clip tag such as "openai".')
    if _is_torchscript_archive(path):
        state_dict = torch.jit.load(path, map_location='cpu').state_dict()
    else:
        try:
            state_dict = load_state_dict(path, weights_only=True)
        except Exception as err:  # unpickling refused, corrupt file, ...
            lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
            # torch's refusal: keep what was refused, not its advice to retry
            # with weights_only=False
            reason = ' '.join(ln for ln in lines if 'GLOBAL' in ln) or (
                lines[0] if lines else type(err).__name__)
            raise CheckpointError(
                f'Cannot read CLIP weights from {path}: {reason} Only tensors '
                f'are loaded from checkpoint files (weights_only=True); '
                f'nothing from the file was executed.') from err
    return {
        k: v
        for k, v in state_dict.items() if k not in _OPENAI_META_KEYS
    }


def load_clip_weights(model: nn.Module, path: str) -> None:
    """Load a local CLIP checkpoint into ``model`` (strict).

    Raises:
        ArchitectureMismatchError: The file holds another architecture
            (other widths, depths, patch size or missing tensors); the
            message names the tensors, both architectures and the open_clip
            names matching the file.
    """
    state_dict = convert_state_dict(model, read_clip_state_dict(path))
    # TorchScript archives also store non-persistent buffers (attn_mask).
    persistent = set(model.state_dict())
    for name, _ in model.named_buffers():
        if name not in persistent:
            state_dict.pop(name, None)
    if 'logit_scale' in state_dict:
        state_dict['logit_scale'] = state_dict['logit_scale'].reshape(
            model.logit_scale.shape)
    # Before open_clip's resizing, which asserts on other widths and
    # interpolates other image sizes silently.
    error, notes = check_clip_weights(model, state_dict, path)
    if error:
        raise ArchitectureMismatchError(error)
    for note in notes:
        MMLogger.get_current_instance().warning(note)
    resize_pos_embed(state_dict, model)
    resize_text_pos_embed(state_dict, model)
    model.load_state_dict(state_dict, strict=True)


__all__ = [
    'ArchitectureMismatchError', 'WeightsFileNotFoundError', 'build_open_clip',
    'load_clip_weights', 'read_clip_state_dict'
]
