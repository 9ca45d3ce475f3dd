from .base import CLASS_TOKEN_POSITIONS, BasePromptLearner, PromptSet
from .blocks import KnowledgeMapper, LayerKnowledgeProxy
from .coop import CoOpPromptLearner
from .hicropl import HiCroPLPromptLearner
from .hicropl_official import HiCroPLOfficialPromptLearner
from .promptsrc import PromptSRCPromptLearner, promptsrc_official_to_ours

__all__ = ['BasePromptLearner', 'CLASS_TOKEN_POSITIONS', 'CoOpPromptLearner', 'HiCroPLOfficialPromptLearner',
           'HiCroPLPromptLearner', 'KnowledgeMapper', 'LayerKnowledgeProxy', 'PromptSet',
           'PromptSRCPromptLearner', 'promptsrc_official_to_ours']
