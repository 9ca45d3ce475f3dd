import pytest


@pytest.fixture(autouse=True)
def _one_torch_thread(one_torch_thread):
    """Tiny models run fastest on one thread, most of all on a busy
    machine."""
