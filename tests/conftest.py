import os
import sys

# Run from a plain checkout too (``pip install -e .`` is the documented way).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import pytest  # noqa: E402
import torch  # noqa: E402


@pytest.fixture
def one_torch_thread():
    """Run the test with one torch thread (as the reference outputs were
    computed; tiny models are fastest so), then restore the setting: later
    tests, and processes they compare with, keep the default."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
