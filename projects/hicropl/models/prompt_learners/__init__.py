from .base import CLASS_TOKEN_POSITIONS, BasePromptLearner, PromptSet
from .blocks import KnowledgeMapper, LayerKnowledgeProxy
from .cocoop import CoCoOpPromptLearner
from .coop import CoOpPromptLearner
from .hicropl import HiCroPLPromptLearner
from .hicropl_official import HiCroPLOfficialPromptLearner
from .hisf import HISFPromptLearner
from .hisf_fusion import LabelSemanticFusion
from .isp import ISPPromptLearner
from .ivlp import IVLPPromptLearner
from .maple import MaPLePromptLearner
from .prompt_attention import PromptCrossAttention
from .promptsrc import PromptSRCPromptLearner, promptsrc_official_to_ours

__all__ = ['BasePromptLearner', 'CLASS_TOKEN_POSITIONS', 'CoCoOpPromptLearner',
           'CoOpPromptLearner', 'HiCroPLOfficialPromptLearner', 'HiCroPLPromptLearner',
           'IVLPPromptLearner', 'KnowledgeMapper', 'LayerKnowledgeProxy', 'MaPLePromptLearner',
           'PromptSet', 'PromptSRCPromptLearner', 'promptsrc_official_to_ours']
__all__ += ['HISFPromptLearner', 'ISPPromptLearner', 'LabelSemanticFusion', 'PromptCrossAttention']
