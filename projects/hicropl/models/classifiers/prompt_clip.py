"""Image classifier built from a frozen prompted CLIP and a prompt learner."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpretrain.models.classifiers import BaseClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from ...errors import CheckpointError, ConfigError, DataError, UserError
from ..utils import sharded_encode_text

# OpenAI CLIP image normalisation (0..255 scale, as ClsDataPreprocessor wants).
CLIP_MEAN = [0.48145466 * 255, 0.4578275 * 255, 0.40821073 * 255]
CLIP_STD = [0.26862954 * 255, 0.26130258 * 255, 0.27577711 * 255]


class CheckpointMismatchError(CheckpointError):
    """A checkpoint's trainable tensors do not fit the model."""


class NoClassesError(UserError, RuntimeError):
    """Classification was asked of a model that has no classes yet."""


def _names(keys: List[str], limit: int = 8) -> str:
    more = f' and {len(keys) - limit} more' if len(keys) > limit else ''
    return f'{keys[:limit]}{more}'


def _check_trainable_state(module: nn.Module, state_dict: Dict, prefix: str,
                           *args) -> None:
    """``load_state_dict`` pre-hook: a checkpoint holds exactly the
    model's saved (trainable) tensors, with their shapes. Frozen backbone
    weights may be absent (lean checkpoints) or present (full ones)."""
    module._eval_text_features = None
    expected = module.state_dict(prefix=prefix, keep_vars=True)
    given = {k: v for k, v in state_dict.items() if k.startswith(prefix)}
    known = {prefix + name for name, _ in module.named_parameters()}
    known.update(prefix + name for name, _ in module.named_buffers())
    missing = [k for k in expected if k not in given]
    unexpected = [k for k in given if k not in expected and k not in known]
    reshaped = [
        f'{k} {tuple(given[k].shape)} vs {tuple(v.shape)}'
        for k, v in expected.items()
        if k in given and tuple(getattr(given[k], 'shape', ())) != v.shape
    ]
    if not (missing or unexpected or reshaped):
        return
    problems = [
        f'{what}: {_names(keys)}'
        for what, keys in (('missing', missing), ('unexpected', unexpected),
                           ('shape (checkpoint vs model)', reshaped)) if keys
    ]
    raise CheckpointMismatchError(
        'The checkpoint does not fit the trainable tensors of this model; '
        + '; '.join(problems) + '. Build the model with the config the '
        'checkpoint was trained with (same prompt learner: n_ctx, depth, '
        'cross_layer, num_heads). To load part of a checkpoint on purpose, '
        'call load_state_dict on the submodule, e.g. '
        'model.prompt_learner.load_state_dict(state, strict=False).')


@MODELS.register_module()
class PromptCLIPClassifier(BaseClassifier):
    """Open-vocabulary classifier: a frozen CLIP adapted by learned prompts.

    The prompt learner gives per-layer text and visual prompts; the
    :class:`PromptedCLIP` towers encode the class prompts and the images
    with them. With ``fuse_frozen`` (HiCroPL) the final features add the
    frozen features: ``img = norm(norm(f_img) + norm(f_img_frozen))`` and
    ``txt = norm(norm(f_txt) + frozen_class_text)``; logits are
    ``exp(logit_scale) * img @ txt.T`` (Eq. 1).

    The classes are whatever :meth:`set_classnames` was last given (the
    ``classnames`` argument, or the evaluated dataset's classes through
    ``ClassNamesHook``): a new class list only re-tokenizes the class
    prompts and rebuilds the frozen class text embeddings.

    Checkpoints hold the trainable tensors only (the frozen CLIP is rebuilt
    from its config); loading requires exactly those tensors, with their
    shapes, and raises :class:`CheckpointMismatchError` otherwise.

    Args:
        backbone (dict | PromptedCLIP): The frozen prompt-capable CLIP.
        prompt_learner (dict | nn.Module): Built with ``clip=backbone``.
        class_text (dict, optional): Frozen class text embeddings, e.g.
            ``dict(type='DescriptionTextEmbeddings', descriptions=...)``.
            Required by ``fuse_frozen`` and ``consistency_loss``.
        classnames (list[str], optional): Initial classes.
        fuse_frozen (bool): Add frozen features to the prompted ones.
        loss (dict): Classification loss on the logits.
        consistency_loss (dict, optional): E.g. ``ConsistencyLoss``.
        data_preprocessor (dict, optional): Defaults to CLIP normalisation.
        shard_text_encoding (bool): Under torch.distributed with W > 1
            ranks, each rank encodes ~1/W of the class prompts and the
            class features are all-gathered (differentiable; same loss and
            gradients as one process). Every rank must run the same number
            of forwards (as DDP training and MMEngine's evaluation with
            ``DefaultSampler(round_up=True)`` do). Defaults to True.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: Union[dict, nn.Module],
                 prompt_learner: Union[dict, nn.Module],
                 class_text: Optional[dict] = None,
                 classnames: Optional[Sequence[str]] = None,
                 fuse_frozen: bool = True,
                 loss: dict = dict(type='CrossEntropyLoss', loss_weight=1.0),
                 consistency_loss: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 shard_text_encoding: bool = True,
                 init_cfg: Optional[dict] = None):
        data_preprocessor = dict(data_preprocessor or dict(
            mean=CLIP_MEAN, std=CLIP_STD, to_rgb=True))
        data_preprocessor.setdefault('type', 'mmpretrain.ClsDataPreprocessor')
        super().__init__(
            init_cfg=init_cfg, data_preprocessor=data_preprocessor)
        if not isinstance(backbone, nn.Module):
            backbone = MODELS.build(backbone)
        self.backbone = backbone
        if not isinstance(prompt_learner, nn.Module):
            prompt_learner = MODELS.build(
                prompt_learner, default_args=dict(clip=backbone))
        self.prompt_learner = prompt_learner
        if (fuse_frozen or consistency_loss) and class_text is None:
            raise ConfigError('fuse_frozen and consistency_loss need frozen '
                              'class text embeddings: set `class_text`.')
        self.class_text = MODELS.build(class_text) if isinstance(
            class_text, dict) else class_text
        self.fuse_frozen = fuse_frozen
        self.shard_text_encoding = shard_text_encoding
        self.loss_module = MODELS.build(loss)
        self.consistency_loss = MODELS.build(consistency_loss) if isinstance(
            consistency_loss, dict) else consistency_loss

        self.classnames: List[str] = []
        self.register_buffer(
            'class_tokens', torch.zeros(0, 0, dtype=torch.long),
            persistent=False)
        self.register_buffer(
            'frozen_text_features', torch.zeros(0, 0), persistent=False)
        # Class features of the current evaluation and what they were
        # computed from (see _text_cache_key).
        self._eval_text_features: Optional[torch.Tensor] = None
        self._eval_text_key: Optional[tuple] = None
        self._extra_dataset_meta: dict = {}
        self.register_load_state_dict_pre_hook(_check_trainable_state)
        if classnames:
            self.set_classnames(classnames)

    # ---------------------------------------------------------------- classes
    def set_classnames(self,
                       classnames: Sequence[str],
                       class_text: Optional[Union[dict, object]] = None
                       ) -> None:
        """Classify among ``classnames`` from now on.

        Args:
            classnames (list[str]): The classes, any names (open vocabulary).
            class_text (dict | ClassTextEmbeddings, optional): Replace the
                frozen class text embeddings, e.g. descriptions of new
                classes ``dict(type='DescriptionTextEmbeddings',
                descriptions='new.json', on_missing='template')`` or
                ``dict(type='TemplateTextEmbeddings')``.
        """
        classnames = [str(c) for c in classnames]
        if not classnames:
            raise DataError(
                'The class list is empty: the dataset (ClassNamesHook reads '
                'its `classes`) or `classnames=[...]` must name at least one '
                'class.')
        duplicates = sorted({c for c in classnames if classnames.count(c) > 1})
        if duplicates:
            raise DataError(
                f'Duplicate class names {duplicates}: each class needs its '
                'own name (it keys the text prompt and the descriptions); '
                "rename them apart, e.g. 'crane (bird)' and 'crane "
                "(machine)', or merge the classes.")
        if class_text is not None:
            self.class_text = MODELS.build(class_text) if isinstance(
                class_text, dict) else class_text
            self.classnames = []  # recompute the frozen class text
        if classnames == self.classnames:
            return
        prefix = self.prompt_learner.prompt_prefix
        prompts = [f"{prefix} {c.replace('_', ' ')}." for c in classnames]
        context = self.backbone.context_length
        # One position more than fits: a token there means truncation.
        untruncated = self.backbone.tokenizer(
            prompts, context_length=context + 1)
        too_long = [
            c for c, t in zip(classnames, untruncated) if t[context] != 0
        ]
        if too_long:
            raise DataError(
                f'The prompts of {too_long} do not fit the text context '
                f'({context} tokens with n_ctx={self.prompt_learner.n_ctx}); '
                'shorten these class names or lower n_ctx.')
        tokens = untruncated[:, :context].contiguous()  # none was cut
        device = self.backbone.logit_scale.device
        self.class_tokens = tokens.to(device)
        if self.class_text is not None:
            self.frozen_text_features = self.class_text(
                self.backbone, classnames).to(device)
        self.classnames = classnames
        self._eval_text_features = None

    @property
    def _dataset_meta(self) -> dict:
        """Dataset meta in MMPretrain's convention, ``classes`` = the
        current classes.

        ``mmpretrain.get_model`` (and so ``ImageClassificationInferencer``
        and ``inference_model``) sets it from the checkpoint's
        ``meta['dataset_meta']``: a model without classes takes them from
        there; classes given explicitly (``classnames``) are kept.
        """
        meta = dict(self._extra_dataset_meta)
        if self.classnames:
            meta['classes'] = tuple(self.classnames)
        return meta

    @_dataset_meta.setter
    def _dataset_meta(self, meta: Optional[dict]) -> None:
        meta = dict(meta or {})
        self._extra_dataset_meta = meta
        if meta.get('classes') and not self.classnames:
            self.set_classnames(meta['classes'])

    def train(self, mode: bool = True) -> 'PromptCLIPClassifier':
        self._eval_text_features = None
        return super().train(mode)

    # --------------------------------------------------------------- features
    def _combine(self, prompted: torch.Tensor,
                 frozen: Optional[torch.Tensor]) -> torch.Tensor:
        prompted = F.normalize(prompted, dim=-1)
        if not self.fuse_frozen:
            return prompted
        return F.normalize(prompted + frozen, dim=-1)

    def _image_features(self, inputs: torch.Tensor,
                        visual_prompts: Sequence[torch.Tensor]
                        ) -> Dict[str, torch.Tensor]:
        """Image part of :meth:`forward_features` (needs no classes)."""
        out = {}
        if self.fuse_frozen or self.consistency_loss is not None:
            with torch.no_grad():
                out['frozen_image'] = F.normalize(
                    self.backbone.encode_image(inputs), dim=-1)
        out['image_prompted_raw'] = self.backbone.encode_image(
            inputs, visual_prompts)
        out['image_features'] = self._combine(out['image_prompted_raw'],
                                              out.get('frozen_image'))
        return out

    def _text_cache_key(self) -> Optional[tuple]:
        """What the cached class features were computed from.

        Every parameter (its identity, storage and version counter, which
        in-place writes such as ``load_state_dict`` on any submodule,
        ``copy_`` and optimizer steps bump; ``.to()`` gives new storage),
        the class tokens and frozen class features, and the autocast state.
        None when it cannot be told (inference-mode tensors have no
        version counter): then nothing is cached.
        """
        tensors = [
            *self.parameters(), self.class_tokens, self.frozen_text_features
        ]
        if any(t.is_inference() for t in tensors):
            return None
        device = self.class_tokens.device.type
        autocast = torch.is_autocast_enabled(device) and (
            torch.get_autocast_dtype(device))
        return autocast, tuple(
            (id(t), t.data_ptr(), t._version, t.dtype, t.device)
            for t in tensors)

    def forward_features(self, inputs: torch.Tensor) -> Dict[str, torch.Tensor]:
        """All features of one forward.

        Args:
            inputs (Tensor): Normalised images ``[B, 3, H, W]``.

        Returns:
            dict: ``image_prompted_raw`` / ``text_prompted_raw`` (tower
            outputs ``[B, D]`` / ``[C, D]``), ``frozen_image`` (normalised
            frozen image features ``[B, D]``, when used), ``image_features``,
            ``text_features`` (final normalised features) and ``logits``
            ``[B, C]``.
        """
        if not self.classnames:
            raise NoClassesError(
                'No classes set: pass `classnames` or call set_classnames() '
                '(ClassNamesHook does it from the dataset).')
        prompts = self.prompt_learner()
        out = self._image_features(inputs, prompts.visual)
        # Pure prompt learners give the same class features for every eval
        # batch: encode the class prompts once per evaluation, as long as
        # nothing they depend on changed. Not with autograd on: cached
        # features are detached.
        key = None
        if (not self.training and self.prompt_learner.is_pure
                and not torch.is_grad_enabled()):
            key = self._text_cache_key()
        text = self._eval_text_features
        if key is None or self._eval_text_key != key:
            text = None
        if text is None:
            out['text_prompted_raw'] = sharded_encode_text(
                self.backbone.encode_text, self.class_tokens, prompts.text,
                enabled=self.shard_text_encoding)
            text = self._combine(out['text_prompted_raw'],
                                 self.frozen_text_features)
            if key is not None:
                self._eval_text_features = text.detach()
                self._eval_text_key = key
        out['text_features'] = text
        out['logits'] = self.backbone.logit_scale.exp() * (
            out['image_features'] @ text.t())
        return out

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Final normalised image features ``[B, D]``, as :meth:`predict`
        compares them with the class features.

        Image-only: the visual prompts depend on the text prompts (HiCroPL's
        text-to-image flow) but not on the class names, so no classes are
        needed (MMPretrain's ``get_flops`` calls this with images only).
        With ``semantics='official'`` each call runs the authors' in-place
        prompt update, like every forward.
        """
        return self._image_features(
            inputs, self.prompt_learner().visual)['image_features']

    # ---------------------------------------------------------------- forward
    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'tensor':
            return self.forward_features(inputs)['logits']
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}".')

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """Cross-entropy (Eq. 4) plus the weighted consistency terms (Eq. 6)."""
        return self.compute_losses(self.forward_features(inputs), data_samples)

    def compute_losses(self, features: Dict[str, torch.Tensor],
                       data_samples: List[DataSample]
                       ) -> Dict[str, torch.Tensor]:
        """Losses from the output of :meth:`forward_features`."""
        logits = features['logits']
        labels = torch.cat([s.gt_label for s in data_samples]).to(
            logits.device)
        losses = dict(loss_ce=self.loss_module(logits, labels))
        if self.consistency_loss is not None:
            losses.update(
                self.consistency_loss(features['text_features'],
                                      self.frozen_text_features,
                                      features['image_features'],
                                      features['frozen_image']))
        return losses

    def predict(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        """Scores (softmax of the logits) and labels over the current classes."""
        logits = self.forward_features(inputs)['logits']
        scores = F.softmax(logits, dim=1)
        labels = scores.argmax(dim=1, keepdim=True).detach()
        if data_samples is None:
            data_samples = [DataSample() for _ in range(logits.shape[0])]
        for sample, score, label in zip(data_samples, scores, labels):
            sample.set_pred_score(score).set_pred_label(label)
        return data_samples
