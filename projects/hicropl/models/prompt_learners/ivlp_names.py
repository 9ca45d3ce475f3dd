"""Parameter names of the authors' IVLP model -> :class:`IVLPPromptLearner`'s.

The authors' IVLP keeps only ``ctx`` in its prompt learner; the deeper
prompts live in the CLIP towers' blocks (``VPT``, ``VPT_shallow``). Ours
all live in the prompt learner (reference README, section 12a).
"""
import re
from typing import Optional


def ivlp_official_to_ours(name: str) -> Optional[str]:
    """Map an authors' IVLP parameter name (model-level, e.g.
    ``'text_encoder.transformer.resblocks.2.VPT_shallow'``) to ours
    (``'prompt_learner.text_prompts.1'``); None if it is not a prompt."""
    if name == 'prompt_learner.ctx':
        return name
    if name == 'image_encoder.VPT':
        return 'prompt_learner.visual_prompts.0'
    match = re.fullmatch(
        r'(text|image)_encoder\.transformer\.resblocks\.(\d+)\.VPT_shallow',
        name)
    if match is None:
        return None
    tower, layer = match.group(1), int(match.group(2))
    if tower == 'text':  # text_prompts[l - 1] is layer l's (ctx is layer 0)
        return f'prompt_learner.text_prompts.{layer - 1}'
    return f'prompt_learner.visual_prompts.{layer}'
