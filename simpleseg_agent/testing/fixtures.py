"""pytest fixtures for the tiny checkpoints; wire them in a conftest with
``from simpleseg_agent.testing.fixtures import memorized_model_path, tiny_model_path``.

Both skip the requesting test when torch, torchvision or transformers is missing, and set torch to
one thread for the session (two shared cores: contention made steps 25x slower once).
"""

from __future__ import annotations

from pathlib import Path

import pytest


def _require_model_stack() -> None:
    pytest.importorskip("torch", reason="needs the [model] extra (torch)")
    pytest.importorskip("torchvision", reason="needs the [model] extra (torchvision)")
    pytest.importorskip("transformers", reason="needs the [model] extra (transformers)")
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_model_path() -> Path:
    """Folder of the tiny random Qwen2.5-VL checkpoint (seed 0)."""
    _require_model_stack()
    from . import tiny_model_dir

    return tiny_model_dir()


@pytest.fixture(scope="session")
def memorized_model_path() -> Path:
    """Folder of the tiny checkpoint that memorized ``synthetic_examples()``."""
    _require_model_stack()
    from . import memorized_model_dir

    return memorized_model_dir()
