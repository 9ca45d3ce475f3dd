from .blocks import KnowledgeMapper, LayerKnowledgeProxy
from .hicropl import HiCroPLPromptLearner, LayerPromptSet

__all__ = ['HiCroPLPromptLearner', 'KnowledgeMapper', 'LayerKnowledgeProxy', 'LayerPromptSet']
