from .consistency_loss import ConsistencyLoss
from .frozen_feature_l1_loss import FrozenFeatureL1Loss
from .knowledge_guided_text_loss import KnowledgeGuidedTextLoss
from .label_embedding_loss import LabelEmbeddingLoss
from .logits_loss import LogitsLoss
from .sample_probing_loss import SampleProbingLoss
from .semantic_alignment_loss import SemanticAlignmentLoss
from .zero_shot_kl_loss import ZeroShotKLLoss

__all__ = ['ConsistencyLoss', 'FrozenFeatureL1Loss', 'KnowledgeGuidedTextLoss', 'LogitsLoss', 'ZeroShotKLLoss']
__all__ += ['LabelEmbeddingLoss', 'SampleProbingLoss', 'SemanticAlignmentLoss']
