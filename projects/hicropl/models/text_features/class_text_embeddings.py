"""Frozen class text embeddings: LLM descriptions or prompt templates."""
import hashlib
import json
import os
import os.path as osp
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.dist import all_reduce, broadcast, get_dist_info
from mmengine.logging import MMLogger

from mmpretrain.registry import MODELS
from ...datasets.coop_dataset import DatasetNotFoundError
from ...datasets.rules import prompt_name
from ...errors import ConfigError, DataError
from ..utils.sharded_text import shard_bounds

ON_MISSING = ('error', 'template')
# How the sentence embeddings of a class are averaged: CLIP's prompt
# ensembling L2-normalises each before the mean ('normalized'); PromptSRC's
# authors average the raw tower outputs ('raw', reference README 13b). The
# mean is L2-normalised in both cases.
AVERAGES = ('normalized', 'raw')


def description_key(classname: str) -> str:
    """Key of a class in a description JSON (the authors' convention:
    the class name with every ``_`` as a space, as in its prompt)."""
    return prompt_name(classname)


def check_sentence_lengths(tokenizer, context_length: int,
                           classnames: Sequence[str],
                           per_class: Sequence[Sequence[str]],
                           source: str) -> None:
    """Refuse sentences longer than the text context.

    The tokenizer would cut them silently; like a class prompt that does not
    fit (``set_classnames``) and like the authors' code (CLIP's tokenizer
    without truncation), this is an error naming the class and the sentence.

    Args:
        tokenizer: ``tokenizer(texts, context_length=...)`` -> ids ``[N, L]``.
        context_length (int): The text tower's context (tokens).
        classnames (list[str]): The classes, aligned with ``per_class``.
        per_class (list[list[str]]): The sentences of each class.
        source (str): Where the sentences come from (for the message).
    """
    flat = [(c, s) for c, sentences in zip(classnames, per_class)
            for s in sentences]
    if not flat:
        return
    # One position more than fits: a token there means truncation.
    tokens = tokenizer([s for _, s in flat],
                       context_length=context_length + 1)
    too_long = [(c, s) for (c, s), t in zip(flat, tokens)
                if int(t[context_length]) != 0]
    if too_long:
        name, sentence = too_long[0]
        more = f' ({len(too_long) - 1} more sentences too)' \
            if len(too_long) > 1 else ''
        raise DataError(
            f'A sentence of class {description_key(name)!r} in {source} is '
            f'longer than the text context ({context_length} tokens) and '
            f'would be cut: {sentence!r}{more}. Shorten or split it.')


class ClassTextEmbeddings:
    """Base: per class, the mean of the (L2-normalised, see ``average``)
    sentence embeddings of the frozen text tower, re-normalised.

    Subclasses say which sentences describe a class (:meth:`sentences`).
    Results are cached in memory per (backbone, class list) and, when
    ``cache_dir`` is set, on disk under a key hashing everything that
    determines them (backbone, class names, sentences).

    Under torch.distributed (``W > 1`` ranks, ``distributed=True``) the
    embeddings are computed once for all ranks: rank 0 looks up the disk
    cache and broadcasts a hit; on a miss every rank encodes a contiguous
    ``1/W`` of the sentences, the per-class sums are all-reduced, and rank 0
    writes the disk cache. Every rank must then call together (as
    ``ClassNamesHook`` does).

    Args:
        cache_dir (str, optional): Folder for the on-disk cache.
        batch_size (int): Sentences encoded per text-tower call.
        distributed (bool): Share the work across the ranks of the default
            process group when there are several. False: every rank
            computes everything itself. Defaults to True.
        average (str): ``'normalized'`` (mean of unit-norm sentence
            embeddings, CLIP's ensembling; default) or ``'raw'`` (mean of the
            raw tower outputs).
    """

    def __init__(self,
                 cache_dir: Optional[str] = None,
                 batch_size: int = 256,
                 distributed: bool = True,
                 average: str = 'normalized'):
        if average not in AVERAGES:
            raise ValueError(f'average must be one of {AVERAGES}, got '
                             f'{average!r}')
        self.average = average
        self.cache_dir = cache_dir
        self.batch_size = batch_size
        self.distributed = distributed
        self._memory: Dict[str, torch.Tensor] = {}

    def sentences(self, classnames: Sequence[str]) -> List[List[str]]:
        """The sentences that describe each class."""
        raise NotImplementedError

    @property
    def source(self) -> str:
        """Where the sentences come from (named in messages)."""
        return type(self).__name__

    def __call__(self, clip, classnames: Sequence[str]) -> torch.Tensor:
        """Frozen class embeddings ``[C, embed_dim]`` (unit norm), in the
        backbone's dtype (computed and cached in :meth:`sum_dtype`)."""
        per_class = self.sentences(classnames)
        key = self._cache_key(clip, classnames, per_class, self.average)
        if key not in self._memory:
            check_sentence_lengths(clip.tokenizer, clip.context_length,
                                   classnames, per_class, self.source)
            rank, world_size = get_dist_info()
            if not self.distributed:
                rank, world_size = 0, 1
            self._memory[key] = self._load_or_encode(clip, key, per_class,
                                                     rank, world_size)
        return self._memory[key].to(
            device=clip.logit_scale.device, dtype=clip.logit_scale.dtype)

    @staticmethod
    def sum_dtype(clip) -> torch.dtype:
        """Dtype of the per-class sums: the backbone's, at least float32
        (fp16 / bf16 sums of many sentences would lose digits)."""
        return torch.promote_types(clip.logit_scale.dtype, torch.float32)

    def _load_or_encode(self, clip, key: str, per_class: List[List[str]],
                        rank: int, world_size: int) -> torch.Tensor:
        """Disk cache (read by rank 0), else encode (sharded over ranks)."""
        if world_size == 1:
            features = self._load_disk(key)
            if features is None:
                features = self._encode(clip, per_class)
                self._save_disk(key, features)
            return features
        features = self._load_disk(key) if rank == 0 else None
        hit = torch.tensor([features is not None], dtype=torch.uint8)
        broadcast(hit, src=0)
        if hit.item():
            if features is None:
                features = torch.empty(len(per_class), clip.embed_dim)
            features = features.to(self.sum_dtype(clip)).contiguous()
            broadcast(features, src=0)
            return features
        features = self._encode(clip, per_class, rank, world_size)
        if rank == 0:
            self._save_disk(key, features)
        return features

    @torch.no_grad()
    def _encode(self,
                clip,
                per_class: List[List[str]],
                rank: int = 0,
                world_size: int = 1) -> torch.Tensor:
        """Encode this rank's ``1/W`` of the sentences; sum per class over
        the ranks (all-reduce when ``world_size > 1``)."""
        flat = [s for sentences in per_class for s in sentences]
        owner = torch.tensor(
            [c for c, sentences in enumerate(per_class) for _ in sentences])
        device = clip.logit_scale.device
        # shape = [C, embed_dim]: sums of (unit-norm) sentence embeddings
        sums = torch.zeros(
            len(per_class),
            clip.embed_dim,
            device=device,
            dtype=self.sum_dtype(clip))
        mine = shard_bounds(len(flat), world_size, rank)
        for start in range(mine.start, mine.stop, self.batch_size):
            stop = min(start + self.batch_size, mine.stop)
            tokens = clip.tokenize(flat[start:stop]).to(device)
            # shape = [N, embed_dim]
            features = clip.encode_text(tokens).to(sums.dtype)
            if self.average == 'normalized':
                features = F.normalize(features, dim=-1)
            sums.index_add_(0, owner[start:stop].to(device), features)
        if world_size > 1:
            all_reduce(sums, op='sum')
        counts = torch.bincount(owner, minlength=len(per_class)).to(sums)
        return F.normalize(sums / counts[:, None], dim=-1).cpu()

    # ------------------------------------------------------------------ cache
    @staticmethod
    def _cache_key(clip, classnames: Sequence[str],
                   per_class: List[List[str]],
                   average: str = 'normalized') -> str:
        payload = [
            clip.identity(),
            clip.text_tower_fingerprint(), list(classnames), per_class
        ]
        if average != 'normalized':  # keys of existing caches unchanged
            payload.append(average)
        payload = json.dumps(payload)
        return hashlib.sha256(payload.encode()).hexdigest()

    def _cache_path(self, key: str) -> Optional[str]:
        if not self.cache_dir:
            return None
        return osp.join(self.cache_dir, f'class_text_{key[:32]}.pt')

    def _load_disk(self, key: str) -> Optional[torch.Tensor]:
        path = self._cache_path(key)
        if path is None or not osp.isfile(path):
            return None
        try:
            record = torch.load(path, map_location='cpu', weights_only=True)
            if record.get('key') == key and isinstance(
                    record.get('features'), torch.Tensor):
                return record['features']
            reason = 'its key does not match'
        except Exception as err:  # corrupt or unsafe: rebuild, never trust
            reason = f'it cannot be read ({type(err).__name__})'
        MMLogger.get_current_instance().warning(
            f'Ignoring the text-embedding cache {path}: {reason}; '
            f'recomputing it.')
        return None

    def _save_disk(self, key: str, features: torch.Tensor) -> None:
        path = self._cache_path(key)
        if path is None:
            return
        os.makedirs(self.cache_dir, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.cache_dir, suffix='.tmp')
        os.close(fd)
        torch.save(dict(key=key, features=features), tmp)
        os.replace(tmp, path)  # atomic: no half-written cache file


@MODELS.register_module()
class TemplateTextEmbeddings(ClassTextEmbeddings):
    """Class embeddings from prompt templates (one, or an ensemble).

    Args:
        templates (str | list[str]): Templates with one ``{}`` for the class
            name (underscores become spaces). Defaults to
            ``'a photo of a {}.'``.
    """

    def __init__(self, templates='a photo of a {}.', **kwargs):
        super().__init__(**kwargs)
        self.templates = [templates] if isinstance(templates,
                                                   str) else list(templates)
        if not self.templates or any('{}' not in t for t in self.templates):
            raise ValueError('templates must be non-empty and each must '
                             "contain '{}' for the class name, got "
                             f'{self.templates}')

    def sentences(self, classnames: Sequence[str]) -> List[List[str]]:
        return [[t.format(description_key(c)) for t in self.templates]
                for c in classnames]


def read_descriptions(path: str) -> Dict[str, List[str]]:
    """Read a description JSON ``{"class name": ["sentence", ...]}``.

    Raises:
        DatasetNotFoundError: The file does not exist.
        DataError: It is not valid JSON (naming the line) or not of this
            form.
    """
    if not osp.isfile(path):
        raise DatasetNotFoundError(
            f'Class description file not found: {path}. Set '
            f'`class_text.descriptions` to the JSON of the dataset '
            f'(authors\' format {{"class name": ["sentence", ...]}}) or '
            f'use TemplateTextEmbeddings.')
    with open(path, encoding='utf-8') as f:
        try:
            table = json.load(f)
        except json.JSONDecodeError as e:
            raise DataError(f'{path} is not valid JSON: {e}. Fix the file '
                            f'at that line.') from e
    if not isinstance(table, dict):
        raise DataError(f'{path} is not a description JSON of the form '
                        f'{{"class name": ["sentence", ...]}}: the top level '
                        f'is a {type(table).__name__}.')
    bad = [k for k, v in table.items()
           if not isinstance(v, list) or not all(isinstance(s, str)
                                                  for s in v)]
    if bad:
        raise DataError(f'{path} is not a description JSON of the form '
                        f'{{"class name": ["sentence", ...]}}: the value of '
                        f'{bad[0]!r} is not a list of strings.')
    return table


def missing_descriptions(table: Dict[str, List[str]],
                         classnames: Sequence[str]
                         ) -> Tuple[List[str], Dict[str, str]]:
    """The classes a description table does not describe.

    Returns:
        tuple: ``(missing, near_misses)``: the classes without sentences
        (no key, or an empty list), and for those of them whose key the
        table has up to ``_`` vs space, ``class -> the table's key``.
    """
    missing = [c for c in classnames if not table.get(description_key(c))]
    by_prompt = {prompt_name(k): k for k in table if table[k]}
    near = {c: by_prompt[description_key(c)] for c in missing
            if description_key(c) in by_prompt}
    return missing, near


def near_miss_message(near: Dict[str, str], path: str) -> str:
    """The error for keys that differ from class keys only by ``_``."""
    shown = ', '.join(f'{description_key(c)!r} (the file has {k!r})'
                      for c, k in list(near.items())[:5])
    more = f' and {len(near) - 5} more' if len(near) > 5 else ''
    return (f'{len(near)} classes have no key in {path} but a key that '
            f'differs only by "_" vs space: {shown}{more}. Keys are class '
            f'names with every "_" as a space: rename these keys.')


@MODELS.register_module()
class DescriptionTextEmbeddings(ClassTextEmbeddings):
    """Class embeddings from LLM-written descriptions (HiCroPL, CoPrompt).

    Reads a JSON in the authors' format ``{"class name": ["sentence", ...]}``
    keyed by the class name with underscores replaced by spaces.

    Args:
        descriptions (str): Path of the description JSON.
        on_missing (str): A class without descriptions: ``'error'`` (default)
            or ``'template'`` (use ``template`` for it, with a warning listing
            those classes). A key that differs from a class' key only by
            ``_`` vs space is an error either way: it is a misspelt key, not
            a class without descriptions, and a silent template would
            replace the descriptions the user wrote.
        template (str): The fallback template.
    """

    def __init__(self,
                 descriptions: str,
                 on_missing: str = 'error',
                 template: str = 'a photo of a {}.',
                 **kwargs):
        super().__init__(**kwargs)
        if on_missing not in ON_MISSING:
            raise ConfigError(f'on_missing must be one of {ON_MISSING}, got '
                              f'{on_missing!r}')
        if not descriptions:
            raise ConfigError(
                'DescriptionTextEmbeddings needs `descriptions`: the path of '
                'the class-description JSON (e.g. the authors\' '
                'gpt_file/<dataset>_prompt.json).')
        self.path = descriptions
        self.on_missing = on_missing
        self.template = template
        self._table: Optional[Tuple[float, Dict[str, List[str]]]] = None

    @property
    def source(self) -> str:
        return self.path

    def _read(self) -> Dict[str, List[str]]:
        if not osp.isfile(self.path):
            read_descriptions(self.path)  # raises, naming the path
        mtime = osp.getmtime(self.path)
        if self._table is None or self._table[0] != mtime:
            self._table = (mtime, read_descriptions(self.path))
        return self._table[1]

    def sentences(self, classnames: Sequence[str]) -> List[List[str]]:
        table = self._read()
        missing, near = missing_descriptions(table, classnames)
        if near:
            raise DataError(near_miss_message(near, self.path))
        if missing and self.on_missing == 'error':
            raise DataError(
                f'{len(missing)} classes have no descriptions in '
                f'{self.path}: {[description_key(c) for c in missing]}. Add '
                f'them (key = class name with underscores as spaces) or set '
                f"on_missing='template'.")
        if missing:
            MMLogger.get_current_instance().warning(
                f'No descriptions in {self.path} for {missing}; using the '
                f'template {self.template!r} for them.')
        return [
            table.get(description_key(c)) or
            [self.template.format(description_key(c))] for c in classnames
        ]


@MODELS.register_module()
class RandomDescriptionTextEmbeddings(DescriptionTextEmbeddings):
    """One description drawn at random per class and training step
    (CoPrompt's frozen text; HiCroPL paper Table 12).

    Evaluation uses the averaged descriptions, as
    :class:`DescriptionTextEmbeddings` (a fixed classifier). In training the
    classifier calls :meth:`draw` on every forward (``per_step``): every
    sentence is encoded once (unit norm, cached per backbone and class
    list) and one of each class' sentences is picked with ``torch``'s global
    generator (seeded by the runner).

    Takes the arguments of :class:`DescriptionTextEmbeddings`.

    Attributes:
        per_step (bool): The training frozen text changes every step.
    """
    per_step = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sentences: Dict[str, Tuple[torch.Tensor, torch.Tensor]] = {}

    @torch.no_grad()
    def sentence_embeddings(self, clip, classnames: Sequence[str]
                            ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Every sentence's frozen embedding ``[N, D]`` (unit norm) and the
        class of each ``[N]`` (sentences grouped by class, in order)."""
        per_class = self.sentences(classnames)
        key = self._cache_key(clip, classnames, per_class, 'sentences')
        if key not in self._sentences:
            check_sentence_lengths(clip.tokenizer, clip.context_length,
                                   classnames, per_class, self.source)
            flat = [s for sentences in per_class for s in sentences]
            device = clip.logit_scale.device
            chunks = [
                F.normalize(clip.encode_text(
                    clip.tokenize(flat[i:i + self.batch_size]).to(device)),
                    dim=-1) for i in range(0, len(flat), self.batch_size)
            ]
            owner = torch.tensor([c for c, sentences in enumerate(per_class)
                                  for _ in sentences], device=device)
            self._sentences[key] = (torch.cat(chunks), owner)
        return self._sentences[key]

    def draw(self, clip, classnames: Sequence[str]) -> torch.Tensor:
        """One random description per class: ``[C, D]`` (unit norm)."""
        features, owner = self.sentence_embeddings(clip, classnames)
        counts = torch.bincount(owner, minlength=len(classnames))
        starts = torch.cumsum(counts, 0) - counts
        # shape = [C]: a uniform index into each class' own sentences
        offsets = (torch.rand(len(classnames)) * counts.cpu()).long()
        return features[starts + offsets.to(starts.device)]
