"""Helpers for tests and benchmarks: tiny CLIPs and the authors' reference cases."""
from .reference import (ReferenceCase, find_baseline_cases, find_reference_cases, recipe_arch,
                        recipe_state_dict, recipe_tensor, reference_roots)
from .tiny import TINY_CLIP_ARCH, tiny_clip_arch

__all__ = ['TINY_CLIP_ARCH', 'ReferenceCase', 'find_baseline_cases', 'find_reference_cases', 'recipe_arch',
           'recipe_state_dict', 'recipe_tensor', 'reference_roots', 'tiny_clip_arch']
