from .consistency_loss import ConsistencyLoss
from .logits_loss import LogitsLoss

__all__ = ['ConsistencyLoss', 'LogitsLoss']
