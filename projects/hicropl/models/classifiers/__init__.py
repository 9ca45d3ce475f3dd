from .prompt_clip import PromptCLIPClassifier

__all__ = ['PromptCLIPClassifier']
