"""The shipped model, loaded once for the screen tests that go through the tools (one torch thread)."""

import pytest


@pytest.fixture(scope="session")
def shipped_seg():
    pytest.importorskip("torch")
    import torch

    from simpleseg_agent.tools import SimpleSeg

    torch.set_num_threads(1)
    seg = SimpleSeg()  # simpleseg-gui-small, from the package
    yield seg
    seg.close()
