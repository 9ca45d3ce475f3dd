from .feature_fit_loop import FeatureFitLoop

__all__ = ['FeatureFitLoop']
