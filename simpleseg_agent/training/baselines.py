"""Baselines a model's evaluation is read against, computed on the same queries in the same run.

- ``ocr`` (and ``ocr-rapidocr``, the same with PP-OCR reading): no model at all. Tesseract reads the screen (:func:`~simpleseg_agent.screen.words.read_screen`);
  the query's own words (without glue words, role nouns and position words: "the *Save* button",
  "the second *Docs* link from the left") are looked for among the screen's words, in order on one
  line; the click goes to the centre of the best run found (most of the query's words, then the first
  in reading order), and its box is the run's box. A query whose words are nowhere on the screen gets
  no click. This is what a reader of the screen alone achieves: it finds "the Email field" on the
  word "Email" of its label, and misses every element without words.
- ``unsnapped``: the model's own answer, decoded as configured but not snapped to the screen's elements
  (no snapping, choosing, reading, text or shape extents, kinds).

:func:`breakdown` groups any list of evaluated queries by their source or element type.

Example (words as the engine would report them):
    >>> from simpleseg_agent.screen.words import ScreenWord
    >>> words = [ScreenWord((10, 10, 40, 20), "Save"), ScreenWord((60, 10, 100, 20), "Remember"), ScreenWord((104, 10, 120, 20), "me")]
    >>> ocr_click("the Remember me checkbox", words)
    ((60.0, 10.0, 120.0, 20.0), 2)
    >>> ocr_click("the Help link", words) is None
    True
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..geometry import box_iou, point_in_region

#: Words of a query that name a role or a position, not the element's own text.
QUERY_ROLE_WORDS = frozenset(
    "button link field checkbox check box radio dropdown select tab menu item heading label icon image slider "
    "switch toggle spin list tree first second third fourth fifth from left right top bottom".split())


def query_words(query: str) -> list[str]:
    """The words of ``query`` that should be written on the screen (lower case, no punctuation).

    Example:
        >>> query_words('the second "Log out" button from the left')
        ['log', 'out']
    """
    from ..screen.words import FUNCTION_WORDS, normalize_word as _norm

    words = [_norm(w) for w in re.split(r"\s+", query.strip())]
    return [w for w in words if w and w not in FUNCTION_WORDS and w not in QUERY_ROLE_WORDS]


def _found(word: str, among: Sequence[str]) -> bool:
    """Whether ``word`` is one of ``among``, forgiving the reader a letter (as the snapping's reader does)."""
    from ..screen.words import WORD_SIMILARITY

    return any(difflib.SequenceMatcher(None, word, other).ratio() >= WORD_SIMILARITY for other in among)


def ocr_click(query: str, words: Sequence[Any]) -> tuple[tuple[float, float, float, float], int] | None:
    """The box (``xyxy_px``) of the best run of screen ``words`` spelling the query's words, and how many
    of them it matched; ``None`` when none is on the screen. See the module docstring."""
    from ..screen.words import normalize_word as _norm

    wanted = query_words(query)
    if not wanted:
        return None
    screen = [(_norm(w.text), w.xyxy_px) for w in words]
    best: tuple[int, list] | None = None
    for i, (text, box) in enumerate(screen):
        if not text or not _found(text, wanted):
            continue
        # extend the run along the line: the next words to the right whose text is among the query's
        run, matched = [box], {text}
        h = box[3] - box[1]
        for text2, box2 in screen[i + 1:]:
            same_line = abs((box2[1] + box2[3]) / 2 - (box[1] + box[3]) / 2) <= 0.6 * h
            near = 0 <= box2[0] - run[-1][2] <= 2.5 * h
            if not (same_line and near and text2 and _found(text2, wanted)):
                break
            run.append(box2)
            matched.add(text2)
        score = sum(_found(w, list(matched)) for w in wanted)
        if best is None or score > best[0]:
            best = (score, run)
    if best is None:
        return None
    run = np.array(best[1], dtype=float)
    return (float(run[:, 0].min()), float(run[:, 1].min()), float(run[:, 2].max()), float(run[:, 3].max())), best[0]


def ocr_baseline(records: Sequence[Any], records_file: str | Path, *, progress: bool = False,
                 engine: str = "tesseract") -> list[Any]:
    """:class:`~simpleseg_agent.training.evaluate.SampleResult` of the ``ocr`` baseline for each record, the
    screen read by ``engine`` (``tesseract``: ``ocr``; ``rapidocr``: ``ocr-rapidocr``).

    Each screen is read once; a query's latency is its screen's reading time plus the search.
    """
    from PIL import Image

    from ..screen.ocr import get_engine
    from .evaluate import SampleResult

    reader = get_engine(engine)
    from .records import resolve_image

    read: dict[str, tuple[list, float]] = {}
    out = []
    for r in records:
        path = str(resolve_image(r, records_file))
        if path not in read:
            t0 = time.perf_counter()
            with Image.open(path) as im:
                read[path] = (reader.read(im.convert("RGB")), time.perf_counter() - t0)
        words, seconds = read[path]
        t0 = time.perf_counter()
        found = ocr_click(r.expressions[0], words)
        latency = seconds + time.perf_counter() - t0
        if found is None:
            out.append(SampleResult(r.record_id, r.expressions[0], 0.0, 0.0, 0.0, False, False, True, 0,
                                    "not_found: no query word on the screen", None, "", r.label, r.source, latency, 0.0))
            continue
        (x0, y0, x1, y1), _ = found
        W, H = r.image_wh
        xyxy_norm = np.array([x0 / W, y0 / H, x1 / W, y1 / H])
        xy_norm = ((x0 + x1) / 2 / W, (y0 + y1) / 2 / H)
        biou = float(box_iou(xyxy_norm, r.region.xyxy))
        hit = bool(point_in_region(xy_norm, r.region))
        out.append(SampleResult(r.record_id, r.expressions[0], biou, 0.0, 0.0, biou >= 0.5, hit, False, 0, "", None,
                                "target" if hit else "", r.label, r.source, latency, biou))
    return out


def unsnapped(segmenter: Any) -> Any:
    """A copy of ``segmenter`` (sharing its loaded model) that answers with the model's own polygons:
    nothing that picks among the screen's elements.

    Example (a named fake backend):
        >>> from simpleseg_agent.testing.fakes import FakeAnswerBackend
        >>> from simpleseg_agent.tools import SimpleSeg
        >>> from simpleseg_agent.tools import Decoding
        >>> s = unsnapped(SimpleSeg(FakeAnswerBackend(["[[[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]]]"]), decoding=Decoding(snap=True)))
        >>> s.decoding.snap, s.decoding.choose_only, s.decoding.read_text
        (False, False, False)
    """
    plain = copy.copy(segmenter)
    plain.decoding = dataclasses.replace(
        segmenter.decoding, snap=False, choose_only=False, read_text=False, read_weight=0.0, text_extent=False,
        text_grow=None, shape_extent=False, icon_grow=None, icon_round=0.0, kinds=False, kind_weight=0.0)
    plain._shapes, plain._decoding_dict, plain._reader = None, plain.decoding.to_dict(), None
    return plain


def breakdown(samples: Sequence[Any], key: str) -> dict[str, dict[str, float]]:
    """Per value of ``key`` (``source`` or ``label``) of the samples: ``n``, ``click_acc``, mean ``box_iou``
    and mean ``latency_s``.

    Example:
        >>> from types import SimpleNamespace as S
        >>> rows = [S(label="button", click_hit=True, box_iou=0.8, latency_s=0.2), S(label="button", click_hit=False, box_iou=0.2, latency_s=0.4)]
        >>> breakdown(rows, "label")
        {'button': {'n': 2, 'click_acc': 0.5, 'box_iou': 0.5, 'latency_s': 0.3}}
    """
    groups: dict[str, list[Any]] = {}
    for s in samples:
        groups.setdefault(getattr(s, key) or "?", []).append(s)
    return {k: _stats(g) for k, g in sorted(groups.items())}


def _stats(samples: Sequence[Any]) -> dict[str, float]:
    if not samples:
        return {"n": 0}
    return {"n": len(samples), "click_acc": round(float(np.mean([s.click_hit for s in samples])), 4),
            "box_iou": round(float(np.mean([s.box_iou for s in samples])), 4),
            "latency_s": round(float(np.mean([s.latency_s for s in samples])), 4)}


def summary(samples: Sequence[Any]) -> dict[str, Any]:
    """``n``, ``click_acc``, ``box_iou``, ``latency_s`` of all samples, and the same by source and by element type."""
    return {**_stats(samples), "by_source": breakdown(samples, "source"), "by_label": breakdown(samples, "label")}


__all__ = ["QUERY_ROLE_WORDS", "breakdown", "ocr_baseline", "ocr_click", "query_words", "summary", "unsnapped"]
