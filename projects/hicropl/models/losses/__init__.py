from .consistency_loss import ConsistencyLoss
from .frozen_feature_l1_loss import FrozenFeatureL1Loss
from .logits_loss import LogitsLoss
from .zero_shot_kl_loss import ZeroShotKLLoss

__all__ = ['ConsistencyLoss', 'FrozenFeatureL1Loss', 'LogitsLoss', 'ZeroShotKLLoss']
