"""Check that a CLIP state dict fits an open_clip ``CLIP`` before loading.

open_clip's loader asserts on another text width (``text pos_embed width
changed!``) and silently interpolates the positional embeddings of another
image size or text context. :func:`check_clip_weights` compares the tensors
first: another architecture gives one message naming the file, the
mismatching tensors, both architectures and the open_clip model names that
match the file; another image size or context length gives a note (the
caller logs it as a warning) before the interpolation.
"""
import math
import re
from typing import Dict, List, Optional, Tuple

import open_clip
import torch
import torch.nn as nn

_POS_EMBEDS = ('visual.positional_embedding', 'positional_embedding')
_SHOWN = 5  # tensors listed per kind of problem


def describe_clip_state(state: Dict[str, torch.Tensor]) -> Dict[str, int]:
    """Architecture numbers readable from a CLIP state dict (absent ones
    are left out)."""

    def shape(key, dim):
        tensor = state.get(key)
        return None if tensor is None or tensor.dim() <= dim else int(
            tensor.shape[dim])

    def layers(prefix):
        found = {
            int(m.group(1))
            for m in (re.match(re.escape(prefix) + r'(\d+)\.', k)
                      for k in state) if m
        }
        return len(found) or None

    desc = dict(
        embed_dim=shape('text_projection', 1),
        vision_width=shape('visual.conv1.weight', 0),
        vision_layers=layers('visual.transformer.resblocks.'),
        patch_size=shape('visual.conv1.weight', 3),
        text_width=shape('token_embedding.weight', 1),
        text_layers=layers('transformer.resblocks.'),
        context_length=shape('positional_embedding', 0))
    tokens = shape('visual.positional_embedding', 0)
    if tokens and desc['patch_size']:
        desc['image_size'] = math.isqrt(tokens - 1) * desc['patch_size']
    return {k: v for k, v in desc.items() if v is not None}


def matching_model_names(desc: Dict[str, int]) -> List[str]:
    """open_clip model names whose config has the numbers of ``desc``."""
    names = []
    for name in open_clip.list_models():
        cfg = open_clip.get_model_config(name) or {}
        vision, text = cfg.get('vision_cfg', {}), cfg.get('text_cfg', {})
        size = vision.get('image_size')
        known = dict(
            embed_dim=cfg.get('embed_dim'),
            vision_width=vision.get('width'),
            vision_layers=vision.get('layers'),
            patch_size=vision.get('patch_size'),
            image_size=size[0] if isinstance(size, (list, tuple)) else size,
            text_width=text.get('width'),
            text_layers=text.get('layers'),
            context_length=text.get('context_length', 77))
        if all(known.get(k) == v for k, v in desc.items()):
            names.append(name)
    return names


def _differences(file_desc: Dict[str, int], model_desc: Dict[str, int]) -> str:
    diff = [
        f'{k} {v} (model: {model_desc.get(k)})' for k, v in file_desc.items()
        if model_desc.get(k) != v
    ]
    return ', '.join(diff) or 'the same numbers as the model'


def _listed(items: List[str]) -> str:
    more = f'; ... and {len(items) - _SHOWN} more' if len(
        items) > _SHOWN else ''
    return '; '.join(items[:_SHOWN]) + more


def _fix(file_desc: Dict[str, int]) -> str:
    names = matching_model_names(file_desc)
    if not names:
        return ('set `arch` to the architecture the file was trained with '
                '(an open_clip config dict with the numbers above).')
    return (f'set `arch` to the architecture the file was trained with: '
            f"model.backbone.arch={names[0]!r} (open_clip names with these "
            f'numbers: {names[:6]}).')


def check_clip_weights(model: nn.Module, state: Dict[str, torch.Tensor],
                       path: str) -> Tuple[Optional[str], List[str]]:
    """Compare a converted CLIP state dict with ``model``.

    Args:
        model (nn.Module): The open_clip ``CLIP`` to load into.
        state (dict): Its converted state dict (open_clip key names).
        path (str): The weights file, for the messages.

    Returns:
        tuple: ``(error, notes)``. ``error`` is the message of an
        architecture mismatch (None if the tensors fit); ``notes`` are
        warnings about positional embeddings open_clip will interpolate
        (another image size or text context length).
    """
    expected = model.state_dict()
    resized = [
        f'{k} {tuple(v.shape)} vs {tuple(expected[k].shape)}'
        for k, v in state.items()
        if k in expected and k not in _POS_EMBEDS
        and tuple(v.shape) != tuple(expected[k].shape)
    ]
    resized += [
        f'{k} width {state[k].shape[-1]} vs {expected[k].shape[-1]}'
        for k in _POS_EMBEDS if k in state and k in expected
        and state[k].shape[-1] != expected[k].shape[-1]
    ]
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    file_desc = describe_clip_state(state)
    model_desc = describe_clip_state(expected)
    if resized or missing or unexpected:
        problems = [
            f'{what} ({len(keys)}, file vs model): {_listed(keys)}'
            if what == 'size mismatch' else f'{what}: {_listed(keys)}'
            for what, keys in (('size mismatch', resized),
                               ('missing in the file', missing),
                               ('not in the model', unexpected)) if keys
        ]
        return (f'The CLIP checkpoint {path} does not fit the configured '
                f'architecture ({type(model).__name__}): the file has '
                f'{_differences(file_desc, model_desc)}. ' +
                '. '.join(problems) +
                f'. Fix: {_fix(file_desc)}'), []
    notes = []
    if file_desc.get('image_size') != model_desc.get('image_size'):
        notes.append(
            f"The CLIP checkpoint {path} was trained at "
            f"{file_desc.get('image_size')}px images, the model is "
            f"configured for {model_desc.get('image_size')}px: open_clip "
            f'interpolates its positional embeddings (bicubic), so the '
            f'image features are not those the weights were trained with. '
            f'To use them as trained, {_fix(file_desc)}')
    if file_desc.get('context_length') != model_desc.get('context_length'):
        notes.append(
            f"The CLIP checkpoint {path} has a text context of "
            f"{file_desc.get('context_length')} tokens, the model "
            f"{model_desc.get('context_length')}: open_clip interpolates "
            f'its text positional embeddings (linear). To use them as '
            f'trained, {_fix(file_desc)}')
    return None, notes
