"""Read the reference outputs of the authors' code (``shared/reference``).

A reference root holds ``tiny_clip_recipe.json``, ``cases/<id>/`` (one
HiCroPL configuration each), ``baselines/<method>_<setting>/`` (the other
methods of the authors' repository, same format, ``case.json`` names the
``method``) and ``fewshot/``. Roots are the repository's
``../shared/reference`` and, when set, ``$HICROPL_REFERENCE_DIR``.
"""
import fnmatch
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
ENV_VAR = 'HICROPL_REFERENCE_DIR'


def reference_roots() -> List[str]:
    """Existing reference folders: the shared one, then ``$ENV_VAR``."""
    roots = [osp.join(REPO_ROOT, '..', 'shared', 'reference')]
    extra = os.environ.get(ENV_VAR)
    if extra:
        if not osp.isdir(extra):
            raise FileNotFoundError(
                f'${ENV_VAR}={extra} is not a folder; point it at a reference '
                f'folder (with cases/ and/or fewshot/) or unset it.')
        roots.append(extra)
    return [osp.normpath(r) for r in roots if osp.isdir(r)]


def recipe_tensor(entry: Dict) -> np.ndarray:
    """Regenerate one recipe tensor (float32) and check its checksum."""
    shape = tuple(entry['shape'])
    z = np.random.RandomState(entry['seed']).standard_normal(size=shape)
    value = np.asarray(
        np.asarray(z, dtype=np.float32) * np.float32(entry['std']) +
        np.float32(entry['offset']),
        dtype=np.float32)
    checksum = entry.get('checksum')
    if checksum:
        as64 = value.astype(np.float64)
        for got, want in ((as64.sum(), checksum['sum']),
                          ((as64**2).sum(), checksum['sumsq'])):
            if not np.isclose(got, want, rtol=1e-9, atol=1e-9):
                raise ValueError(f'Checksum mismatch for {entry["name"]}: '
                                 f'{got} != {want}')
    return value


def recipe_arch(recipe: Dict) -> Dict:
    """open_clip model config of a recipe's architecture."""
    a = recipe['architecture']
    return dict(
        embed_dim=a['embed_dim'],
        quick_gelu=True,
        vision_cfg=dict(
            image_size=a['image_resolution'],
            patch_size=a['vision_patch_size'],
            width=a['vision_width'],
            layers=a['vision_layers'],
            head_width=a['vision_width'] // a['vision_heads']),
        text_cfg=dict(
            context_length=a['context_length'],
            vocab_size=a['vocab_size'],
            width=a['transformer_width'],
            heads=a['transformer_heads'],
            layers=a['transformer_layers']))


def recipe_state_dict(recipe: Dict) -> Dict[str, torch.Tensor]:
    """The recipe's OpenAI-format CLIP state dict (float32)."""
    return {
        e['name']: torch.from_numpy(recipe_tensor(e))
        for e in recipe['tensors']
    }


class ReferenceCase:
    """One ``cases/<id>`` folder: config, arrays and tolerances."""

    def __init__(self, folder: str):
        self.folder = folder
        with open(osp.join(folder, 'case.json')) as f:
            self.meta = json.load(f)
        self.id = self.meta['id']
        with open(osp.join(folder, self.meta['backbone_recipe_file'])) as f:
            self.recipe = json.load(f)
        with np.load(osp.join(folder, self.meta['arrays_file'])) as arrays:
            self.arrays = {k: arrays[k] for k in arrays.files}
        for key, spec in self.meta['arrays'].items():
            if key not in self.arrays:
                raise KeyError(f'{folder}: array {key} missing')
            if list(self.arrays[key].shape) != list(spec['shape']):
                raise ValueError(f'{folder}: array {key} has shape '
                                 f'{self.arrays[key].shape}, expected '
                                 f'{spec["shape"]}')

    @property
    def config(self) -> Dict:
        return self.meta['config']

    @property
    def method(self) -> str:
        """``'HiCroPL'`` for ``cases/``, else the case's ``method``."""
        return self.meta.get('method', 'HiCroPL')

    @property
    def descriptions_file(self) -> Optional[str]:
        name = self.meta.get('descriptions_file')
        return osp.join(self.folder, name) if name else None

    def __getitem__(self, key: str) -> np.ndarray:
        return self.arrays[key]

    def tolerance(self, key: str) -> Tuple[float, float]:
        """``(atol, rtol)`` of the group whose keys match ``key``."""
        for group in self.meta['tolerances']['groups'].values():
            for pattern in group['keys']:
                pattern = pattern.replace('stepK', 'step[0-9]').replace(
                    'evalJ', 'eval[0-9]')
                if fnmatch.fnmatchcase(key, pattern):
                    return group['atol'], group['rtol']
        raise KeyError(f'{self.id}: no tolerance group covers {key}')

    def mismatch(self, key: str, got) -> Optional[str]:
        """None when ``got`` matches array ``key`` within tolerance."""
        want = self.arrays[key]
        got = got.detach().cpu().numpy() if isinstance(got,
                                                       torch.Tensor) else got
        got = np.asarray(got)
        if got.shape != want.shape:
            return f'{key}: shape {got.shape} != {want.shape}'
        atol, rtol = self.tolerance(key)
        excess = np.abs(got.astype(np.float64) - want) - (
            atol + rtol * np.abs(want))
        if (excess > 0).any():
            err = np.abs(got.astype(np.float64) - want).max()
            return f'{key}: max |err| {err:.3g} (atol {atol}, rtol {rtol})'
        return None

    def learner_recipe(self) -> Dict[str, np.ndarray]:
        """Initial prompt-learner tensors under the authors' names (aliases
        expanded; ``token_embedding`` entries resolved)."""
        token_embedding = None
        values = {}
        for entry in self.meta['prompt_learner_recipe']:
            if entry.get('source') == 'token_embedding':
                if token_embedding is None:
                    token_embedding = recipe_tensor(
                        next(e for e in self.recipe['tensors']
                             if e['name'] == 'token_embedding.weight'))
                ids = entry['token_ids'][1:1 + entry['n_ctx']]
                value = token_embedding[ids]
            else:
                value = recipe_tensor(entry)
            for name in [entry['name'], *entry.get('aliases', [])]:
                values[name] = value
        return values


def _case_folders(kind: str) -> List[str]:
    cases = []
    for root in reference_roots():
        folder = osp.join(root, kind)
        if osp.isdir(folder):
            cases += sorted(
                osp.join(folder, c) for c in os.listdir(folder)
                if osp.isdir(osp.join(folder, c)))
    return cases


def find_reference_cases() -> List[str]:
    """Every ``cases/<id>`` folder (HiCroPL) of every reference root."""
    return _case_folders('cases')


def find_baseline_cases(method: str) -> List[str]:
    """Every ``baselines/<id>`` folder of ``method`` (e.g. ``'CoOp'``) of
    every reference root: the ``method`` of its ``case.json``, or, for a
    folder whose ``case.json`` cannot be read, the folder-name prefix
    ``<method lower case>_`` (so that a broken case fails its test instead
    of vanishing)."""
    found = []
    for folder in _case_folders('baselines'):
        try:
            with open(osp.join(folder, 'case.json')) as f:
                named = json.load(f).get('method')
        except (OSError, ValueError):
            named = None
        if named == method or (named is None and osp.basename(folder)
                               .startswith(method.lower() + '_')):
            found.append(folder)
    return found
