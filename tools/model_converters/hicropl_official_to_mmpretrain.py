#!/usr/bin/env python
"""Convert a checkpoint of the authors' HiCroPL code (Dassl) to the plugin's.

The authors' trainer saves ``model-best.pth.tar`` / ``model.pth.tar-N``: a
pickled dict with ``state_dict`` (the whole model in fp16: the prompt
learner, both CLIP towers, a second frozen image encoder, ``logit_scale``
and the ``token_prefix``/``token_suffix`` buffers), ``epoch``,
``optimizer``, ``scheduler`` (Dassl scheduler objects) and ``val_result``.

The file is read WITHOUT importing Dassl or yacs and without running pickled
code: a restricted unpickler rebuilds tensors and plain containers, turns
Dassl/yacs/``torch.optim`` objects into inert stand-ins (their state is kept
as data; none of their code runs) and refuses every other global (e.g.
``os.system``) with :class:`UnsafeCheckpointError`.

The output is a lean checkpoint of ``PromptCLIPClassifier``: the prompt
learner's tensors under our names (fp32), checked against the model built
from ``--config`` (no CLIP weights are needed for that), plus ``meta``. Use
it with ``HiCroPLOfficialPromptLearner``, which reproduces the authors'
forward::

    python tools/model_converters/hicropl_official_to_mmpretrain.py \\
        model-best.pth.tar hicropl_oxford_pets_official.pth \\
        --config configs/hicropl/base2novel/oxford_pets.py \\
        --classnames data/oxford_pets/base_classes.txt
    python tools/test.py configs/hicropl/base2novel/oxford_pets.py \\
        hicropl_oxford_pets_official.pth \\
        --cfg-options model.prompt_learner.type=HiCroPLOfficialPromptLearner
"""
import argparse
import os
import os.path as osp
import sys
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence, Tuple

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402

from projects.hicropl.errors import (CheckpointNotFoundError,  # noqa: E402
                                     UserError)
from projects.hicropl.utils.cli import (add_debug_argument,  # noqa: E402
                                        run_main)

# The plugin's one restricted unpickler (projects/hicropl/engine/safe_load.py)
from projects.hicropl.engine.safe_load import (  # noqa: E402
    UnsafeCheckpointError, numpy_globals, restricted_pickle_module)

# Frozen parts of the authors' model: rebuilt from the CLIP weights (or, for
# the prompt buffers, from the class names), never converted.
FROZEN_PREFIXES = ('image_encoder.', 'text_encoder.', 'ZS_image_encoder.',
                   'logit_scale', 'prompt_learner.token_prefix',
                   'prompt_learner.token_suffix')
# Modules whose objects become inert stand-ins (Dassl schedulers, yacs
# configs, torch optimizers and schedulers pickled inside them).
STAND_IN_MODULES = ('dassl', 'yacs', 'torch.optim')


class ConversionError(UserError, ValueError):
    """The checkpoint or the config does not fit this conversion."""



class StandIn(dict):
    """Inert stand-in for an object of a class we do not import.

    Accepts whatever the pickle gives (constructor arguments, dict items,
    list items, ``__setstate__`` state) and keeps it as data; no code of the
    original class runs.
    """
    original = '?'

    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        obj.args, obj.items_, obj.state = args, [], None
        return obj

    def __init__(self, *args, **kwargs):
        super().__init__()

    def __setstate__(self, state: Any) -> None:
        self.state = state

    def append(self, item: Any) -> None:
        self.items_.append(item)

    def extend(self, items) -> None:
        self.items_.extend(items)

    def __reduce__(self):
        raise TypeError(f'stand-in of {self.original} cannot be pickled')

    def __repr__(self) -> str:
        return f'<stand-in of {self.original}>'


def _stand_in(qualified: str) -> type:
    if qualified not in _STAND_INS:
        _STAND_INS[qualified] = type(
            qualified.rsplit('.', 1)[-1], (StandIn, ),
            dict(original=qualified, __module__=__name__))
    return _STAND_INS[qualified]


_STAND_INS: Dict[str, type] = {}


def _allowed_globals() -> Dict[str, Any]:
    import builtins
    import collections
    allowed = {
        'collections.OrderedDict': collections.OrderedDict,
        'collections.defaultdict': collections.defaultdict,
        'torch._utils._rebuild_tensor': torch._utils._rebuild_tensor,
        'torch._utils._rebuild_tensor_v2': torch._utils._rebuild_tensor_v2,
        'torch._utils._rebuild_parameter': torch._utils._rebuild_parameter,
        'torch._utils._rebuild_parameter_with_state':
        torch._utils._rebuild_parameter_with_state,
        'torch._tensor._rebuild_from_type_v2':
        torch._tensor._rebuild_from_type_v2,
        'torch.Tensor': torch.Tensor,
        'torch.nn.parameter.Parameter': torch.nn.Parameter,
        'torch.Size': torch.Size,
        'torch.device': torch.device,
    }
    # Plain data constructors only (no getattr/eval/exec/__import__/...).
    for name in ('dict', 'list', 'tuple', 'set', 'frozenset', 'int',
                 'float', 'complex', 'bool', 'str', 'bytes', 'bytearray',
                 'slice', 'range'):
        allowed[f'builtins.{name}'] = getattr(builtins, name)
    allowed.update(numpy_globals())
    allowed.update({
        f'torch.{name}': value
        for name, value in vars(torch).items()
        if isinstance(value, torch.dtype)
    })  # e.g. torch.float16
    return allowed


_ALLOWED = _allowed_globals()


def _dassl_stand_in(qualified: str) -> Optional[type]:
    """Inert stand-ins for Dassl/yacs/``torch.optim`` objects, None (refused)
    for any other global outside the allow-list."""
    if any(qualified.startswith(m + '.') for m in STAND_IN_MODULES):
        return _stand_in(qualified)
    return None


def load_dassl_checkpoint(path: str) -> Dict:
    """Read a Dassl checkpoint without running its pickled code.

    Raises:
        UnsafeCheckpointError: The file references a refused global.
    """
    if not osp.isfile(path):
        raise CheckpointNotFoundError(f'Checkpoint not found: {path}')
    checkpoint = torch.load(
        path,
        map_location='cpu',
        weights_only=False,  # our restricted pickle module does the check
        pickle_module=restricted_pickle_module(
            _ALLOWED, _dassl_stand_in, what='a Dassl checkpoint'))
    if not isinstance(checkpoint, dict) or not isinstance(
            checkpoint.get('state_dict'), dict):
        raise ConversionError(
            f'{path} is not a Dassl checkpoint: expected a dict with a '
            '"state_dict" entry (model-best.pth.tar / model.pth.tar-N).')
    return checkpoint


def convert_state_dict(
        official: Dict[str, torch.Tensor]
) -> Tuple['OrderedDict[str, torch.Tensor]', List[str]]:
    """The authors' state dict -> the classifier's trainable tensors.

    Returns:
        tuple: ``(state_dict, dropped)``: our names with fp32 tensors, and the
        names of the frozen entries left out.

    Raises:
        ValueError: An entry is neither a known prompt-learner tensor nor a
            frozen one, or two names of one parameter (``ctx`` and
            ``cross_prompts_text.0``) hold different values.
    """
    from projects.hicropl.models.prompt_learners.official_names import \
        official_to_ours
    ours: 'OrderedDict[str, torch.Tensor]' = OrderedDict()
    dropped, unknown = [], []
    for name, value in official.items():
        if name.startswith('module.'):  # saved from nn.DataParallel
            name = name[len('module.'):]
        new = official_to_ours(name)
        if new is None:
            (dropped if name.startswith(FROZEN_PREFIXES) else
             unknown).append(name)
            continue
        value = value.detach().to(torch.float32).clone()
        if new in ours and not torch.equal(ours[new], value):
            raise ConversionError(
                f'{name} and another name of {new} hold different values; '
                'the checkpoint is inconsistent.')
        ours[new] = value
    if unknown:
        raise ConversionError(
            f'Unknown entries in the authors\' state dict: {unknown}. This '
            'converter handles HiCroPL checkpoints (prompt_learner.ctx, '
            'cross_prompts_*, *_proxy_token, attn_pooling_*_nets, '
            'text2visual_net, visual2text_net).')
    if not ours:
        raise ConversionError('No HiCroPL prompt-learner tensor found in '
                              'the checkpoint.')
    return ours, dropped


def learner_shape(state_dict: Dict[str, torch.Tensor]) -> Dict[str, int]:
    """``n_ctx``, ``depth`` and ``cross_layer`` of converted tensors."""
    prefix = 'prompt_learner.'
    depth = sum(
        k.startswith(prefix + 'text_prompts.') for k in state_dict)
    cross_layer = sum(
        k.startswith(prefix + 'text_proxies.') and k.endswith('.proxy')
        for k in state_dict)
    return dict(
        n_ctx=state_dict[prefix + 'text_prompts.0'].shape[0],
        depth=depth,
        cross_layer=cross_layer)


def build_model(cfg: Config, classnames: Optional[Sequence[str]] = None):
    """The classifier of ``cfg`` with the authors' prompt learner
    (``HiCroPLOfficialPromptLearner``), to check the keys.

    The backbone is built with random weights (``pretrained=None``): only
    names and shapes are compared. No class text is needed either.
    """
    import projects.hicropl  # noqa: F401  (registers the plugin)
    from mmpretrain.registry import MODELS
    model_cfg = cfg.model.copy()
    model_cfg.backbone = dict(model_cfg.backbone, pretrained=None)
    model_cfg.prompt_learner = dict(
        model_cfg.prompt_learner, type='HiCroPLOfficialPromptLearner')
    model_cfg.classnames = None
    return MODELS.build(model_cfg)


def _check_config(cfg: Config, found: Dict[str, int]) -> None:
    learner = cfg.model.prompt_learner
    wrong = {k: v for k, v in found.items() if learner.get(k) != v}
    if wrong:
        options = ' '.join(f'model.prompt_learner.{k}={v}'
                           for k, v in wrong.items())
        raise ConversionError(
            f'The checkpoint was trained with {found}, the config has '
            f'{ {k: learner.get(k) for k in found} }. Pass --cfg-options '
            f'{options} (and use the same options with tools/test.py).')


def convert(src: str,
            dst: str,
            cfg: Config,
            classnames: Optional[Sequence[str]] = None) -> Dict:
    """Convert ``src`` (authors' format) to ``dst`` (ours).

    Args:
        src (str): ``model-best.pth.tar`` / ``model.pth.tar-N``.
        dst (str): Output ``.pth``.
        cfg (Config): The plugin config the checkpoint is used with; its
            prompt learner must match the checkpoint (checked).
        classnames (list[str], optional): The classes the model was trained
            on (stored in ``meta``; the inferencer uses them by default).

    Returns:
        dict: The written checkpoint.
    """
    from mmengine.runner.checkpoint import save_checkpoint

    from projects.hicropl.engine.hooks.checkpoint_meta_hook import \
        checkpoint_meta
    official = load_dassl_checkpoint(src)
    state_dict, dropped = convert_state_dict(official['state_dict'])
    found = learner_shape(state_dict)
    _check_config(cfg, found)
    model = build_model(cfg)
    model.load_state_dict(state_dict, strict=True)  # exact keys and shapes
    meta = checkpoint_meta(model)
    meta.update(
        cfg=cfg.pretty_text,
        converted_from=dict(
            file=osp.basename(src),
            epoch=official.get('epoch'),
            val_result=_plain_number(official.get('val_result')),
            dropped_frozen_entries=len(dropped)))
    meta['backbone']['pretrained'] = cfg.model.backbone.get('pretrained')
    if classnames:
        meta['classnames'] = list(classnames)
        meta['dataset_meta'] = dict(classes=list(classnames))
    checkpoint = dict(meta=meta, state_dict=state_dict)
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    save_checkpoint(checkpoint, dst)
    return checkpoint


def _plain_number(value: Any) -> Any:
    if value is None or isinstance(value, (int, float, str)):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert an authors\' (Dassl) HiCroPL checkpoint to a '
        'lean checkpoint of the plugin (use with HiCroPLOfficialPromptLearner).')
    parser.add_argument('src', help='model-best.pth.tar or model.pth.tar-N')
    parser.add_argument('dst', help='output checkpoint (.pth)')
    parser.add_argument(
        '--config',
        required=True,
        help='the plugin config the checkpoint will be used with (e.g. '
        'configs/hicropl/base2novel/oxford_pets.py)')
    parser.add_argument(
        '--classnames',
        help='the training classes: a text file with one name per line, or '
        'comma-separated names (stored in meta; inference default)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. model.prompt_learner.n_ctx=4')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv=None) -> Dict:
    args = parse_args(argv)
    from projects.hicropl.apis import read_classnames
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    classnames = read_classnames(args.classnames) if args.classnames \
        else None
    checkpoint = convert(args.src, args.dst, cfg, classnames)
    learner = learner_shape(checkpoint['state_dict'])
    print(f'Converted {len(checkpoint["state_dict"])} prompt-learner tensors '
          f'({learner}) to {args.dst}; dropped '
          f'{checkpoint["meta"]["converted_from"]["dropped_frozen_entries"]} '
          'frozen entries. Use it with '
          '--cfg-options '
          'model.prompt_learner.type=HiCroPLOfficialPromptLearner')
    return checkpoint


if __name__ == '__main__':
    run_main(main)
