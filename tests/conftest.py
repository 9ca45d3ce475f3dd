import os
import sys

# Run from a plain checkout too (``pip install -e .`` is the documented way).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
