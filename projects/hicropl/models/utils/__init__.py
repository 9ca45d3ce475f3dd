from .class_prompts import ClassPromptError, build_class_prompts
from .features import FROZEN_FEATURES, Features, cosine_logits
from .sharded_text import (all_gather_rows, dist_world_size, shard_bounds, shard_indices,
                           sharded_encode_text, text_tokens_per_rank)

__all__ = ['ClassPromptError', 'FROZEN_FEATURES', 'Features', 'all_gather_rows',
           'build_class_prompts', 'cosine_logits', 'dist_world_size', 'shard_bounds',
           'shard_indices', 'sharded_encode_text', 'text_tokens_per_rank']
