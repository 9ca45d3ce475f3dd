"""Open-vocabulary image classification with a prompt-learned CLIP."""
import copy
import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
from mmcv.image import imread
from mmengine.config import Config
from mmengine.dataset import Compose, default_collate
from mmengine.model import BaseModel

from mmpretrain.apis import ImageClassificationInferencer
from mmpretrain.apis.base import InputType, ModelType
from mmpretrain.apis.model import ModelHub
from mmpretrain.registry import TRANSFORMS

__all__ = ['OpenVocabularyInferencer', 'class_text_cfg', 'read_classnames']


def read_classnames(classnames: Union[str, Sequence[str]]) -> List[str]:
    """Class names from a list, a text file (one per line) or a string of
    comma-separated names."""
    if isinstance(classnames, str):
        if osp.isfile(classnames):
            with open(classnames, encoding='utf-8') as f:
                names = [line.strip() for line in f]
        else:
            names = [c.strip() for c in classnames.split(',')]
    else:
        names = [str(c).strip() for c in classnames]
    names = [c for c in names if c]
    if not names:
        raise ValueError(
            'No class names given: pass a list, a comma-separated string or '
            'a text file with one class name per line.')
    return names


def class_text_cfg(descriptions: Optional[str] = None,
                   templates: Optional[Union[str, Sequence[str]]] = None
                   ) -> Optional[dict]:
    """Frozen class text embeddings for new classes.

    Args:
        descriptions (str, optional): A description JSON (``{"class name":
            ["sentence", ...]}``); classes it lacks fall back to the first
            template (``on_missing='template'``, with a warning).
        templates (str | list[str], optional): Template(s) with ``{}``.

    Returns:
        dict | None: A ``class_text`` config, None when neither is given.
    """
    if templates is not None and isinstance(templates, str):
        templates = [templates]
    if descriptions:
        cfg = dict(type='DescriptionTextEmbeddings', descriptions=descriptions,
                   on_missing='template')
        if templates:
            cfg['template'] = templates[0]
        return cfg
    if templates:
        return dict(type='TemplateTextEmbeddings', templates=list(templates))
    return None


def _is_loading(transform: dict) -> bool:
    kind = transform.get('type')
    name = kind if isinstance(kind, str) else getattr(kind, '__name__', '')
    return name.endswith('LoadImageFromFile')


class OpenVocabularyInferencer(ImageClassificationInferencer):
    """:class:`ImageClassificationInferencer` on any class names.

    A prompt-learned CLIP classifies among whatever class names it is given.
    By default these are the classes stored in the checkpoint; ``classnames``
    (and optionally class ``descriptions`` or ``templates`` for their frozen
    text features) replace them, here or later with :meth:`set_classes`.
    Without descriptions or templates, the model's description file is
    used and classes it lacks fall back to a template (with a warning).

    Image files are loaded with the config's own loading transform, so a
    file gives exactly the prediction of ``tools/test.py``.

    Args:
        model (str | Config | BaseModel): A config file, a config, a model
            name of the model index, or a built model.
        pretrained (str | bool): The checkpoint. Defaults to True (the
            model index's weights, for a model name).
        device (str, optional): Device to run on.
        classnames (list[str] | str, optional): Classes, see
            :func:`read_classnames`. Defaults to the checkpoint's.
        descriptions (str, optional): Description JSON of the classes.
        templates (str | list[str], optional): Prompt template(s) for the
            frozen class text features instead of descriptions.
        **kwargs: Other arguments of ``ImageClassificationInferencer``.

    Example:
        >>> inferencer = OpenVocabularyInferencer(
        ...     'configs/hicropl/hicropl_demo.py', 'epoch_10.pth',
        ...     classnames=['zebra', 'tiger'], templates='a photo of a {}.')
        >>> inferencer('zebra.jpg')[0]['pred_class']  # 'zebra' or 'tiger'
    """

    def __init__(self,
                 model: ModelType,
                 pretrained: Union[bool, str] = True,
                 device: Optional[str] = None,
                 classnames: Optional[Union[str, Sequence[str]]] = None,
                 descriptions: Optional[str] = None,
                 templates: Optional[Union[str, Sequence[str]]] = None,
                 **kwargs) -> None:
        names = read_classnames(classnames) if classnames is not None \
            else None
        class_text = class_text_cfg(descriptions, templates)
        if not isinstance(model, BaseModel):
            # Give the classes and their text to the model before the
            # checkpoint's classes could be embedded with the config's file.
            if names is not None:
                kwargs['classnames'] = names
                if class_text is None:
                    class_text = self._fallback_class_text(model)
            if class_text is not None:
                kwargs['class_text'] = dict(class_text, _delete_=True)
            names = class_text = None
        super().__init__(model, pretrained=pretrained, device=device, **kwargs)
        if names is not None or class_text is not None:
            self.set_classes(names or self.model.classnames,
                             class_text=class_text)
        self.classes = list(self.model.classnames) or self.classes

    @staticmethod
    def _fallback_class_text(model: ModelType) -> Optional[dict]:
        """The config's descriptions with a template fallback for new
        classes (None when the config does not use descriptions)."""
        if isinstance(model, Config):
            cfg = model
        elif isinstance(model, str) and model.endswith('.py'):
            cfg = Config.fromfile(model)
        elif isinstance(model, str):
            cfg = ModelHub.get(model).config
        else:
            return None
        class_text = cfg.model.get('class_text') or {}
        if class_text.get('type') != 'DescriptionTextEmbeddings':
            return None
        return dict(class_text.to_dict(), on_missing='template')

    def set_classes(self,
                    classnames: Union[str, Sequence[str]],
                    descriptions: Optional[str] = None,
                    templates: Optional[Union[str, Sequence[str]]] = None,
                    class_text: Optional[dict] = None) -> None:
        """Classify among ``classnames`` from now on.

        Args:
            classnames (list[str] | str): See :func:`read_classnames`.
            descriptions (str, optional): Description JSON of the classes.
            templates (str | list[str], optional): Template(s) instead.
            class_text (dict, optional): A ``class_text`` config (overrides
                ``descriptions`` and ``templates``).
        """
        class_text = class_text or class_text_cfg(descriptions, templates)
        current = self.model.class_text
        if class_text is None and getattr(current, 'on_missing',
                                          None) == 'error':
            class_text = copy.copy(current)  # shares the embedding cache
            class_text.on_missing = 'template'
        self.model.set_classnames(
            read_classnames(classnames), class_text=class_text)
        self.classes = list(self.model.classnames)

    def _init_pipeline(self, cfg: Config) -> Callable:
        pipeline = cfg.test_dataloader.dataset.pipeline
        loading = [t for t in pipeline if _is_loading(t)]
        self._load_file = TRANSFORMS.build(
            loading[0] if loading else dict(type='LoadImageFromFile'))
        return Compose(
            [TRANSFORMS.build(t) for t in pipeline if not _is_loading(t)])

    def preprocess(self, inputs: List[InputType], batch_size: int = 1):

        def load(input_):
            if isinstance(input_, str):
                results = self._load_file(dict(img_path=input_))
                if results is None:
                    raise ValueError(f'Failed to read image {input_}.')
                return results
            img = imread(input_) if not isinstance(input_,
                                                   np.ndarray) else input_
            return dict(img=img, img_shape=img.shape[:2],
                        ori_shape=img.shape[:2])

        pipeline = Compose([load, self.pipeline])
        chunks = self._get_chunk_data(map(pipeline, inputs), batch_size)
        yield from map(default_collate, chunks)
