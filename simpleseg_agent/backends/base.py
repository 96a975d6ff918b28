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
import math
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
        constrained: decode with the answer grammar by default (:class:`~simpleseg_agent.tools.SimpleSeg`
            ``constrained``).
        snap: snap outlines and boxes to the screen's elements by default (:class:`~simpleseg_agent.tools.SimpleSeg`
            ``snap``; for models of screens only).
        snap_reach: when snapping, the element boxes within this many times the answer's long side of
            its box are candidates (0.5: near the answer; 100: the whole screen, for a model trained to
            choose among boxes, ``simpleseg train choose``).
        snap_overlap_weight: nats of log-likelihood one unit of a candidate's overlap (mask IoU) with the
            answer adds to its score (0: the model's choice alone).
        snap_read_weight: nats of log-likelihood one unit of a candidate's match with the words a text
            query names adds to its score, the words read off the screen
            (:mod:`~simpleseg_agent.screen.words`; :class:`~simpleseg_agent.tools.SimpleSeg` ``read_text``;
            0: no reading by default).
        snap_text_grow: when the model chooses a line of text while snapping, return its ink box grown by
            this fraction of its height, whichever of its grown boxes the model chose
            (:func:`~simpleseg_agent.screen.elements.text_line_extent`; :class:`~simpleseg_agent.tools.SimpleSeg`
            ``text_extent``); ``None``: the model's choice stands.
        snap_icon_grow: when the model chooses another shape while snapping, settle its outline from the
            pixels (:func:`~simpleseg_agent.screen.elements.shape_extent`; :class:`~simpleseg_agent.tools.SimpleSeg`
            ``shape_extent``): a filled or bordered element's own box and rounded corners, an icon's glyph
            grown by this fraction of its short side; ``None``: the model's choice stands.
        snap_icon_round: ... and that icon's corners rounded by this fraction of its short side.
        snap_kind_weight: nats added to a candidate whose pixels show the kind of element the query names
            (a switch, a checkbox, a dropdown, a field, a link: :mod:`~simpleseg_agent.screen.kinds`;
            :class:`~simpleseg_agent.tools.SimpleSeg` ``kinds``; 0: none by default).
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
    constrained: bool = False
    snap: bool = False
    snap_reach: float = 0.5
    snap_overlap_weight: float = 100.0
    snap_read_weight: float = 0.0
    snap_text_grow: float | None = None
    snap_icon_grow: float | None = None
    snap_icon_round: float = 0.0
    snap_kind_weight: float = 0.0
    target_style: str = "canonical"

    def __post_init__(self) -> None:
        if self.target_style not in ("canonical", "released"):
            raise ValueError(f"ModelPreset {self.name!r}: target_style must be 'canonical' or 'released', "
                             f"got {self.target_style!r}")
        for name in ("snap_reach", "snap_overlap_weight", "snap_read_weight", "snap_kind_weight"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValueError(f"ModelPreset {self.name!r}: {name} must be a finite number >= 0, got {value!r}")
        grow = self.snap_text_grow
        if grow is not None and (isinstance(grow, bool) or not isinstance(grow, (int, float)) or not math.isfinite(grow)
                                 or not 0 <= grow <= 1):
            raise ValueError(f"ModelPreset {self.name!r}: snap_text_grow must be None or a fraction in [0, 1], got {grow!r}")
        grow, rnd = self.snap_icon_grow, self.snap_icon_round
        if grow is not None and (isinstance(grow, bool) or not isinstance(grow, (int, float)) or not math.isfinite(grow)
                                 or not 0 <= grow <= 1):
            raise ValueError(f"ModelPreset {self.name!r}: snap_icon_grow must be None or a fraction in [0, 1], got {grow!r}")
        if isinstance(rnd, bool) or not isinstance(rnd, (int, float)) or not math.isfinite(rnd) or not 0 <= rnd <= 0.5:
            raise ValueError(f"ModelPreset {self.name!r}: snap_icon_round must be a fraction in [0, 0.5], got {rnd!r}")


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
