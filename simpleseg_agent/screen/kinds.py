"""The kind of element a query names, matched against what the screen's pixels show.

A small model's sense of kinds is weak: asked for "the switch" it may choose the switch's label, asked
for "the dropdown" a field beside it, asked for "the plus button" any icon of the toolbar. Screens draw
most kinds by conventions the pixels show without a model
(:func:`~simpleseg_agent.screen.kinds.shape_kinds`): a switch is a pill, a checkbox a small square, a
dropdown a box with a chevron at its right end, a field a box whose text starts at its left, a link an
underlined line of text, a window's maximize control a square; and toolbar icons by their glyphs
(:func:`~simpleseg_agent.screen.glyphs.glyph_kinds`): a plus, a hamburger, a magnifier, a gear, a trash
can, a house, a star. When a query names one of these kinds, snapping adds the decoding's
``kind_weight`` nats to each candidate that shows it (:class:`~simpleseg_agent.tools.Decoding`
``kinds``), beside the model's own score and the screen's words (:mod:`~simpleseg_agent.screen.words`):
the words pick which element, the model and the kind what sort.

An icon is named by words a button may also show ("the delete button", "the settings button"): where the
screen shows a word of the query, the words decide and the glyphs do not count (``glyphs=False``, which
the tools pass when reading matched a candidate).

The weight is a decoding setting (``Decoding.kind_weight``): large enough that a matching kind outweighs
the model's doubt between two elements, small enough that it never outweighs the screen's words.

Example (a switch and its label; "the switch" matches the pill only):
    >>> import numpy as np
    >>> from PIL import Image, ImageDraw
    >>> from simpleseg_agent.screen.elements import SnapCandidate
    >>> im = Image.new("RGB", (120, 40), (250, 250, 250))
    >>> ImageDraw.Draw(im).rounded_rectangle((10, 10, 53, 33), 12, fill=(40, 120, 220))
    >>> pill = SnapCandidate((9.5, 9.5, 54.5, 34.5), 0.0, (9.5, 9.5, 54.5, 34.5), 0.0)
    >>> grown = SnapCandidate((2.75, 2.75, 61.25, 41.25), 0.0, (9.5, 9.5, 54.5, 34.5), 0.3)
    >>> query_kinds("the Dark mode switch"), kind_match("the Dark mode switch", [pill, grown], np.asarray(im))
    (frozenset({'switch'}), [1.0, 0.0])
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .elements import SnapCandidate, is_text_line, solid_outline
from .glyphs import GLYPH_KINDS, glyph_kinds
from .pixels import DEFAULT_EDGE_THRESHOLD, commonest_color, inner_crop, rgb_view, ring_color, ringed_crop
from .words import normalize_word

#: The kinds of element a shape's pixels show by themselves (:func:`shape_kinds`).
SHAPE_KINDS: tuple[str, ...] = ("switch", "checkbox", "maximize", "dropdown", "field", "link")
#: Inside a solid box, pixels differing from its commonest colour by more than this (0-255, any channel)
#: are ink (its text, a chevron): more than an edge, so that a field's soft inner shading is not ink.
INNER_INK_THRESHOLD = 24


def inner_ink(box: Sequence[float], rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The boxes (``xyxy_px``, end exclusive) of the ink inside a solid ``box``, its border left out
    (:func:`~simpleseg_agent.screen.pixels.inner_crop`): pixels off its commonest colour (:data:`INNER_INK_THRESHOLD`),
    grouped 1 px apart.

    Example (a field holding a 10 x 6 px word; the boxes are of the ink grown by 1 px, as grouped):
        >>> import numpy as np
        >>> img = np.full((40, 100, 3), 255, np.uint8); img[15:21, 20:30] = 0
        >>> inner_ink((5, 5, 95, 35), img)
        [(19, 14, 31, 22)]
    """
    crop, left, top = inner_crop(box, rgb)
    if crop.shape[0] < 1 or crop.shape[1] < 1:
        return []
    ink = (np.abs(crop - commonest_color(crop)).max(axis=-1) > INNER_INK_THRESHOLD).astype(np.uint8)
    _, _, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(ink, np.ones((3, 3), np.uint8)), connectivity=8)
    return [(int(a) + left, int(b) + top, int(a + w) + left, int(b + h) + top)
            for a, b, w, h, area in stats[1:] if area >= 3]


def is_underlined(shape_xyxy_px: Sequence[float], rgb: np.ndarray) -> bool:
    """Whether a line of text has a rule under it: one of its four lowest rows is ink (off the commonest
    colour around its box) for 90 % of its width. A row through letters is ink for half of it at most.

    Example:
        >>> import numpy as np
        >>> img = np.full((40, 120, 3), 255, np.uint8)
        >>> for x in range(12, 100, 8): img[12:26, x:x + 3] = 0
        >>> is_underlined((11.5, 11.5, 99.5, 28.5), img)
        False
        >>> img[27, 12:99] = 0; is_underlined((11.5, 11.5, 99.5, 28.5), img)
        True
    """
    crop = ringed_crop(shape_xyxy_px, rgb)
    if crop.shape[0] < 3 or crop.shape[1] < 3:
        return False
    ink = np.abs(crop[1:-1, 1:-1] - ring_color(crop)).max(axis=-1) > DEFAULT_EDGE_THRESHOLD
    return bool(len(ink)) and bool((ink[-4:].mean(axis=1) >= 0.9).any())


def shape_kinds(shape_xyxy_px: Sequence[float], image) -> frozenset[str]:
    """The kinds of element (:data:`SHAPE_KINDS`) a shape's pixels show by themselves, the conventions
    screens draw them by:

    - ``"switch"``: a solid pill (:func:`~simpleseg_agent.screen.elements.solid_outline`), 1.5-2.3 times as wide as tall, its corners rounded
      by at least 0.4 of its height;
    - ``"checkbox"`` and ``"maximize"``: a solid square (0.85-1.18), its corners rounded by under 0.3 of its
      side: a checkbox, or the glyph of a window's maximize control (a square outline, holes filled);
    - ``"dropdown"``: a solid box at least 2.5 times as wide as tall whose last ink is a chevron at its right
      end (0.2-0.5 of its height wide, 0.12-0.35 tall, 0.15-0.6 from the end, 0.3 or more from the rest of
      its ink: not the last letter of a word);
    - ``"field"``: such a box without a chevron, empty or its text starting within 0.35 of its height of its
      left end and ending at least 0.2 of its height further from its right end (a field's text starts at
      the left; a button's sits in the middle);
    - ``"link"``: an underlined line of text (:func:`~simpleseg_agent.screen.elements.is_text_line`).

    Example (a switch, a checkbox and an underlined word):
        >>> from PIL import Image, ImageDraw
        >>> im = Image.new("RGB", (220, 60), (250, 250, 250)); d = ImageDraw.Draw(im)
        >>> d.rounded_rectangle((10, 10, 53, 33), 12, fill=(40, 120, 220))
        >>> d.rectangle((70, 12, 89, 31), outline=(90, 90, 90), width=2)
        >>> for x in range(110, 190, 8): d.rectangle((x, 14, x + 2, 28), fill=(20, 60, 200))
        >>> d.line((110, 31, 189, 31), fill=(20, 60, 200))
        >>> shapes = ((9.5, 9.5, 54.5, 34.5), (69.5, 11.5, 90.5, 32.5), (109.5, 13.5, 190.5, 32.5))
        >>> [sorted(shape_kinds(b, im)) for b in shapes]
        [['switch'], ['checkbox', 'maximize'], ['link']]
    """
    rgb = rgb_view(image)
    kinds: set[str] = set()
    solid = solid_outline(shape_xyxy_px, rgb)
    if solid is not None:
        (x0, y0, x1, y1), corner = solid
        w, h = x1 - x0, y1 - y0
        if 1.5 <= w / h <= 2.3 and corner >= 0.4 * h:
            kinds.add("switch")
        if 0.85 <= w / h <= 1.18 and corner < 0.3 * h:
            kinds.update(("checkbox", "maximize"))
        if w / h >= 2.5:
            ink = inner_ink(solid[0], rgb)
            last = max(ink, key=lambda b: b[2], default=None)
            before = max((b[2] for b in ink if b is not last), default=x0)  # where the rest of the ink ends
            if last is not None and (0.2 <= (last[2] - last[0]) / h <= 0.5 and 0.12 <= (last[3] - last[1]) / h <= 0.35
                                     and 0.15 <= (x1 - last[2]) / h <= 0.6 and last[0] - before >= 0.3 * h):
                kinds.add("dropdown")
            elif last is None or ((start := min(b[0] for b in ink) - x0) <= 0.35 * h
                                  and x1 - last[2] >= start + 0.2 * h):
                kinds.add("field")
    elif is_text_line(shape_xyxy_px, rgb) and is_underlined(shape_xyxy_px, rgb):
        kinds.add("link")
    return frozenset(kinds)


#: The words a query names a kind by, and the kind (:data:`~simpleseg_agent.screen.kinds.SHAPE_KINDS`).
KIND_WORDS: dict[str, str] = {
    "switch": "switch",
    "toggle": "switch",
    "checkbox": "checkbox",
    "maximize": "maximize",
    "dropdown": "dropdown",
    "field": "field",
    "link": "link",
    "plus": "plus",
    "add": "plus",
    "menu": "menu",
    "hamburger": "menu",
    "search": "search",
    "magnifier": "search",
    "gear": "gear",
    "settings": "gear",
    "trash": "trash",
    "delete": "trash",
    "home": "home",
    "star": "star",
    "favorite": "star",
}
#: Kinds drawn as a filled or bordered box: only their candidates as drawn (grow 0) show them; a grown box
#: around a switch is not the switch. A link is a line of text, whose extent is settled whichever grow was
#: chosen (:func:`~simpleseg_agent.screen.elements.text_line_extent`), and a maximize control extends past its
#: square glyph: the model chooses how far.
BOXED_KINDS = frozenset({"switch", "checkbox", "dropdown", "field"})
_GLYPHS = frozenset(GLYPH_KINDS)
#: Nats per matching candidate where ``kinds=True`` is asked of a decoding without a ``kind_weight``.
DEFAULT_KIND_WEIGHT = 7.0


def query_kinds(query: str, *, glyphs: bool = True) -> frozenset[str]:
    """The kinds of element ``query`` names (:data:`KIND_WORDS`); empty when it names none of them.
    ``glyphs=False`` leaves out the icons (:data:`~simpleseg_agent.screen.glyphs.GLYPH_KINDS`).

    Example:
        >>> sorted(query_kinds("the Remember me checkbox")), sorted(query_kinds("the Save button"))
        (['checkbox'], [])
        >>> sorted(query_kinds("the add button")), sorted(query_kinds("the add button", glyphs=False))
        (['plus'], [])
    """
    kinds = frozenset(KIND_WORDS[w] for w in (normalize_word(t) for t in query.split()) if w in KIND_WORDS)
    return kinds if glyphs else kinds - _GLYPHS


def kind_match(query: str, candidates: Sequence[SnapCandidate], image, *, glyphs: bool = True) -> list[float]:
    """1.0 for each candidate whose shape shows a kind ``query`` names
    (:func:`~simpleseg_agent.screen.kinds.shape_kinds` and, unless ``glyphs=False``,
    :func:`~simpleseg_agent.screen.glyphs.glyph_kinds` on ``image``, the screen; a boxed kind only as drawn,
    :data:`BOXED_KINDS`; an icon at any grow: the model chooses how far its button extends), else 0.0.
    All zeros when the query names no kind. Example: see the module docstring.
    """
    wanted = query_kinds(query, glyphs=glyphs)
    if not wanted:
        return [0.0] * len(candidates)
    rgb = np.asarray(image)
    by_shape, by_glyph = bool(wanted - _GLYPHS), bool(wanted & _GLYPHS)

    def shows(shape: tuple[float, ...]) -> frozenset[str]:
        kinds = shape_kinds(shape, rgb) if by_shape else frozenset()
        return (kinds | glyph_kinds(shape, rgb)) if by_glyph else kinds

    seen: dict[tuple[float, ...], frozenset[str]] = {}
    out = []
    for c in candidates:
        shape = c.shape_xyxy_px
        if shape is None:
            out.append(0.0)
            continue
        if shape not in seen:
            seen[shape] = shows(shape)
        shown = seen[shape] & wanted
        out.append(1.0 if shown and (c.grow == 0 or shown - BOXED_KINDS) else 0.0)
    return out
