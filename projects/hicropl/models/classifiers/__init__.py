from .linear_probe import LinearProbeClassifier
from .prompt_clip import PromptCLIPClassifier

__all__ = ['LinearProbeClassifier', 'PromptCLIPClassifier']
