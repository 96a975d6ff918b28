"""Grounding a query on a screen's words and shapes, without a model.

:func:`ground` turns a query (:func:`~simpleseg_agent.screen.query.parse_query`) and a screen's
perception (:class:`~simpleseg_agent.screen.perception.ScreenPerception`: its words and element boxes)
into a :class:`Grounding`: the element's box, a click point, and how it was decided. The order of
evidence:

1. **the words**: every run of words on one line of the screen whose letters spell the query's name
   (case, spaces and punctuation aside; :data:`MIN_SIMILARITY` forgives the engine a letter or two), best
   spelled first. A run that is a whole text segment of its own (a button's label, a list item) is
   preferred to the same words inside a sentence;
2. **the role**: a field, dropdown, spin box or slider named by words is named by its label, so the
   control beside it (right on its row, else just below) is the target, or the box the words sit in
   when they are its placeholder; every other role is clicked on its words (a button's, link's, tab's,
   item's, checkbox's label is part of it);
3. **the order** (``the second Save button from the left``) among runs spelled equally well, counted
   from the side the query names;
4. **a relation** (``the field below Password``) keeps the runs or shapes on the named side of the
   anchor's words, nearest first;
5. a **shortlist** where runs are still tied: :attr:`Grounding.shortlist` holds their boxes for a model to
   score (:class:`~simpleseg_agent.tools.SimpleSeg` does), the first in reading order otherwise.

A query whose named words (quoted or capitalized: ``the Help button``, ``click "Help"``) are nowhere on the
screen gets ``found=False`` with the reason, never a click on something else; a query that names no words
(``the icon``), describes its target in lower-case words (``the close button``: an icon), or names a role
that may show no words (an icon, a checkbox, a field) gets ``found=False`` and ``needs_model=True``.

Example (words as an engine would read them):
    >>> from simpleseg_agent.screen.perception import ScreenPerception
    >>> from simpleseg_agent.screen.words import ScreenWord
    >>> p = ScreenPerception((300, 100), [ScreenWord((10, 10, 40, 22), "Save", 0), ScreenWord((60, 10, 100, 22), "Cancel", 1)])
    >>> g = ground("the Cancel button", p); g.found, g.click_xy_px, g.stage, g.words
    (True, (80.0, 16.0), 'words', 'Cancel')
    >>> ground("the Help link", p).reason
    "no words on the screen spell 'Help'"
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from .query import (
    LABELLED_ROLES,
    ROW_CONTROLS,
    WORDLESS_ROLES,
    QueryIntent,
    parse_query,
)
from .words import ScreenWord

#: Runs spelled at least this alike (``difflib`` ratio of their letters and digits) match a name.
MIN_SIMILARITY = 0.8
#: A run spelled unlike a name (not containing it) must have at least this share of its letters.
MIN_LENGTH_SHARE = 0.75
#: A run spelling part of a name scores this much per share of the name's letters it spells.
PARTIAL_WEIGHT = 0.75
#: A run must spell at least this share of a name's letters to count.
MIN_COVERAGE = 0.5
#: A button, tab, menu item, checkbox or radio button is not a run inside a text with this many more words
#: ("Save" in "Save the changes to this document?" is not the Save button).
SENTENCE_WORDS = 3
#: Roles whose element's words stand alone (a link or a label may be part of a sentence).
STANDALONE_ROLES = frozenset({"button", "tab", "menuitem", "checkbox", "radio", "switch"})
#: A second engine reads a screen only where the first read at most this many words (PP-OCR's time grows with
#: the text on the screen: a page of 3,000 words takes it minutes).
SECOND_MAX_WORDS = 600
#: A run spelling the name after other letters ("pstdev" for "stdev") loses this much per letter: another word.
PREFIXED = 0.05
#: Runs within this much of the best spelling are tied with it.
TIE = 0.02
#: A run that is its text segment's whole text gains this much (a button's label over the same word in a sentence).
WHOLE_BONUS = 0.05
#: Words of one engine line further apart than this many text heights are separate segments (separate elements).
SEGMENT_GAP = 1.2
#: Words on one row at most this many text heights apart are one segment, whatever lines the engine read.
SPACE_GAP = 0.8
XYXY = tuple[float, float, float, float]


@dataclass(frozen=True)
class Match:
    """A run of screen words spelling (part of) a name: its box, its words, how alike (0-1)."""

    xyxy_px: XYXY
    words: str
    similarity: float
    whole: bool
    extra: int = 0  # words of its segment outside the run (0: the run is the segment's whole text)

    @property
    def score(self) -> float:
        return self.similarity + (WHOLE_BONUS if self.whole else 0.0)


@dataclass(frozen=True)
class Candidate:
    """One element tied for a query's target: its box, where to click it, the words that matched."""

    xyxy_px: XYXY
    click_xy_px: tuple[float, float]
    words: str = ""


@dataclass(frozen=True)
class Grounding:
    """Where a query's target is on a screen, and how that was decided.

    ``found``: a target was chosen; ``xyxy_px`` its box and ``click_xy_px`` the point to click (on its words
    where it has words). ``stage``: what decided, ``words`` (the words spell the name), ``label`` (the
    control beside the label the words spell), ``order`` (the query's ordinal among tied runs), ``relation``
    (the side of an anchor), ``first`` (tied runs, the first in reading order); ``words``: the screen's words
    that matched; ``n_candidates``: runs (or shapes) that were considered; ``shortlist``: boxes tied for
    the target (:class:`Candidate`), for a model to score (empty when one was clear); ``needs_model``: the words cannot decide
    (the query names none, or an element without words); ``reason``: why nothing was found."""

    found: bool
    xyxy_px: XYXY | None = None
    click_xy_px: tuple[float, float] | None = None
    stage: str = "none"
    words: str = ""
    n_candidates: int = 0
    shortlist: tuple[Candidate, ...] = ()
    needs_model: bool = False
    reason: str = ""
    intent: QueryIntent | None = field(default=None, repr=False)
    similarity: float = 0.0
    engine: str = ""


def _norm(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def segments(words: Sequence[ScreenWord]) -> list[list[ScreenWord]]:
    """The screen's text segments, in reading order: words on one row, left to right, joined where they
    are a space apart (:data:`SPACE_GAP` text heights) or, within one line the engine read, up to
    :data:`SEGMENT_GAP` text heights apart. Two buttons on one row are two segments; a phrase is one even
    where the engine read each word alone (Tesseract's sparse mode).

    Example:
        >>> ws = [ScreenWord((0, 0, 20, 10), "Log", 0), ScreenWord((24, 0, 34, 10), "in", 1), ScreenWord((90, 0, 130, 10), "Help", 1)]
        >>> [[w.text for w in s] for s in segments(ws)]
        [['Log', 'in'], ['Help']]
    """
    rows: list[list[ScreenWord]] = []
    for w in sorted(words, key=lambda w: ((w.xyxy_px[1] + w.xyxy_px[3]) / 2, w.xyxy_px[0])):
        cy, h = (w.xyxy_px[1] + w.xyxy_px[3]) / 2, max(w.xyxy_px[3] - w.xyxy_px[1], 1.0)
        for row in rows[-4:]:
            r = row[-1]
            rcy, rh = (r.xyxy_px[1] + r.xyxy_px[3]) / 2, max(r.xyxy_px[3] - r.xyxy_px[1], 1.0)
            if abs(cy - rcy) <= 0.5 * min(h, rh):
                row.append(w)
                break
        else:
            rows.append([w])
    out: list[list[ScreenWord]] = []
    for row in rows:
        row.sort(key=lambda w: w.xyxy_px[0])
        seg = [row[0]]
        for w in row[1:]:
            prev = seg[-1]
            # the taller word's height: a word without ascenders ("name:") has a short box
            h = max(w.xyxy_px[3] - w.xyxy_px[1], prev.xyxy_px[3] - prev.xyxy_px[1], 1.0)
            gap = w.xyxy_px[0] - prev.xyxy_px[2]
            same_line = w.line >= 0 and w.line == prev.line
            if gap <= SPACE_GAP * h or (same_line and gap <= SEGMENT_GAP * h):
                seg.append(w)
            else:
                out.append(seg)
                seg = [w]
        out.append(seg)
    out.sort(key=lambda s: ((s[0].xyxy_px[1] + s[0].xyxy_px[3]) / 2 // 8, s[0].xyxy_px[0]))
    return out


def find_text(name: str, words: Sequence[ScreenWord], *, min_similarity: float = MIN_SIMILARITY,
              partial: bool = True) -> list[Match]:
    """Runs of ``words`` (consecutive, in one segment) spelling ``name``, best first; at most one per segment.

    A name of one or two letters or digits must be spelled exactly. Where no run spells all of it, runs
    spelling part of it (``partial``, :func:`_partial`) are found instead.

    Example:
        >>> ws = [ScreenWord((0, 0, 40, 10), "Close", 0), ScreenWord((44, 0, 80, 10), "without", 0), ScreenWord((84, 0, 120, 10), "Saving", 0)]
        >>> m = find_text("Close without saving", ws)[0]; m.words, m.whole, m.xyxy_px
        ('Close without Saving', True, (0.0, 0.0, 120.0, 10.0))
        >>> [m.words for m in find_text("Save", [ScreenWord((0, 0, 30, 10), "Saved", 0)])]
        ['Saved']
    """
    target = _norm(name)
    if not target:
        return []
    n_words = max(len(name.split()), 1)
    exact = len(target) <= 2
    found: list[Match] = []
    for seg in segments(words):
        texts = [_norm(w.text) for w in seg]
        best: Match | None = None
        for i in range(len(seg)):
            if not texts[i]:
                continue
            span = ""
            for j in range(i, min(len(seg), i + n_words + 2)):
                span += texts[j]
                if not span:
                    continue
                if exact:
                    sim = 1.0 if span == target else 0.0
                elif span.startswith(target) and len(span) <= len(target) + 2:
                    sim = 1.0 - 0.01 * (len(span) - len(target))  # "Saved" for "Save", "Hue:0" for "Hue"
                elif target in span and len(span) <= len(target) + 2:
                    # letters before the name make another word: "covariance" is not "variance"
                    sim = 1.0 - PREFIXED * (len(span) - len(target))
                elif len(span) < MIN_LENGTH_SHARE * len(target):
                    sim = 0.0  # a misread word keeps about its length: "Sign" is not "Sign up" misread
                else:
                    sm = difflib.SequenceMatcher(None, target, span)
                    sim = sm.ratio() if sm.real_quick_ratio() >= min_similarity else 0.0
                if sim >= min_similarity:
                    run = seg[i: j + 1]
                    box = _without_glyphs(run)
                    if i == j and span != target and target in span:
                        # one word spelling more than the name ("Hue:0", a label read into its field's value):
                        # the name's share of the word's width, by its letters
                        k = span.index(target)
                        step = (box[2] - box[0]) / len(span)
                        box = (box[0] + k * step, box[1], box[0] + (k + len(target)) * step, box[3])
                    m = Match(tuple(float(v) for v in box), " ".join(w.text for w in run), float(sim),
                              _whole(texts, i, j), _extra(texts, i, j))
                    # within a segment the best spelled run wins, the shorter on a tie ("Sat:" over "Sat: 0")
                    if best is None or m.similarity > best.similarity + 1e-9 or (
                            abs(m.similarity - best.similarity) <= 1e-9 and len(m.words) < len(best.words)):
                        best = m
                if len(span) > len(target) + 4:
                    break
        if best is not None:
            found.append(best)
    if not found and not exact and partial:
        found = _partial(name, words)
    found.sort(key=lambda m: -m.score)
    return found


#: Signs an engine reads for a control's mark (a radio button's circle, a checkbox's square) beside a word.
GLYPHS = "@©®°[]()|<>{}*•·-_~=+"


def _without_glyphs(run: Sequence[ScreenWord]) -> XYXY:
    """A run's box without the signs its first word starts with and its last word ends with, by their share
    of the word's letters: a radio button's mark read into its label ("@Hourly") is not the label.

    Example:
        >>> _without_glyphs([ScreenWord((0, 0, 70, 10), "@Hourly", 0)])
        (10.0, 0.0, 70.0, 10.0)
    """
    first, last = run[0], run[-1]
    box = _box(run)
    x0, x1 = box[0], box[2]
    lead = len(first.text) - len(first.text.lstrip(GLYPHS))
    trail = len(last.text) - len(last.text.rstrip(GLYPHS))
    if lead:
        x0 = first.xyxy_px[0] + lead * (first.xyxy_px[2] - first.xyxy_px[0]) / len(first.text)
    if trail:
        x1 = last.xyxy_px[2] - trail * (last.xyxy_px[2] - last.xyxy_px[0]) / len(last.text)
    if x1 - x0 < 1.0:
        return box  # nothing but signs
    return (float(x0), box[1], float(x1), box[3])


def _whole(texts: Sequence[str], i: int, j: int) -> bool:
    """Whether words ``i..j`` are all of their segment's letters and digits (a glyph the engine read as
    punctuation beside a button's label does not count)."""
    return not any(texts[:i]) and not any(texts[j + 1:])


def _extra(texts: Sequence[str], i: int, j: int) -> int:
    """How many words with letters or digits its segment has besides words ``i..j``."""
    return sum(1 for k, t in enumerate(texts) if t and not i <= k <= j)


def _partial(name: str, words: Sequence[ScreenWord]) -> list[Match]:
    """Runs spelling part of a name, word by word: a name's word may be missing on the screen ("the Built
    with Gradio logo link": the logo is a picture) or misread. A run's similarity is the share of the
    name's letters its words spell, times :data:`PARTIAL_WEIGHT`; at least :data:`MIN_COVERAGE` of them."""
    wanted = [w for w in (_norm(t) for t in name.split()) if w]
    total = sum(len(w) for w in wanted)
    found: list[Match] = []
    for seg in segments(words):
        texts = [_norm(w.text) for w in seg]
        best: Match | None = None
        for i in range(len(seg)):
            used: set[int] = set()
            j = i
            while j < len(seg):
                k = next((k for k, w in enumerate(wanted) if k not in used and texts[j] and
                          (texts[j] == w or (len(w) > 2 and difflib.SequenceMatcher(None, w, texts[j]).ratio() >= MIN_SIMILARITY))), None)
                if k is None:
                    break
                used.add(k)
                j += 1
            if not used:
                continue
            cover = sum(len(wanted[k]) for k in used) / max(total, 1)
            if cover < MIN_COVERAGE:
                continue
            run = seg[i:j]
            box = (min(w.xyxy_px[0] for w in run), min(w.xyxy_px[1] for w in run),
                   max(w.xyxy_px[2] for w in run), max(w.xyxy_px[3] for w in run))
            if not _whole(texts, i, j - 1):
                continue  # part of a name inside a longer text ("Sign up" in "Sign in to your account") is not it
            m = Match(tuple(float(v) for v in box), " ".join(w.text for w in run), PARTIAL_WEIGHT * cover, True)
            if best is None or m.score > best.score:
                best = m
        if best is not None:
            found.append(best)
    return found


#: Window controls drawn as a glyph and the glyphs an engine reads for them: a title bar's close button is
#: its "x", not the word Close.
CONTROL_GLYPHS = {"close": "xX×✕✖", "minimize": "-–—_", "minimise": "-–—_", "maximize": "oO0□☐", "maximise": "oO0□☐"}
#: How alike a window control's glyph counts to its name: below a spelled name, so a second engine's
#: reading of the name in words wins.
GLYPH_SIMILARITY = 0.9


def _glyphs_for(name: str, words: Sequence[ScreenWord]) -> list[Match]:
    """A window control's glyphs standing alone (a text segment of one sign), for a name such as Close.

    Example:
        >>> ws = [ScreenWord((699, 29, 707, 31), "-", 2), ScreenWord((739, 23, 747, 31), "o", 3), ScreenWord((779, 23, 787, 31), "x", 4)]
        >>> [m.xyxy_px for m in _glyphs_for("Close", ws)]
        [(779.0, 23.0, 787.0, 31.0)]
    """
    signs = CONTROL_GLYPHS.get(_norm(name), "")
    if not signs:
        return []
    return [Match(_box(seg), seg[0].text, GLYPH_SIMILARITY, True) for seg in segments(words)
            if len(seg) == 1 and len(seg[0].text.strip()) == 1 and seg[0].text.strip() in signs]


def _same_case(screen_words: str, name: str) -> bool:
    """Whether ``screen_words`` spell ``name`` letter for letter, case included (punctuation aside).

    Example:
        >>> _same_case("Edit", "Edit"), _same_case("save", "Save")
        (True, False)
    """
    return re.sub(r"[^0-9A-Za-z]", "", name) in re.sub(r"[^0-9A-Za-z]", "", screen_words)


def _prose(m: Match, words: Sequence[ScreenWord]) -> bool:
    """Whether the text segment around a run is prose: most of its other words start with a lower-case
    letter (a menu bar's or a toolbar's words are capitalized)."""
    seg = next((s for s in segments(words) if _contains(_box(s), m.xyxy_px, 2.0)), [])
    others = [w.text for w in seg if w.text not in m.words.split() and any(c.isalpha() for c in w.text)]
    lower = sum(1 for t in others if next(c for c in t if c.isalpha()).islower())
    return bool(others) and lower > len(others) / 2


def _box(run: Sequence[ScreenWord]) -> XYXY:
    return (float(min(w.xyxy_px[0] for w in run)), float(min(w.xyxy_px[1] for w in run)),
            float(max(w.xyxy_px[2] for w in run)), float(max(w.xyxy_px[3] for w in run)))


def _inks(words: Sequence[ScreenWord]) -> list[XYXY]:
    """The boxes of the words of two or more letters or digits as wide as such text can be (a slider's track
    the engine read as "eee)" is not text): an element box that is one of them is text."""
    inks = [w.xyxy_px for w in words if len(_norm(w.text)) >= 2
            and w.xyxy_px[2] - w.xyxy_px[0] <= 1.5 * max(w.xyxy_px[3] - w.xyxy_px[1], 1.0) * (len(w.text) + 1)]
    # and a phrase's: the next label "Server type:" is one box of ink
    return inks + [_box(seg) for seg in segments(words) if len(seg) > 1 and len(_norm("".join(w.text for w in seg))) >= 2]


def _is_ink(box: Sequence[float], inks: Sequence[Sequence[float]], slack: float = 2.0) -> bool:
    return any(_contains(box, i, slack) and _contains(i, box, slack) for i in inks)


def _centre(b: Sequence[float]) -> tuple[float, float]:
    return (float(b[0] + b[2]) / 2, float(b[1] + b[3]) / 2)


def _contains(outer: Sequence[float], inner: Sequence[float], slack: float = 1.0) -> bool:
    return (outer[0] <= inner[0] + slack and outer[1] <= inner[1] + slack and outer[2] >= inner[2] - slack
            and outer[3] >= inner[3] - slack)


def element_around(text_xyxy: Sequence[float], boxes: np.ndarray, *, max_grow: float = 4.0) -> XYXY | None:
    """The smallest element box around a run of words that is still the words' own element: at most
    ``max_grow`` text heights taller and a screen-wide row at most (a button around its label, a list row
    around its text). ``None`` when none is.

    Example:
        >>> element_around((20, 10, 60, 22), np.array([[0, 0, 300, 200], [10, 4, 70, 28.0]]))
        (10.0, 4.0, 70.0, 28.0)
    """
    h = max(text_xyxy[3] - text_xyxy[1], 1.0)
    tw = text_xyxy[2] - text_xyxy[0]
    best, best_area = None, None
    for b in boxes:
        if not _contains(b, text_xyxy, 1.0):
            continue
        bh = b[3] - b[1]
        if bh > max_grow * h or (b[2] - b[0] <= tw + 0.5 * h and bh <= 1.5 * h):
            continue  # too tall to be the words' own element, or only the words' own ink
        area = (b[2] - b[0]) * bh
        if best_area is None or area < best_area:
            best, best_area = tuple(float(v) for v in b), area
    return best


def control_beside(label_xyxy: Sequence[float], boxes: np.ndarray, words: Sequence[ScreenWord] = (), *,
                   reach: float = 100.0, thin: bool = False) -> XYXY | None:
    """The control a label names: the nearest element box right of it on its row with no other words
    between them, or just below it; wider than a few letters, taller than the label's text (a control pads
    its text) and not much taller than a line of it (``thin``: a slider's track, any height). ``reach`` in
    text heights.

    Example (a field to the right of its label):
        >>> control_beside((10, 10, 50, 22), np.array([[60, 6, 260, 28.0], [10, 60, 200, 84]]))
        (60.0, 6.0, 260.0, 28.0)
    """
    x0, y0, x1, y1 = label_xyxy
    h = max(y1 - y0, 1.0)
    cy = (y0 + y1) / 2
    # words between a label and a box label the box; a field's border read as "|" is no word
    on_row = [w.xyxy_px for w in words if abs((w.xyxy_px[1] + w.xyxy_px[3]) / 2 - cy) <= 0.5 * h and w.xyxy_px[0] >= x1 + 2
              and _norm(w.text)]
    inks = _inks(words)
    best, best_d = None, None
    for b in boxes:
        bw, bh = b[2] - b[0], b[3] - b[1]
        if bw < 1.2 * h or bh > 5.0 * h or (bh < 1.2 * h and not thin) or _contains(b, label_xyxy, 2.0):
            continue
        if _is_ink(b, inks):
            continue  # another text's own ink is no control
        right = b[0] >= x1 - 2 and b[1] - 2 <= cy <= b[3] + 2 and b[0] - x1 <= reach * h
        if right and any(w[2] <= b[0] + 2 for w in on_row):
            right = False  # other words stand between: they label it
        below = (b[1] >= y1 - 2 and b[1] - y1 <= 2.5 * h and b[0] <= x0 + 3 * h and b[2] >= x0 + 0.5 * (x1 - x0))
        if not (right or below):
            continue
        d = (b[0] - x1) if right else 1.5 * (b[1] - y1) + 0.25 * max(b[0] - x0, 0)
        if best_d is None or d < best_d - 1e-6 or (abs(d - best_d) <= 1e-6 and bw * bh < (best[2] - best[0]) * (best[3] - best[1])):
            best, best_d = tuple(float(v) for v in b), d
    return best


def indicator_beside(label_xyxy: Sequence[float], boxes: np.ndarray, words: Sequence[ScreenWord] = (), *,
                     reach: float = 3.0) -> XYXY | None:
    """The mark of a checkbox, radio button or switch its label names: the nearest small, squarish element
    box on the label's row, left of it within ``reach`` text heights (a switch: right of it, or further).
    The ink of a word of two or more letters (the previous option's label) is not a mark; a glyph the engine
    read as a letter ("O") may be.

    Example (a 16 px box 8 px left of its label):
        >>> indicator_beside((40, 10, 120, 26), np.array([[16, 10, 32, 26.0], [0, 0, 300, 40]]))
        (16.0, 10.0, 32.0, 26.0)
    """
    x0, y0, x1, y1 = label_xyxy
    h = max(y1 - y0, 1.0)
    cy = (y0 + y1) / 2
    best, best_d = None, None
    inks = _inks(words)
    for b in boxes:
        bw, bh = b[2] - b[0], b[3] - b[1]
        if not (0.45 * h <= bh <= 2.2 * h and 0.45 * h <= bw <= 3.2 * h) or abs((b[1] + b[3]) / 2 - cy) > 0.6 * h:
            continue
        if _is_ink(b, inks):
            continue
        if b[2] <= x0 + max(2.0, 0.3 * h) and x0 - b[2] <= reach * h:
            d = max(x0 - b[2], 0.0)  # a mark read into the label's first letter overlaps the label's box a little
        elif b[0] >= x1 - 2 and b[0] - x1 <= reach * h:
            d = 2 * (b[0] - x1)  # a mark after its label is rarer: left of it wins a tie
        else:
            continue
        if best_d is None or d < best_d:
            best, best_d = tuple(float(v) for v in b), d
    return best


def _by_role(tied: list[Match], role: str | None, words: Sequence[ScreenWord]) -> list[Match]:
    """The tied runs the query's role points to, where the layout tells: a heading is the largest text; a
    list or menu item is in a column (other text left-aligned with it just above or below); a tab is in a
    row (other text on its row nearby). All of them where the layout does not tell."""
    if role == "heading":
        tallest = max(m.xyxy_px[3] - m.xyxy_px[1] for m in tied)
        return [m for m in tied if m.xyxy_px[3] - m.xyxy_px[1] >= 0.85 * tallest]
    if role in ("listitem", "menuitem", "tab"):
        def column(m: Match) -> bool:
            x0, y0, _x1, y1 = m.xyxy_px
            h = max(y1 - y0, 1.0)
            return any(abs(w.xyxy_px[0] - x0) <= 0.5 * h and 0 < abs((w.xyxy_px[1] + w.xyxy_px[3]) / 2 - (y0 + y1) / 2) <= 3 * h
                       for w in words)

        keep = [m for m in tied if column(m) == (role != "tab")]
        return keep or tied
    return tied


def _order(matches: list[Match], ordinal: int, direction: str | None) -> Match | None:
    keys = {"left": lambda m: m.xyxy_px[0], "right": lambda m: -m.xyxy_px[2], "top": lambda m: m.xyxy_px[1],
            "bottom": lambda m: -m.xyxy_px[3]}
    key = keys.get(direction or "", lambda m: (round(m.xyxy_px[1] / 8), m.xyxy_px[0]))
    ranked = sorted(matches, key=key)
    k = ordinal - 1 if ordinal > 0 else len(ranked) + ordinal
    return ranked[k] if 0 <= k < len(ranked) else None


def _side(box: Sequence[float], anchor: Sequence[float], relation: str) -> float | None:
    """Distance from ``anchor`` to ``box`` when ``box`` lies on the ``relation`` side, else ``None``."""
    bx, by = _centre(box)
    ax, ay = _centre(anchor)
    h = max(anchor[3] - anchor[1], 1.0)
    if relation == "below" and box[1] >= anchor[3] - 0.3 * h:
        return (by - ay) + 0.5 * abs(bx - ax)
    if relation == "above" and box[3] <= anchor[1] + 0.3 * h:
        return (ay - by) + 0.5 * abs(bx - ax)
    if relation == "right_of" and box[0] >= anchor[2] - 0.3 * h and abs(by - ay) <= 2 * h:
        return (bx - ax) + 2 * abs(by - ay)
    if relation == "left_of" and box[2] <= anchor[0] + 0.3 * h and abs(by - ay) <= 2 * h:
        return (ax - bx) + 2 * abs(by - ay)
    if relation == "near":
        return float(np.hypot(bx - ax, by - ay))
    return None


def ground(query: str | QueryIntent, perception, *, rules: frozenset[str] | None = None) -> Grounding:
    """Where ``query`` is on the screen ``perception`` describes (see the module docstring).

    Where the words the engine read do not spell the name in full and the perception has a second
    reading (``perception.second``: another engine's words, read only when asked), that reading is
    tried too and the better spelled answer wins.

    ``rules``: the rules to apply (default all of :data:`RULES`); the ablation in ``docs/grounding.md``
    leaves each out in turn.

    Example (a field to the right of its label, as the pixels show it):
        >>> from simpleseg_agent.screen.perception import ScreenPerception
        >>> p = ScreenPerception((300, 100), [ScreenWord((10, 10, 50, 22), "Email", 0)], boxes=np.array([[60, 6, 260, 28.0]]))
        >>> g = ground("the Email field", p); g.stage, g.xyxy_px, g.click_xy_px
        ('label', (60.0, 6.0, 260.0, 28.0), (160.0, 17.0))
    """
    rules = RULES if rules is None else rules
    intent = query if isinstance(query, QueryIntent) else parse_query(query)
    g = _ground(intent, perception, rules)
    second = getattr(perception, "second", None)
    if (second is not None and "second" in rules and (not g.found or g.similarity < 1.0) and (intent.name or intent.anchor)
            and len(perception.words) <= SECOND_MAX_WORDS):
        g2 = _ground(intent, second(), rules)
        if g2.found and (not g.found or g2.similarity > g.similarity):
            return g2
    return g


def _missing(intent: QueryIntent, what: str, perception) -> Grounding:
    """Nothing spells ``what``. The model may look where the target may show no words (an icon, a checkbox, a
    field...), or where the query describes it in lower-case words rather than naming its text ("the close
    button", "the grey square": an icon, a shape) or names one letter or sign ("the X button"); quoted or capitalized words name text ("the Help button",
    "click Help"), and text that no words spell is not on the screen. A screen with no words and no elements
    has nothing to find."""
    blank = not perception.words and not len(perception.boxes)
    # lower-case words describe; so does one letter or sign ("the X button", "the + button": a glyph)
    described = not intent.quoted and (what == what.lower() or len(_norm(what)) <= 1)
    wordless = not blank and (intent.role in WORDLESS_ROLES or described)
    return Grounding(False, needs_model=wordless, reason=f"no words on the screen spell {what!r}", intent=intent)


def _ground(intent: QueryIntent, perception, rules: frozenset[str]) -> Grounding:
    name = intent.name
    if not name and intent.relation == "near" and intent.anchor and (intent.role in LABELLED_ROLES | ROW_CONTROLS):
        name = intent.anchor  # "the checkbox next to Remember me", "the number input for Age": the anchor is its label
        intent_rel = None
    else:
        intent_rel = intent.relation if intent.relation in ("below", "above", "left_of", "right_of", "near") else None
    words = perception.words
    engine = getattr(perception, "engine", "")
    if not name:
        if intent_rel and intent.anchor and "relation" in rules:
            return _by_relation(intent, perception, rules)
        if not perception.words and not len(perception.boxes):
            return Grounding(False, reason="the screen shows nothing: no words and no elements", intent=intent,
                             engine=engine)
        return Grounding(False, needs_model=True, reason="the query names no words to find on the screen", intent=intent,
                         engine=engine)
    matches = find_text(name, words)
    if intent.role in STANDALONE_ROLES and "sentence" in rules:
        # words inside a longer text stand for the element where they are written as the query writes them and
        # the text is not prose: "Edit" in a menu bar the engine read as one line, not "save" in "Do you want
        # to save your changes?" nor "Save" in "Save the changes to this document?"
        matches = [m for m in matches if m.extra < SENTENCE_WORDS or (
            _same_case(m.words, name) and not (name != name.lower() and _prose(m, words)))]
    if not matches and "glyph" in rules:
        matches = _glyphs_for(name, words)
    if not matches:
        return replace(_missing(intent, name, perception), engine=engine)

    def target(m: Match, stage: str) -> Grounding:
        return replace(_target(m, intent, perception, stage, len(matches), rules), similarity=m.similarity,
                       engine=engine)

    if intent_rel and intent.anchor and "relation" in rules:
        anchors = find_text(intent.anchor, words)
        if anchors:
            a = anchors[0].xyxy_px
            near = [(d, m) for m in matches if (d := _side(m.xyxy_px, a, intent_rel)) is not None]
            if near:
                near.sort(key=lambda t: t[0])
                return target(near[0][1], "relation")
    top = matches[0].score
    tied = [m for m in matches if m.score >= top - TIE] if "tie" in rules else matches[:1]
    if intent.ordinal is not None and "order" in rules:
        same = [m for m in matches if m.similarity >= MIN_SIMILARITY]
        chosen = _order(same if len(same) >= len(tied) else tied, intent.ordinal, intent.direction)
        if chosen is None:
            return Grounding(False, reason=f"the query asks for number {intent.ordinal} of {name!r}; the screen shows "
                                           f"{len(same)}", n_candidates=len(matches), intent=intent, engine=engine)
        return target(chosen, "order")
    if len(tied) > 1 and "role" in rules:
        tied = _by_role(tied, intent.role, words)
    if len(tied) == 1:
        return target(tied[0], "words" if len(matches) == 1 else "role")
    tied.sort(key=lambda m: (round(m.xyxy_px[1] / 8), m.xyxy_px[0]))  # reading order: the first is the default
    options = [target(m, "first") for m in tied]
    shortlist = tuple(Candidate(g.xyxy_px, g.click_xy_px, g.words) for g in options if g.found)
    return replace(options[0], shortlist=shortlist)


def _target(m: Match, intent: QueryIntent, perception, stage: str, n: int, rules) -> Grounding:
    """The element a matched run of words stands for, given the query's role."""
    if intent.role in LABELLED_ROLES and "label" in rules:
        boxes = perception.boxes
        inside = element_around(m.xyxy_px, boxes, max_grow=4.0)
        tw, th = m.xyxy_px[2] - m.xyxy_px[0], m.xyxy_px[3] - m.xyxy_px[1]
        iw = 0.0 if inside is None else inside[2] - inside[0]
        # a box well wider than its words is a control showing them (a placeholder, a field's value); a
        # dropdown's box holds its value and an arrow, so three text heights more than the value will do
        wide = inside is not None and ((iw >= 2.5 * tw and iw >= 4 * th) or (intent.role == "select" and iw >= tw + 3 * th))
        control = None if wide else control_beside(m.xyxy_px, boxes, perception.words, thin=intent.role == "slider")
        if control is None and wide:
            control = inside  # the words are the control's own (a placeholder, a dropdown's value)
        if control is not None:
            return Grounding(True, control, _centre(control), "label" if stage == "words" else stage, m.words, n,
                             intent=intent)
    if intent.role in ROW_CONTROLS and "indicator" in rules:
        mark = indicator_beside(m.xyxy_px, perception.boxes, perception.words)
        if mark is not None:
            return Grounding(True, mark, _centre(mark), "label" if stage == "words" else stage, m.words, n,
                             intent=intent)
    box = m.xyxy_px
    if "element" in rules:
        around = element_around(m.xyxy_px, perception.boxes)
        if around is not None:
            box = around
    return Grounding(True, box, _centre(m.xyxy_px), stage, m.words, n, intent=intent)


def _by_relation(intent: QueryIntent, perception, rules) -> Grounding:
    anchors = find_text(intent.anchor, perception.words)
    if not anchors:
        return Grounding(False, needs_model=True, reason=f"no words on the screen spell {intent.anchor!r}", intent=intent)
    a = anchors[0].xyxy_px
    h = max(a[3] - a[1], 1.0)
    cands = []
    for b in perception.boxes:
        bw, bh = b[2] - b[0], b[3] - b[1]
        if bh > 6 * h or bw < 0.6 * h or _contains(b, a, 2.0):
            continue
        d = _side(b, a, intent.relation)
        if d is not None:
            cands.append((d, tuple(float(v) for v in b)))
    if not cands:
        return Grounding(False, needs_model=True, reason=f"no element {intent.relation} {intent.anchor!r}", intent=intent)
    cands.sort(key=lambda t: t[0])
    box = cands[0][1]
    return Grounding(True, box, _centre(box), "relation", anchors[0].words, len(cands), (), intent=intent)


#: The rules :func:`ground` applies: ``label`` (a control named by its label is beside it), ``indicator`` (a
#: checkbox's or radio button's mark beside its label), ``element`` (the box is the element around the words),
#: ``order`` (ordinals), ``relation`` (sides of an anchor), ``role`` (the layout of the role named: a
#: heading's size, a list's column, a tab's row), ``tie`` (tied runs go to the shortlist), ``second`` (a
#: second engine's reading where the first spells the name only in part), ``sentence`` (a button, tab, menu item,
#: checkbox or radio button inside a longer text only where spelled in the query's case, outside prose),
#: ``glyph`` (a window's Close, Minimize or Maximize button by the lone sign drawn for it).
RULES = frozenset({"label", "indicator", "element", "order", "relation", "role", "tie", "second", "sentence",
                   "glyph"})

__all__ = [
    "MIN_SIMILARITY",
    "RULES",
    "Candidate",
    "Grounding",
    "Match",
    "control_beside",
    "element_around",
    "find_text",
    "ground",
    "segments",
]
