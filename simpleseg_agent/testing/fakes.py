"""Fakes for tests of code that is not about the model (named as fakes, so no one mistakes them).

:class:`FakeAnswerBackend` answers from a list of texts, recording what it was asked. Use it to
test parsing, geometry, error paths and integrations; use the tiny real model to test models.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..backends.base import Backend, GenerationRequest, GenerationResult, ModelPreset
from ..errors import ModelError


class FakeAnswerBackend(Backend):
    """A backend that replies with canned answers, in turn (the last one repeats).

    ``answers`` may also be a callable ``(request) -> str``; an answer that is an exception
    instance is raised (as a model failure would be).

    Example:
        >>> from PIL import Image
        >>> fake = FakeAnswerBackend(["[0.5, 0.5]"])
        >>> fake.generate([GenerationRequest(Image.new("RGB", (4, 4)), "Point to the cat.")])[0].text
        '[0.5, 0.5]'
        >>> fake.requests[0].prompt
        'Point to the cat.'
    """

    def __init__(
        self,
        answers: Sequence[str | BaseException] | Callable[[GenerationRequest], str],
        *,
        preset: ModelPreset | None = None,
        model_s: float = 0.0,
    ) -> None:
        self.answers = answers
        self.supports_grammar = True  # it records the grammar asked for; its answers are what it was given
        self.preset = preset or ModelPreset("fake", "fake")
        self.model_s = model_s
        self.requests: list[GenerationRequest] = []

    def _answer(self, request: GenerationRequest) -> str:
        if callable(self.answers):
            return self.answers(request)
        if not self.answers:
            raise ModelError("FakeAnswerBackend has no answers")
        index = min(len(self.requests) - 1, len(self.answers) - 1)
        answer = self.answers[index]
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        out = []
        for request in requests:
            self.requests.append(request)
            text = self._answer(request)
            out.append(GenerationResult(text=text, n_tokens=len(text), model_s=self.model_s, model_input_wh=request.image.size))
        return out


class FakeScoringBackend(FakeAnswerBackend):
    """A :class:`FakeAnswerBackend` that also "scores" answers with ``scorer(request) -> scores`` (or
    raises the exception ``scorer`` is), recording each :class:`~simpleseg_agent.backends.base.ScoreRequest`.
    For tests of the code that uses scores (snapping), not of a model's scores.

    Example:
        >>> from PIL import Image
        >>> from simpleseg_agent.backends.base import ScoreRequest
        >>> fake = FakeScoringBackend(["[0.5, 0.5]"], scorer=lambda req: [-float(len(c)) for c in req.continuations])
        >>> fake.score(ScoreRequest(Image.new("RGB", (4, 4)), "Where?", ("[1]", "[10]")))
        [-3.0, -4.0]
    """

    supports_scoring = True

    def __init__(self, answers, *, scorer, **kwargs) -> None:
        super().__init__(answers, **kwargs)
        self.scorer = scorer
        self.score_requests: list = []

    def score(self, request) -> list[float]:
        self.score_requests.append(request)
        if isinstance(self.scorer, BaseException):
            raise self.scorer
        return list(self.scorer(request))
