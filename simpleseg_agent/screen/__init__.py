"""Screen perception: what a screenshot shows, from its pixels alone (no model).

- :mod:`.elements`: the shapes a screen shows (element proposals from edges), the outlines an answer may
  snap to, and how far a chosen line of text, button or icon extends;
- :mod:`.kinds`: the kind of element a shape shows (a switch, a checkbox, a dropdown, a field, a link...) and
  the kinds a query names;
- :mod:`.glyphs`: which toolbar icon a glyph shows (a plus, a hamburger, a magnifier...);
- :mod:`.words`: the screen's words (OCR with Tesseract) and how well each element's words match a query;
- :mod:`.pixels`: the pixel helpers they share.

The tools (:class:`~simpleseg_agent.tools.SimpleSeg` with snapping) turn a model's rough answer into the
element a person meant with these; :mod:`simpleseg_agent.geometry` below knows shapes, not widgets.

Example (a screen with one grey button; an answer 2 px off on every side snaps to it):
    >>> import numpy as np
    >>> from simpleseg_agent.geometry import Region
    >>> from simpleseg_agent.screen import snap_region
    >>> img = np.full((100, 200, 3), 250, np.uint8); img[40:70, 50:150] = 200
    >>> answer = Region.from_polygons([[[0.24, 0.38], [0.76, 0.38], [0.76, 0.72], [0.24, 0.72]]])
    >>> snap_region(answer, img).snapped
    True
"""

from .elements import (
    DEFAULT_GAPS_PX,
    DEFAULT_GROW,
    DEFAULT_ICON_GROW,
    DEFAULT_ICON_ROUND,
    DEFAULT_MARK_PX,
    DEFAULT_MAX_CANDIDATES,
    DEFAULT_REACH,
    DEFAULT_TEXT_GROW,
    DEFAULT_WORD_GAP,
    SnapCandidate,
    SnapResult,
    element_boxes,
    is_text_line,
    line_of_words,
    shape_extent,
    snap_candidates,
    snap_region,
    solid_outline,
    text_line_extent,
)
from .glyphs import GLYPH_KINDS, glyph_ink, glyph_kinds, ink_glyphs
from .kinds import BOXED_KINDS, DEFAULT_KIND_WEIGHT, KIND_WORDS, SHAPE_KINDS, kind_match, query_kinds, shape_kinds
from .pixels import DEFAULT_EDGE_THRESHOLD, edge_map
from .words import DEFAULT_READ_WEIGHT, ScreenReader, ScreenWord, read_screen, tesseract_path, text_match, words_in

__all__ = [
    "BOXED_KINDS", "DEFAULT_EDGE_THRESHOLD", "DEFAULT_GAPS_PX", "DEFAULT_GROW", "DEFAULT_ICON_GROW", "DEFAULT_ICON_ROUND",
    "DEFAULT_KIND_WEIGHT", "DEFAULT_MARK_PX", "DEFAULT_MAX_CANDIDATES", "DEFAULT_READ_WEIGHT", "DEFAULT_REACH",
    "DEFAULT_TEXT_GROW", "DEFAULT_WORD_GAP", "GLYPH_KINDS", "KIND_WORDS", "SHAPE_KINDS", "ScreenReader", "ScreenWord",
    "SnapCandidate", "SnapResult", "edge_map", "element_boxes", "glyph_ink", "glyph_kinds", "ink_glyphs", "is_text_line",
    "kind_match", "line_of_words", "query_kinds", "read_screen", "shape_extent", "shape_kinds", "snap_candidates",
    "snap_region", "solid_outline", "tesseract_path", "text_line_extent", "text_match", "words_in",
]
