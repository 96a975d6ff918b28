"""Snapping a tool's answer to a screen element, with the model choosing the element.

The pixels propose (:func:`~simpleseg_agent.screen.elements.snap_candidates`: the boxes of the shapes
near the answer, as drawn and grown; "near" is the decoding's ``reach`` times the answer's size, the
whole screen for a model trained to choose, ``simpleseg train choose``), the model chooses: each
candidate is written as the model's own answer would be (its phrase, its coordinate style) and scored by
the model's log-likelihood of it as the answer to the question
(:meth:`~simpleseg_agent.backends.base.Backend.score`), plus the decoding's ``overlap_weight``
(:data:`OVERLAP_WEIGHT` by default; 0 for a choice-trained model) nats per unit of overlap with the
answer it gave. The best one replaces the
answer; the result says ``snapped="model"``. A backend that cannot score (a server) gets the candidate
that overlaps its answer most (``snapped="overlap"``); an answer with nothing near it stays as it was.

With a choice-trained model's settings (the whole screen, overlap weight 0) the answer cannot change the
choice, so :class:`~simpleseg_agent.tools.SimpleSeg` does not generate it (``choose_only``):
:func:`choose_on_screen` scores every element of the screen, and ``raw_answer`` is the chosen one's text.

A model that cannot read its labels gets help from the screen's words (``Decoding(read_text=...)``,
:mod:`~simpleseg_agent.screen.words`): each candidate's match with the words a text query names, times
the decoding's ``read_weight``, is added to its score (``bonus``). Where the model chose a line of
text, the decoding's ``text_grow`` settles how far it extends (``text_grow``,
:func:`~simpleseg_agent.screen.elements.text_line_extent`): its ink grown by that fraction of its height.
Where it chose another shape, the decoding's ``icon_grow`` and ``icon_round`` settle its outline
(``shapes``, :func:`~simpleseg_agent.screen.elements.shape_extent`): a filled or bordered element's own
rounded corners, an icon's glyph grown by that margin.

Example (a named fake backend that answers a fixed outline and cannot score; a real local model scores):
    >>> import numpy as np
    >>> from simpleseg_agent.testing.fakes import FakeAnswerBackend
    >>> from simpleseg_agent.tools import SimpleSeg
    >>> img = np.full((100, 200, 3), 250, np.uint8); img[40:70, 50:150] = 200
    >>> from simpleseg_agent.tools import Decoding
    >>> seg = SimpleSeg(FakeAnswerBackend(["[[[0.24, 0.38], [0.76, 0.38], [0.76, 0.72], [0.24, 0.72]]]"]), decoding=Decoding(snap=True))
    >>> r = seg.segment(img, "the button")
    >>> r.snapped, [round(v) for v in r.xyxy_px]
    ('overlap', [50, 40, 150, 70])
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from PIL import Image

from ..backends.base import ScoreRequest
from ..errors import SimpleSegError
from ..geometry import Region
from ..screen.elements import (DEFAULT_MAX_CANDIDATES, DEFAULT_REACH, SnapCandidate, shape_extent, snap_candidates,
                               text_line_extent)
from ..grammar import CoordSpace
from ..grammar.format import ANSWER_TEMPLATES, format_box, format_polygons

#: Nats of log-likelihood one unit of overlap (mask IoU with the model's own answer) is worth.
OVERLAP_WEIGHT = 100.0

#: A ``reach`` this large makes every element of the screen a candidate, wherever the answer is
#: (the reach of a choice-trained model, ``simpleseg train choose``).
WHOLE_SCREEN_REACH = 100.0

#: The most candidates :func:`choose_on_screen` scores (the largest of a busier screen's): a bound on its time.
MAX_CHOICES = 384

#: The phrase a candidate is written in when the model wrote no answer to copy: the bare ``"{a}."``.
CHOICE_PHRASE = ANSWER_TEMPLATES[0].format(a="[]")


def candidate_answer(raw_answer: str, candidate: SnapCandidate, resolution_wh: tuple[int, int], kind: str,
                     space: CoordSpace) -> str:
    """The candidate written as the model wrote ``raw_answer``: its words around the coordinate list,
    the list in the model's style (compact integers for the 0-1000 space, three decimals for 0-1).

    Example:
        >>> from simpleseg_agent.screen.elements import SnapCandidate
        >>> c = SnapCandidate((10.0, 20.0, 50.0, 40.0), 0.5)
        >>> candidate_answer("It is at [[[1,2],[3,4],[5,6]]].", c, (100, 100), "mask", CoordSpace.THOUSAND)
        'It is at [[[100,200],[500,200],[500,400],[100,400]]].'
        >>> candidate_answer("[0.1, 0.1, 0.2, 0.2]", c, (100, 100), "box", CoordSpace.NORM)
        '[0.100, 0.200, 0.500, 0.400]'
    """
    style = "compact" if space is CoordSpace.THOUSAND else "reference"
    w, h = resolution_wh
    x0, y0, x1, y1 = np.clip(np.asarray(candidate.xyxy_px, np.float64) / [w, h, w, h], 0.0, 1.0)
    if kind == "box":
        listed = format_box([x0, y0, x1, y1], style=style)
    else:
        listed = format_polygons([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]], style=style)
    start, end = raw_answer.find("["), raw_answer.rfind("]")
    if start < 0 or end < start:
        return listed
    return raw_answer[:start] + listed + raw_answer[end + 1 :]


#: Extra nats per candidate, given the candidates (a reading of the screen's words: ``Decoding(read_text=...)``).
Bonus = Callable[[list[SnapCandidate]], Sequence[float]]


def choose(candidates: list[SnapCandidate], scores: list[float] | None, overlap_weight: float = OVERLAP_WEIGHT,
           bonus: Sequence[float] | None = None) -> int:
    """Index of the chosen candidate: the highest ``score + overlap_weight * overlap + bonus``, or with
    no scores the highest overlap; the earliest on a tie.

    Example:
        >>> from simpleseg_agent.screen.elements import SnapCandidate
        >>> cands = [SnapCandidate((0, 0, 1, 1), 0.6), SnapCandidate((0, 0, 2, 2), 0.5)]
        >>> choose(cands, None), choose(cands, [-40.0, -20.0]), choose(cands, [-40.0, -39.0], overlap_weight=0.0)
        (0, 1, 1)
        >>> choose(cands, [-40.0, -39.0], overlap_weight=0.0, bonus=[5.0, 0.0])
        0
    """
    if scores is None:
        values = [c.overlap for c in candidates]
    else:
        values = [s + overlap_weight * c.overlap for s, c in zip(scores, candidates)]
        if bonus is not None:
            if len(bonus) != len(candidates):
                raise SimpleSegError(f"got {len(bonus)} bonuses for {len(candidates)} candidates")
            values = [v + float(b) for v, b in zip(values, bonus)]
    return int(np.argmax(values))


#: How a chosen shape's outline is settled: ``(icon_grow, icon_round)`` of
#: :func:`~simpleseg_agent.screen.elements.shape_extent`, or ``None`` (as chosen).
Shapes = tuple[float, float] | None


def settle(candidate: SnapCandidate, rgb: np.ndarray, text_grow: float | None, shapes: Shapes = None,
           others: Sequence[SnapCandidate] = ()) -> SnapCandidate:
    """The chosen ``candidate``, a line of text's extent settled by ``text_grow`` (``None``: as chosen;
    :func:`~simpleseg_agent.screen.elements.text_line_extent` on the screen ``rgb``; a word takes in the rest of
    its line among the shapes of the ``others``, the candidates it was chosen from) and any other shape's
    outline by ``shapes`` (``(icon_grow, icon_round)``; ``None``: as chosen;
    :func:`~simpleseg_agent.screen.elements.shape_extent`).

    Example:
        >>> import numpy as np
        >>> img = np.full((40, 120, 3), 255, np.uint8)
        >>> for x in range(12, 100, 8): img[12:28, x:x + 3] = 0      # strokes of a word
        >>> word = SnapCandidate((11.5, 11.5, 99.5, 28.5), 0.0, (11.5, 11.5, 99.5, 28.5), 0.0)
        >>> settle(word, img, None).xyxy_px, settle(word, img, 0.15).xyxy_px
        ((11.5, 11.5, 99.5, 28.5), (8.95, 8.95, 102.05, 31.05))
        >>> bar = np.full((40, 120, 3), 255, np.uint8); bar[10:30, 8:104] = 90   # a filled bar, chosen as drawn
        >>> drawn = SnapCandidate((7.5, 9.5, 104.5, 30.5), 0.0, (7.5, 9.5, 104.5, 30.5), 0.0)
        >>> settle(drawn, bar, 0.15).xyxy_px, settle(drawn, bar, 0.15, (0.25, 0.25)).xyxy_px
        ((7.5, 9.5, 104.5, 30.5), (8.0, 10.0, 104.0, 30.0))
    """
    if text_grow is not None:
        boxes = sorted({c.shape_xyxy_px for c in others if c.shape_xyxy_px is not None})
        settled = text_line_extent(candidate, rgb, text_grow=text_grow, boxes=boxes if boxes else None)
        if settled is not candidate:
            return settled
    if shapes is None:
        return candidate
    return shape_extent(candidate, rgb, icon_grow=shapes[0], icon_round=shapes[1])


def chooses_whole_screen(reach: float, overlap_weight: float) -> bool:
    """Whether snapping with these settings ignores the model's own answer on screens with at most
    :data:`~simpleseg_agent.screen.elements.DEFAULT_MAX_CANDIDATES` candidates: every element is a
    candidate (``reach`` >= :data:`WHOLE_SCREEN_REACH`) and overlap with the answer counts for nothing
    (``overlap_weight`` 0). The answer is then not worth generating (:func:`choose_on_screen`).

    Example:
        >>> chooses_whole_screen(100.0, 0.0), chooses_whole_screen(100.0, 100.0), chooses_whole_screen(0.5, 0.0)
        (True, False, False)
    """
    return reach >= WHOLE_SCREEN_REACH and overlap_weight == 0


def choose_on_screen(backend: Any, image: Image.Image, prompt: str, kind: str, space: CoordSpace, *,
                     max_candidates: int = MAX_CHOICES, bonus: Bonus | None = None,
                     text_grow: float | None = None, shapes: Shapes = None) -> tuple[SnapCandidate, str, float] | None:
    """The screen element the model chooses as the answer to ``prompt``, without an answer of its own:
    every element box of ``image`` (as drawn and grown, :func:`~simpleseg_agent.screen.elements.snap_candidates`)
    is written as an answer of ``kind`` (``"mask"``/``"box"``) in :data:`CHOICE_PHRASE` and scored by
    ``backend`` (one that ``supports_scoring``). Returns the chosen candidate, its text and the seconds
    spent scoring; ``None`` when the screen shows no element. A screen with more than ``max_candidates``
    candidates keeps the largest ``max_candidates`` (the time scoring takes grows with their number), so a
    busy screen still gets a choice, not a cliff to a generated answer. ``bonus`` adds nats to each
    candidate's score (the screen's words, :func:`~simpleseg_agent.screen.words.text_match`); ``text_grow``
    settles a chosen line of text's extent (:func:`settle`; the text stays the one the model scored). Raises what
    ``backend.score`` raises (:class:`~simpleseg_agent.errors.ModelError`).

    This is what :func:`snap_answer` chooses when :func:`chooses_whole_screen` holds, less the answer's
    words around its coordinates, at the cost of scoring alone: the answer is not generated.

    Example (a named fake scorer that prefers the first candidate; a real local model scores):
        >>> import numpy as np
        >>> from PIL import Image
        >>> from simpleseg_agent.testing.fakes import FakeScoringBackend
        >>> img = np.full((100, 200, 3), 250, np.uint8); img[40:70, 50:150] = 200
        >>> first = FakeScoringBackend([], scorer=lambda req: [-float(i) for i in range(len(req.continuations))])
        >>> cand, text, _ = choose_on_screen(first, Image.fromarray(img), "the button", "box", CoordSpace.THOUSAND)
        >>> [round(v) for v in cand.xyxy_px], text
        ([50, 40, 150, 70], '[248,395,752,705].')
    """
    rgb = np.asarray(image.convert("RGB"))
    whole = Region.from_polygons([[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]])
    # reach 0 around the whole screen still touches every box; the overlaps (with the whole screen) go unused
    cands = snap_candidates(whole, rgb, reach=0.0, max_candidates=max_candidates)
    if not cands:
        return None
    texts = tuple(candidate_answer(CHOICE_PHRASE, c, image.size, kind, space) for c in cands)
    t0 = time.perf_counter()
    scores = backend.score(ScoreRequest(image, prompt, texts)) if len(cands) > 1 else [0.0]
    spent = time.perf_counter() - t0
    best = choose(cands, list(scores), overlap_weight=0.0, bonus=bonus(cands) if bonus is not None and len(cands) > 1 else None)
    return settle(cands[best], rgb, text_grow, shapes, cands), texts[best], spent


def snap_answer(backend: Any, image: Image.Image, prompt: str, result: Any, kind: str, space: CoordSpace,
                region: Region, *, reach: float = DEFAULT_REACH, overlap_weight: float = OVERLAP_WEIGHT,
                bonus: Bonus | None = None, text_grow: float | None = None,
                shapes: Shapes = None, fallbacks: list[str] | None = None) -> tuple[SnapCandidate | None, str | None, float]:
    """The candidate ``result`` (a successful ``kind`` = ``"mask"``/``"box"`` answer whose outline is
    ``region``) snaps to, how it was chosen (``"model"``, ``"overlap"``) and the seconds the model spent
    scoring; ``(None, None, 0.0)`` when nothing is near the answer. ``backend`` scores the candidates when
    it can (``supports_scoring``); pass ``None`` to choose by overlap alone (a model whose answers are
    not written in this project's coordinate lists). ``reach`` and ``overlap_weight``: see
    :class:`~simpleseg_agent.tools.decoding.Decoding` (``reach``, ``overlap_weight``);
    ``bonus`` adds nats to the model's score of each candidate, and ``text_grow`` and ``shapes`` settle the
    outline the model chose (as in :func:`choose_on_screen`). Where the model fails to score, the answer snaps
    by overlap alone, and ``fallbacks`` (a list) gets a line saying so, with a warning."""
    rgb = np.asarray(image.convert("RGB"))
    cands = snap_candidates(region, rgb, reach=reach)
    if not cands:
        return None, None, 0.0
    scores: list[float] | None = None
    spent = 0.0
    if backend is not None and getattr(backend, "supports_scoring", False) and space is not CoordSpace.PIXELS:
        # the model's own answer does not compete: it is its greedy answer, nearly always the most likely
        # text, so it would win over every candidate and snapping would change nothing
        texts = tuple(candidate_answer(result.raw_answer, c, image.size, kind, space) for c in cands)
        t0 = time.perf_counter()
        try:
            scores = backend.score(ScoreRequest(image, prompt, texts)) if len(cands) > 1 else [0.0]
        except SimpleSegError as exc:
            scores = None  # the answer still snaps, by overlap alone
            why = f"snap: scoring the candidates failed ({exc}); the answer snapped by overlap alone"
            if fallbacks is not None:
                fallbacks.append(why)
            warnings.warn(why, stacklevel=2)
        spent = time.perf_counter() - t0
        if scores is not None:
            extra = bonus(cands) if bonus is not None and len(cands) > 1 else None
            best = choose(cands, scores, overlap_weight, extra)
            return settle(cands[best], rgb, text_grow, shapes, cands), "model", spent
    cands = [c for c in cands if c.overlap > 0]  # without the model, only what the answer covers
    if not cands:
        return None, None, spent
    return cands[choose(cands, None)], "overlap", spent
