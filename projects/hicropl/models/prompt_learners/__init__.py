from .base import CLASS_TOKEN_POSITIONS, BasePromptLearner, PromptSet
from .blocks import KnowledgeMapper, LayerKnowledgeProxy
from .cocoop import CoCoOpPromptLearner
from .coop import CoOpPromptLearner
from .hicropl import HiCroPLPromptLearner
from .hicropl_official import HiCroPLOfficialPromptLearner

__all__ = ['BasePromptLearner', 'CLASS_TOKEN_POSITIONS', 'CoCoOpPromptLearner', 'CoOpPromptLearner', 'HiCroPLOfficialPromptLearner',
           'HiCroPLPromptLearner', 'KnowledgeMapper', 'LayerKnowledgeProxy', 'PromptSet']
