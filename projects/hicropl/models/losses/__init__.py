from .consistency_loss import ConsistencyLoss

__all__ = ['ConsistencyLoss']
