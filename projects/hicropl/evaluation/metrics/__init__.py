from .base_novel import BaseNovelAccuracy, harmonic_mean

__all__ = ['BaseNovelAccuracy', 'harmonic_mean']
