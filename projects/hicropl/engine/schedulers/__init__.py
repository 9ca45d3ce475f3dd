from .constant_warmup_cosine import ConstantWarmupCosineLR, ConstantWarmupCosineParamScheduler

__all__ = ['ConstantWarmupCosineLR', 'ConstantWarmupCosineParamScheduler']
