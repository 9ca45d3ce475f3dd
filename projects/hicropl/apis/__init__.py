"""Inference APIs: MMPretrain's model hub and inferencers on our models."""
from .inferencer import (OpenVocabularyInferencer, class_text_cfg,
                         read_classnames)
from .model_index import MODEL_INDEX, register_model_index

register_model_index()

__all__ = [
    'MODEL_INDEX', 'OpenVocabularyInferencer', 'class_text_cfg',
    'read_classnames', 'register_model_index'
]
