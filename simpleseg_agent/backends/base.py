"""The backend interface: images + prompts in, answer texts out, batched.

A backend knows how to talk to one model (a local transformers checkpoint, an OpenAI-compatible
server, ...). It does not parse answers: the tools do, with the coordinate space the backend's
:class:`ModelPreset` declares. Backends never import torch at module import time.

Example:
    >>> from PIL import Image
    >>> from simpleseg_agent.backends.base import GenerationRequest
    >>> req = GenerationRequest(image=Image.new("RGB", (64, 48)), prompt="What is the polygon of the cat in the image?")
    >>> req.image.size
    (64, 48)
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field

from PIL import Image

from ..grammar import CoordSpace


@dataclass(frozen=True)
class ModelPreset:
    """How to talk to a family of checkpoints: where its answers' coordinates live, how to ask.

    Attributes:
        name: registry name (``"simpleseg-qwen2.5-vl"``).
        model_id: hub id or local folder of the weights.
        coord_space: the space of the numbers in the answers (see :class:`CoordSpace`).
        prompt_style: ``"simpleseg"`` (the released templates) or ``"grounding"`` (ask for a box/point
            in the model's own JSON style, for base models that were not trained on polygons).
        trust_remote_code: the checkpoint ships custom code (SimpleSeg-Kimi-VL does).
        max_new_tokens: default answer budget.
        description: one line for ``simpleseg models``.
        target_style: how fine-tuning targets for this model are written, the way it writes its answers:
            ``"released"`` (the reference data script: OpenCV's vertex order and start point, numbers as
            Python prints them, ``0.25``) for the released SimpleSeg checkpoints; ``"canonical"`` (clockwise
            from the top-most vertex, fixed decimals) for the rest (:mod:`simpleseg_agent.training.tasks`).
    """

    name: str
    model_id: str
    coord_space: CoordSpace = CoordSpace.NORM
    prompt_style: str = "simpleseg"
    trust_remote_code: bool = False
    max_new_tokens: int = 1024
    description: str = ""
    target_style: str = "canonical"

    def __post_init__(self) -> None:
        if self.target_style not in ("canonical", "released"):
            raise ValueError(f"ModelPreset {self.name!r}: target_style must be 'canonical' or 'released', "
                             f"got {self.target_style!r}")


@dataclass(frozen=True)
class GenerationRequest:
    """One question about one image. ``image`` is an RGB PIL image at its original resolution.

    ``temperature`` 0 asks for the greedy answer; above 0 the backend samples at that temperature
    (no top-k / top-p cut), seeded with ``seed`` when it is given (a local backend that batches sampled
    requests seeds the batch with its first request's seed).

    ``grammar`` (``"mask"``, ``"box"``, ``"point"``) asks for constrained decoding: the answer's
    coordinate list must follow that kind's grammar in the backend's coordinate space
    (:class:`~simpleseg_agent.grammar.constrain.AnswerGrammar`). The local transformers backend masks
    the tokens that would break it; a server backend sends it as the server's guided decoding where the
    server honours that (``simpleseg serve``, vLLM); a backend that cannot (``supports_grammar`` False)
    ignores it, and :class:`~simpleseg_agent.tools.SimpleSeg` does not ask it to.
    """

    image: Image.Image
    prompt: str
    max_new_tokens: int | None = None
    temperature: float = 0.0
    seed: int | None = None
    grammar: str | None = None


@dataclass(frozen=True)
class GenerationResult:
    """One answer.

    Attributes:
        text: the answer text, special tokens removed.
        n_tokens: number of generated tokens (the answer length the model paid for).
        model_s: seconds spent in the model for this request (a batch's time shared evenly).
        model_input_wh: ``(width, height)`` of the image as the model saw it (after the
            processor's resizing); needed to read answers given in that image's pixels.
        finished: the model stopped by itself (False when it hit ``max_new_tokens``).
    """

    text: str
    n_tokens: int
    model_s: float
    model_input_wh: tuple[int, int] | None = None
    finished: bool = True
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ScoreRequest:
    """How likely the model finds each of several answers to one question about one image.

    ``continuations`` are answer texts (``"It is at [[[100,200],[300,200],[300,400]]]."``); the backend
    returns one log-likelihood per continuation (natural log, summed over its tokens). Scores compare
    the continuations of one request with each other; the tokens all of them share at their start may
    be left out of every score.
    """

    image: Image.Image
    prompt: str
    continuations: tuple[str, ...]


class Backend(abc.ABC):
    """Base class of model backends.

    Subclasses implement :meth:`generate`; everything else (prompt phrasing, parsing, geometry) is
    the tools' job, so a backend is small and easy to add. ``supports_grammar``: the backend honours
    :attr:`GenerationRequest.grammar` (constrained decoding); others ignore it. ``supports_scoring``: it
    implements :meth:`score` (a local model can, and ``simpleseg serve`` through its scoring extension; other
    OpenAI-compatible servers cannot).
    """

    preset: ModelPreset
    supports_grammar: bool = False
    supports_scoring: bool = False

    @abc.abstractmethod
    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        """Answer a batch of requests, in order. Raises :class:`~simpleseg_agent.errors.ModelError`."""

    def score(self, request: ScoreRequest) -> list[float]:
        """Log-likelihood of each of ``request.continuations`` as the answer (see :class:`ScoreRequest`).
        Raises :class:`~simpleseg_agent.errors.ModelError` where the backend cannot score answers."""
        from ..errors import ModelError

        raise ModelError(f"{type(self).__name__} cannot score answers (only a model this process runs can)")

    def close(self) -> None:  # pragma: no cover - trivial default
        """Release resources (sessions, GPU memory)."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
