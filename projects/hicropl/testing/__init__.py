"""Helpers for tests and benchmarks: tiny CLIPs and the authors' reference cases."""
from .reference import (ReferenceCase, find_reference_cases, recipe_tensor, reference_roots,
                        tiny_clip_arch, tiny_clip_state_dict)

__all__ = ['ReferenceCase', 'find_reference_cases', 'recipe_tensor', 'reference_roots',
           'tiny_clip_arch', 'tiny_clip_state_dict']
