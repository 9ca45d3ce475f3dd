"""Image classifier built from a frozen prompted CLIP and a prompt learner."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmpretrain.models.classifiers import BaseClassifier
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from ...errors import CheckpointError, ConfigError, DataError, UserError
from ..prompt_learners.base import PromptSet
from ..utils import (FROZEN_FEATURES, Features, build_class_prompts,
                     sharded_encode_text)

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
    module._invalidate_eval_cache()
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
        'checkpoint was trained with (the same prompt learner type and '
        'settings, e.g. n_ctx). To load part of a checkpoint on purpose, '
        'call load_state_dict on the submodule, e.g. '
        'model.prompt_learner.load_state_dict(state, strict=False).')


def _build(cfg: Union[dict, nn.Module], **default_args) -> nn.Module:
    """A registry-built part (a module given as is is kept)."""
    if isinstance(cfg, nn.Module):
        return cfg
    return MODELS.build(cfg, default_args=default_args or None)


@MODELS.register_module()
class PromptCLIPClassifier(BaseClassifier):
    """Open-vocabulary classifier: a frozen CLIP adapted by learned prompts.

    One forward::

        frozen  = frozen features some part ``needs`` (no autograd)
        prompts = prompt_learner(**frozen it needs)          # PromptSet
        f_txt   = backbone.encode_text(class prompts, prompts.text)
        f_img   = backbone.encode_image(images, prompts.visual)
        features = head(Features(f_img, f_txt, logit_scale, **frozen))
        losses  = sum of each loss part's terms on ``features``

    The classifier knows no method: the prompt learner declares its class
    prompt (template, number of context slots, class-token position) and
    which frozen features it reads; the head (e.g. :class:`CosineHead`,
    HiCroPL's :class:`FusedFrozenHead`) and each loss (e.g.
    :class:`LogitsLoss`, :class:`ConsistencyLoss`) declare theirs
    (``needs``: ``'frozen_image'``, ``'frozen_text'``,
    ``'zero_shot_logits'``). Frozen features are computed only when one of
    them asks.

    Without a prompt learner (``prompt_learner=None``) nothing is learned:
    the class features are the frozen class text embeddings (``class_text``,
    e.g. one template or a template ensemble) and the image features the
    frozen image tower's, i.e. zero-shot CLIP (CLIP, Sec. 3.1.4).

    The classes are whatever :meth:`set_classnames` was last given (the
    ``classnames`` argument, or the evaluated dataset's classes through
    ``ClassNamesHook``): a new class list only re-tokenizes the class
    prompts and rebuilds the frozen class text embeddings.

    Checkpoints hold the trainable tensors only (the frozen CLIP is rebuilt
    from its config); loading requires exactly those tensors, with their
    shapes, and raises :class:`CheckpointMismatchError` otherwise.

    Args:
        backbone (dict | PromptedCLIP): The frozen prompt-capable CLIP.
        prompt_learner (dict | BasePromptLearner, optional): Built with
            ``clip=backbone``. None: no prompts (zero-shot CLIP; the class
            features are ``class_text``, which is then required).
        head (dict | nn.Module): Scoring head. Defaults to
            :class:`CosineHead`.
        losses (list[dict | nn.Module]): Loss parts, each returning a dict
            of named terms. Defaults to cross-entropy (:class:`LogitsLoss`).
        class_text (dict, optional): Frozen class text embeddings, e.g.
            ``dict(type='DescriptionTextEmbeddings', descriptions=...)``.
            Required when some part needs ``frozen_text`` or
            ``zero_shot_logits``.
        classnames (list[str], optional): Initial classes.
        data_preprocessor (dict, optional): Defaults to CLIP normalisation.
        shard_text_encoding (bool): Under torch.distributed with W > 1
            ranks, each rank encodes ~1/W of the class prompts and the
            class features are all-gathered (differentiable; same loss and
            gradients as one process). Every rank must run the same number
            of forwards (as DDP training and MMEngine's evaluation with
            ``DefaultSampler(round_up=True)`` do). Prompts that depend on
            the image are never sharded. Defaults to True.
        text_chunk_images (int): With image-conditioned text prompts
            (``PromptSet.text_per_image``), the class prompts of this many
            images go through the text tower per call (``C x chunk``
            sequences), which bounds the memory of one call. Defaults to 1.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: Union[dict, nn.Module],
                 prompt_learner: Optional[Union[dict, nn.Module]],
                 head: Union[dict, nn.Module] = dict(type='CosineHead'),
                 losses: Sequence[Union[dict, nn.Module]] = (
                     dict(type='LogitsLoss'), ),
                 class_text: Optional[dict] = None,
                 classnames: Optional[Sequence[str]] = None,
                 data_preprocessor: Optional[dict] = None,
                 shard_text_encoding: bool = True,
                 text_chunk_images: int = 1,
                 init_cfg: Optional[dict] = None):
        data_preprocessor = dict(data_preprocessor or dict(
            mean=CLIP_MEAN, std=CLIP_STD, to_rgb=True))
        data_preprocessor.setdefault('type', 'mmpretrain.ClsDataPreprocessor')
        super().__init__(
            init_cfg=init_cfg, data_preprocessor=data_preprocessor)
        self.backbone = _build(backbone)
        self.prompt_learner = None if prompt_learner is None else _build(
            prompt_learner, clip=self.backbone)
        self.head = _build(head)
        self.losses = nn.ModuleList(_build(loss) for loss in losses)
        if text_chunk_images < 1:
            raise ConfigError(
                f'text_chunk_images must be >= 1, got {text_chunk_images}.')
        self.text_chunk_images = text_chunk_images
        self.needs = self._collect_needs()
        if (self.needs & {'frozen_text', 'zero_shot_logits'}
                and class_text is None):
            raise ConfigError(
                f'{sorted(self.needs)} are needed (by the head, a loss, the '
                'prompt learner or, without one, as the class features): set '
                '`class_text` (the frozen class text '
                "embeddings, e.g. dict(type='TemplateTextEmbeddings')).")
        self.class_text = MODELS.build(class_text) if isinstance(
            class_text, dict) else class_text
        self.shard_text_encoding = shard_text_encoding

        self.classnames: List[str] = []
        self.register_buffer(
            'class_tokens', torch.zeros(0, 0, dtype=torch.long),
            persistent=False)
        self.register_buffer(
            'class_ctx_index', torch.zeros(0, 0, dtype=torch.long),
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

    def _collect_needs(self) -> frozenset:
        """Frozen features asked for by the head, the losses or the learner
        (zero-shot logits imply both frozen feature sets). Without a prompt
        learner the frozen class text is the class features."""
        needs = set(self.head.needs)
        if self.prompt_learner is None:
            needs.add('frozen_text')
        else:
            needs |= set(self.prompt_learner.needs)
        for loss in self.losses:
            needs |= set(loss.needs)
        unknown = needs - set(FROZEN_FEATURES)
        if unknown:
            raise ConfigError(f'Unknown needs {sorted(unknown)}; known: '
                             f'{FROZEN_FEATURES}.')
        if 'zero_shot_logits' in needs:
            needs |= {'frozen_image', 'frozen_text'}
        return frozenset(needs)

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
        learner = self.prompt_learner
        device = self.backbone.logit_scale.device
        if learner is not None:
            learner.check_classnames(classnames)
            tokens, ctx_index = build_class_prompts(
                self.backbone.tokenizer, learner.class_prompt_template(),
                classnames, learner.n_ctx, learner.class_token_position,
                self.backbone.context_length)
            self.class_tokens = tokens.to(device)
            self.class_ctx_index = ctx_index.to(device)
        if 'frozen_text' in self.needs:
            self.frozen_text_features = self.class_text(
                self.backbone, classnames).to(device)
        self.classnames = classnames
        self._invalidate_eval_cache()

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
        self._invalidate_eval_cache()
        return super().train(mode)

    # ------------------------------------------------------ eval text cache
    def _invalidate_eval_cache(self) -> None:
        """Drop the class features cached for evaluation (new classes, new
        weights, back to training)."""
        self._eval_text_features = None

    def _text_cache_key(self) -> Optional[tuple]:
        """What the cached class features were computed from.

        Every parameter (its identity, storage and version counter, which
        in-place writes such as ``load_state_dict`` on any submodule,
        ``copy_`` and optimizer steps bump; ``.to()`` gives new storage),
        the class prompts and frozen class features, and the autocast
        state. None when it cannot be told (inference-mode tensors have no
        version counter): then nothing is cached.
        """
        tensors = [
            *self.parameters(), self.class_tokens, self.class_ctx_index,
            self.frozen_text_features
        ]
        if any(t.is_inference() for t in tensors):
            return None
        device = self.class_tokens.device.type
        autocast = torch.is_autocast_enabled(device) and (
            torch.get_autocast_dtype(device))
        return autocast, tuple(
            (id(t), t.data_ptr(), t._version, t.dtype, t.device)
            for t in tensors)

    def _cacheable(self, prompts: PromptSet) -> bool:
        """Class features are the same for every evaluation batch: the
        learner is pure and its text prompts do not depend on the image.
        Not with autograd on: cached features are detached."""
        return (not self.training and self.prompt_learner.is_pure
                and not prompts.text_per_image
                and not torch.is_grad_enabled())

    def _class_text_features(self, prompts: PromptSet) -> torch.Tensor:
        """Prompted class features, encoded once per evaluation when
        :meth:`_cacheable` and nothing they depend on changed
        (:meth:`_text_cache_key`).

        Returns:
            torch.Tensor: ``[C, D]``, or ``[B, C, D]`` for image-conditioned
            prompts.
        """
        key = self._text_cache_key() if self._cacheable(prompts) else None
        if (key is not None and self._eval_text_features is not None
                and self._eval_text_key == key):
            return self._eval_text_features
        text = self.encode_class_prompts(prompts)
        if key is not None:
            self._eval_text_features = text.detach()
            self._eval_text_key = key
        return text

    # --------------------------------------------------------------- features
    @property
    def _ctx_index(self) -> Optional[torch.Tensor]:
        """Context-slot positions ``[C, n]``; None for the default layout
        (right after SOS), which the towers handle without an index."""
        if self.prompt_learner.class_token_position == 'end':
            return None
        return self.class_ctx_index

    def encode_class_prompts(self, prompts: PromptSet) -> torch.Tensor:
        """Prompted text-tower features of the class prompts.

        Args:
            prompts (PromptSet): The learner's prompts.

        Returns:
            torch.Tensor: ``[C, D]`` (class-sharded under torch.distributed,
            see ``shard_text_encoding``), or ``[B, C, D]`` when the text
            prompts depend on the image, encoded ``text_chunk_images``
            images at a time.
        """
        if not prompts.text_per_image:
            return sharded_encode_text(
                self.backbone.encode_text, self.class_tokens, prompts.text,
                enabled=self.shard_text_encoding, ctx_index=self._ctx_index)
        num_images = next(p.shape[0] for p in prompts.text
                          if p is not None and p.dim() == 3)
        num_classes = self.class_tokens.shape[0]
        chunks = []
        for start in range(0, num_images, self.text_chunk_images):
            stop = min(start + self.text_chunk_images, num_images)
            # shape = [(stop - start) * C, n, W]: image-major, class-minor
            text = [
                p[start:stop].repeat_interleave(num_classes, dim=0)
                if p is not None and p.dim() == 3 else p for p in prompts.text
            ]
            ctx_index = self._ctx_index
            if ctx_index is not None:
                ctx_index = ctx_index.repeat(stop - start, 1)
            features = self.backbone.encode_text(
                self.class_tokens.repeat(stop - start, 1), text, ctx_index)
            chunks.append(features.unflatten(0, (stop - start, num_classes)))
        return torch.cat(chunks)  # shape = [B, C, D]

    def frozen_image_features(self, inputs: torch.Tensor) -> torch.Tensor:
        """Frozen CLIP image features ``[B, D]``, unit norm (no autograd)."""
        with torch.no_grad():
            return F.normalize(self.backbone.encode_image(inputs), dim=-1)

    def frozen_features(self, inputs: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The frozen features in :attr:`needs` (no autograd).

        Returns:
            dict: ``frozen_image`` ``[B, D]`` (unit norm), ``frozen_text``
            ``[C, D]`` (unit norm; drawn anew each training step when the
            class text is ``per_step``), ``zero_shot_logits`` ``[B, C]``, each
            only when needed.
        """
        out = {}
        if 'frozen_image' in self.needs:
            out['frozen_image'] = self.frozen_image_features(inputs)
        if 'frozen_text' in self.needs:
            out['frozen_text'] = self.frozen_text_features
            if self.training and getattr(self.class_text, 'per_step', False):
                # e.g. one random description per class and step
                out['frozen_text'] = self.class_text.draw(
                    self.backbone, self.classnames).to(
                        self.frozen_text_features)
        if 'zero_shot_logits' in self.needs:
            out['zero_shot_logits'] = self.backbone.logit_scale.exp() * (
                out['frozen_image'] @ out['frozen_text'].t())
        return out

    def forward_features(self, inputs: torch.Tensor) -> Features:
        """All features of one forward.

        Args:
            inputs (Tensor): Normalised images ``[B, 3, H, W]``.

        Returns:
            Features: Tower outputs, the frozen features that are needed and
            the head's final features and logits ``[B, C]``.
        """
        if not self.classnames:
            raise NoClassesError(
                'No classes set: pass `classnames` or call set_classnames() '
                '(ClassNamesHook does it from the dataset).')
        frozen = self.frozen_features(inputs)
        if self.prompt_learner is None:  # zero-shot: frozen towers only
            return self.head(
                Features(image_raw=self.backbone.encode_image(inputs),
                         text_raw=self.frozen_text_features,
                         logit_scale=self.backbone.logit_scale, **frozen))
        prompts = self.prompt_learner(
            **{k: frozen[k] for k in self.prompt_learner.needs})
        text = self._class_text_features(prompts)
        image = self.backbone.encode_image(inputs, prompts.visual)
        return self.head(
            Features(image_raw=image, text_raw=text,
                     logit_scale=self.backbone.logit_scale,
                     learner_aux=prompts.aux, **frozen))

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """Final normalised image features ``[B, D]``, as :meth:`predict`
        compares them with the class features.

        Image-only when the prompt learner reads at most the frozen image
        features (every learner here: visual prompts may depend on text
        prompts, never on the class names), so no classes are needed
        (MMPretrain's ``get_flops`` calls this with images only).
        """
        learner = self.prompt_learner
        if learner is not None and not set(learner.needs) <= {'frozen_image'}:
            return self.forward_features(inputs).image
        frozen = {}
        if 'frozen_image' in self.needs:
            frozen['frozen_image'] = self.frozen_image_features(inputs)
        if learner is None:  # zero-shot: the frozen image tower
            image = self.backbone.encode_image(inputs)
        else:
            prompts = learner(**{k: frozen[k] for k in learner.needs})
            image = self.backbone.encode_image(inputs, prompts.visual)
        return self.head.image_features(image, frozen.get('frozen_image'))

    # ---------------------------------------------------------------- forward
    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'tensor':
            return self.forward_features(inputs).logits
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}".')

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """The terms of every loss part (e.g. HiCroPL Eq. 4 and Eq. 6)."""
        return self.compute_losses(self.forward_features(inputs), data_samples)

    def compute_losses(self, features: Features,
                       data_samples: List[DataSample]
                       ) -> Dict[str, torch.Tensor]:
        """Losses from the output of :meth:`forward_features`."""
        labels = torch.cat([s.gt_label for s in data_samples]).to(
            features.logits.device)
        losses: Dict[str, torch.Tensor] = {}
        for part in self.losses:
            terms = part(features, labels)
            clash = sorted(set(terms) & set(losses))
            if clash:
                raise ConfigError(f'Two loss parts return the terms {clash}; '
                                 'give them different names.')
            losses.update(terms)
        return losses

    def predict(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        """Scores (softmax of the logits) and labels over the current classes."""
        logits = self.forward_features(inputs).logits
        scores = F.softmax(logits, dim=1)
        labels = scores.argmax(dim=1, keepdim=True).detach()
        if data_samples is None:
            data_samples = [DataSample() for _ in range(logits.shape[0])]
        for sample, score, label in zip(data_samples, scores, labels):
            sample.set_pred_score(score).set_pred_label(label)
        return data_samples
