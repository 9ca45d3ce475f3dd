"""Helpers for tests and benchmarks: tiny CLIPs and the authors' reference cases."""
from .baseline_parity import (ArrayChecker, build_baseline_model, case_inputs,
                              check_learner_config, check_text_prompts, missing_cases_message,
                              run_baseline_parity, written_class_prompts)
from .reference import (ReferenceCase, find_baseline_cases, find_reference_cases, recipe_arch,
                        recipe_state_dict, recipe_tensor, reference_roots)
from .tiny import TINY_CLIP_ARCH, tiny_clip_arch
from .tolerance import (clip_steps, eps_of, rounding_tolerance, score_tolerance,
                        softmax_tolerance, transformer_steps)

__all__ = ['ArrayChecker', 'build_baseline_model', 'case_inputs', 'check_learner_config',
           'check_text_prompts', 'missing_cases_message', 'run_baseline_parity',
           'written_class_prompts', 'TINY_CLIP_ARCH', 'ReferenceCase', 'find_baseline_cases',
           'find_reference_cases', 'recipe_arch', 'recipe_state_dict', 'recipe_tensor',
           'reference_roots', 'tiny_clip_arch', 'clip_steps', 'eps_of', 'rounding_tolerance',
           'score_tolerance', 'softmax_tolerance', 'transformer_steps']
