from .sharded_text import (all_gather_rows, dist_world_size, shard_bounds, shard_indices,
                           sharded_encode_text, text_tokens_per_rank)

__all__ = ['all_gather_rows', 'dist_world_size', 'shard_bounds', 'shard_indices',
           'sharded_encode_text', 'text_tokens_per_rank']
