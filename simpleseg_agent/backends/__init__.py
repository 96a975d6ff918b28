"""Model backends: local transformers checkpoints and OpenAI-compatible servers, chosen by name.

Example:
    >>> from simpleseg_agent.backends import PRESETS, describe
    >>> describe("https://my-vllm:8000/v1"), "simpleseg-qwen2.5-vl" in PRESETS
    ('openai-http', True)
"""

from .base import Backend, GenerationRequest, GenerationResult, ModelPreset
from .presets import PRESETS
from .registry import describe, load_backend

__all__ = ["PRESETS", "Backend", "GenerationRequest", "GenerationResult", "ModelPreset", "describe", "load_backend"]
