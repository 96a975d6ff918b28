"""The kind of element a query names, matched against what the screen's pixels show.

A small model's sense of kinds is weak: asked for "the switch" it may choose the switch's label, asked
for "the dropdown" a field beside it, asked for "the plus button" any icon of the toolbar. Screens draw
most kinds by conventions the pixels show without a model
(:func:`~simpleseg_agent.geometry.snap.shape_kinds`): a switch is a pill, a checkbox a small square, a
dropdown a box with a chevron at its right end, a field a box whose text starts at its left, a link an
underlined line of text, a window's maximize control a square; and toolbar icons by their glyphs
(:func:`~simpleseg_agent.geometry.glyphs.glyph_kinds`): a plus, a hamburger, a magnifier, a gear, a trash
can, a house, a star. When a query names one of these kinds, snapping adds the preset's
``snap_kind_weight`` nats to each candidate that shows it (:class:`~simpleseg_agent.tools.SimpleSeg`
``kinds``), beside the model's own score and the screen's words (:mod:`~simpleseg_agent.tools.reading`):
the words pick which element, the model and the kind what sort.

An icon is named by words a button may also show ("the delete button", "the settings button"): where the
screen shows a word of the query, the words decide and the glyphs do not count (``glyphs=False``, which
the tools pass when reading matched a candidate).

On the default model's validation screens (60 easy screens, seed 2029, 409 queries) the weight 7 was
chosen: 4-7 nats gave the same clicks (388 -> 395 without the maximize square, 396 with it), 10 one fewer.
The glyphs, at the same weight, took validation to 402 clicks and a set of 100 toolbar-icon queries from
37 to 97 hits (``simpleseg eval``; 98 re-ranked with the rules as shipped), held-out 1,353 -> 1,408 of 1,429
(``docs/default-model.md``).

Example (a switch and its label; "the switch" matches the pill only):
    >>> import numpy as np
    >>> from PIL import Image, ImageDraw
    >>> from simpleseg_agent.geometry.snap import SnapCandidate
    >>> im = Image.new("RGB", (120, 40), (250, 250, 250))
    >>> ImageDraw.Draw(im).rounded_rectangle((10, 10, 53, 33), 12, fill=(40, 120, 220))
    >>> pill = SnapCandidate((9.5, 9.5, 54.5, 34.5), 0.0, (9.5, 9.5, 54.5, 34.5), 0.0)
    >>> grown = SnapCandidate((2.75, 2.75, 61.25, 41.25), 0.0, (9.5, 9.5, 54.5, 34.5), 0.3)
    >>> query_kinds("the Dark mode switch"), kind_match("the Dark mode switch", [pill, grown], np.asarray(im))
    (frozenset({'switch'}), [1.0, 0.0])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..geometry.glyphs import GLYPH_KINDS, glyph_kinds
from ..geometry.snap import SnapCandidate, shape_kinds
from .reading import _norm

#: The words a query names a kind by, and the kind (:data:`~simpleseg_agent.geometry.snap.SHAPE_KINDS`).
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
#: chosen (:func:`~simpleseg_agent.geometry.snap.text_line_extent`), and a maximize control extends past its
#: square glyph: the model chooses how far.
BOXED_KINDS = frozenset({"switch", "checkbox", "dropdown", "field"})
_GLYPHS = frozenset(GLYPH_KINDS)
#: Nats per matching candidate where ``kinds=True`` is asked of a preset without a ``snap_kind_weight``.
DEFAULT_KIND_WEIGHT = 7.0


def query_kinds(query: str, *, glyphs: bool = True) -> frozenset[str]:
    """The kinds of element ``query`` names (:data:`KIND_WORDS`); empty when it names none of them.
    ``glyphs=False`` leaves out the icons (:data:`~simpleseg_agent.geometry.glyphs.GLYPH_KINDS`).

    Example:
        >>> sorted(query_kinds("the Remember me checkbox")), sorted(query_kinds("the Save button"))
        (['checkbox'], [])
        >>> sorted(query_kinds("the add button")), sorted(query_kinds("the add button", glyphs=False))
        (['plus'], [])
    """
    kinds = frozenset(KIND_WORDS[w] for w in (_norm(t) for t in query.split()) if w in KIND_WORDS)
    return kinds if glyphs else kinds - _GLYPHS


def kind_match(query: str, candidates: Sequence[SnapCandidate], image, *, glyphs: bool = True) -> list[float]:
    """1.0 for each candidate whose shape shows a kind ``query`` names
    (:func:`~simpleseg_agent.geometry.snap.shape_kinds` and, unless ``glyphs=False``,
    :func:`~simpleseg_agent.geometry.glyphs.glyph_kinds` on ``image``, the screen; a boxed kind only as drawn,
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
