"""Parameter names of the authors' HiCroPL prompt learner -> ours."""
import re
from typing import Optional

# (authors' pattern, our replacement); names are relative to the prompt learner.
_RULES = (
    (r'^ctx$', 'text_prompts.0'),
    (r'^cross_prompts_text\.(\d+)$', r'text_prompts.\1'),
    (r'^cross_prompts_visual\.(\d+)$', r'visual_prompts.\1'),
    (r'^text_proxy_token\.(\d+)$', r'text_proxies.\1.proxy'),
    (r'^visual_proxy_token\.(\d+)$', r'visual_proxies.\1.proxy'),
    (r'^attn_pooling_text_nets\.(\d+)\.(.+)$', r'text_proxies.\1.\2'),
    (r'^attn_pooling_visual_nets\.(\d+)\.(.+)$', r'visual_proxies.\1.\2'),
    (r'^text2visual_net\.(.+)$', r'text_to_visual.\1'),
    (r'^visual2text_net\.(.+)$', r'visual_to_text.\1'),
)


def official_to_ours(name: str) -> Optional[str]:
    """Map an authors' prompt-learner parameter name to
    :class:`HiCroPLPromptLearner`'s (``None`` if it is not one of them).

    ``name`` may carry the ``prompt_learner.`` prefix; it is kept.
    """
    prefix = ''
    if name.startswith('prompt_learner.'):
        prefix, name = 'prompt_learner.', name[len('prompt_learner.'):]
    for pattern, replacement in _RULES:
        if re.match(pattern, name):
            return prefix + re.sub(pattern, replacement, name)
    return None
