from .clip_factory import build_open_clip, load_clip_weights, read_clip_state_dict
from .prompted_clip import PromptedCLIP

__all__ = ['PromptedCLIP', 'build_open_clip', 'load_clip_weights', 'read_clip_state_dict']
