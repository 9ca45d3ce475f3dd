"""Build an open_clip CLIP and its tokenizer from a name or config, with
pretrained weights from an open_clip tag or a local file."""
import copy
import os.path as osp
import zipfile
from typing import Callable, Dict, Optional, Tuple, Union

import open_clip
import torch
import torch.nn as nn
from open_clip.factory import convert_state_dict, load_state_dict
from open_clip.model import resize_pos_embed, resize_text_pos_embed

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
    raise TypeError(f'arch must be an open_clip model name or a config '
                    f'dict, got {type(arch).__name__}')


def _build_named(name: str, pretrained: Optional[str],
                 quick_gelu: Optional[bool]) -> Tuple[nn.Module, Callable]:
    if open_clip.get_model_config(name) is None:
        raise ValueError(
            f'Unknown open_clip architecture {name!r}. Use one of '
            f'open_clip.list_models(), e.g. ViT-B-16, ViT-B-32, ViT-L-14.')
    tag_cfg = open_clip.get_pretrained_cfg(name, pretrained) if pretrained \
        else {}
    if pretrained and not tag_cfg and not osp.isfile(pretrained):
        raise ValueError(
            f'pretrained={pretrained!r} is neither an open_clip pretrained '
            f'tag of {name} (known tags: '
            f'{open_clip.list_pretrained_tags_by_model(name)}) nor an '
            f'existing checkpoint file. Fix the tag or the path.')
    if quick_gelu is None:
        quick_gelu = bool(tag_cfg.get('quick_gelu', False))
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
        raise FileNotFoundError(
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
        raise FileNotFoundError(
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
            raise RuntimeError(
                f'Cannot read CLIP weights from {path}: {reason} Only tensors '
                f'are loaded from checkpoint files (weights_only=True); '
                f'nothing from the file was executed.') from err
    return {
        k: v
        for k, v in state_dict.items() if k not in _OPENAI_META_KEYS
    }


def load_clip_weights(model: nn.Module, path: str) -> None:
    """Load a local CLIP checkpoint into ``model`` (strict)."""
    state_dict = convert_state_dict(model, read_clip_state_dict(path))
    # TorchScript archives also store non-persistent buffers (attn_mask).
    persistent = set(model.state_dict())
    for name, _ in model.named_buffers():
        if name not in persistent:
            state_dict.pop(name, None)
    if 'logit_scale' in state_dict:
        state_dict['logit_scale'] = state_dict['logit_scale'].reshape(
            model.logit_scale.shape)
    resize_pos_embed(state_dict, model)
    resize_text_pos_embed(state_dict, model)
    try:
        model.load_state_dict(state_dict, strict=True)
    except RuntimeError as err:
        lines = str(err).splitlines()
        if len(lines) > 6:  # one line per mismatching tensor: keep a few
            lines = lines[:6] + [f'\t... and {len(lines) - 6} more']
        details = '\n'.join(lines)
        raise ValueError(
            f'The CLIP checkpoint {path} does not fit the configured '
            f'architecture ({type(model).__name__}); set `arch` to the '
            f'architecture the file was trained with.\n{details}') from err


__all__ = ['build_open_clip', 'load_clip_weights', 'read_clip_state_dict']
