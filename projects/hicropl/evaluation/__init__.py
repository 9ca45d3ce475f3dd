"""Evaluation of the plugin: metrics (registered in MMPretrain's
``METRICS``) and the results files written by ``tools/run_protocol.py``."""
from .metrics import BaseNovelAccuracy, harmonic_mean
from .results import (RESULTS_FILE, find_results, load_results,
                      write_results)

__all__ = [
    'BaseNovelAccuracy', 'harmonic_mean', 'RESULTS_FILE', 'find_results',
    'load_results', 'write_results'
]
