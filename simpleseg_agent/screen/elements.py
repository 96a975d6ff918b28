"""Element proposals from a screen's pixels, and snapping an answered outline to one of them.

A small model finds roughly where an element is but places its edges a token or so off (a token of
the default model covers about 40 x 40 px of a screen), and often outlines the neighbourhood of the
element rather than the element. A GUI element, though, has crisp edges in the pixels: a filled or
bordered box, a word, an icon. :func:`element_boxes` finds those shapes from the pixels alone (no
model): edges where neighbouring pixels differ, grouped at a few distances (letters into words, words
into lines), each group's box. :func:`snap_candidates` turns them into the outlines an answer may snap
to: every box near the answer, as drawn and grown by a fraction of its short side (a label's or an
icon's widget extends past its ink), with its overlap (mask IoU) with the answer.
:func:`text_line_extent` settles how far a chosen line of text extends (its ink grown by a fixed
fraction), a few pixels a small model cannot place.
:func:`snap_region` picks the candidate that overlaps the answer most; the tools
(:class:`~simpleseg_agent.tools.SimpleSeg` with ``snap=True``) let the model itself choose among them
by how likely it finds each as its answer.

Snapping is for screens: on a photo or camera frame the "edges" are texture, and it should stay off.

Example (a screen with one grey button, x 50-150 and y 40-70; an answer 2 px off on every side snaps
to the button):
    >>> import numpy as np
    >>> from simpleseg_agent.geometry import Region
    >>> img = np.full((100, 200, 3), 250, np.uint8); img[40:70, 50:150] = 200
    >>> answer = Region.from_polygons([[[0.24, 0.38], [0.76, 0.38], [0.76, 0.72], [0.24, 0.72]]])
    >>> snapped = snap_region(answer, img)
    >>> snapped.snapped, [round(float(v), 3) for v in snapped.region.xyxy]
    (True, [0.247, 0.395, 0.752, 0.705])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import GeometryError
from ..geometry.boxes import grown_box, rounded_box_polygon, xyxy_iou
from ..geometry.masks import region_to_mask
from ..geometry.region import Region
from .pixels import DEFAULT_EDGE_THRESHOLD, as_rgb, edge_map, rgb_view, ring_color

#: Distances (px, at the image's resolution) over which edge pixels are grouped into one shape.
DEFAULT_GAPS_PX: tuple[int, ...] = (1, 3, 6, 10)
#: Each element box is a candidate as drawn and grown by these fractions of its short side.
DEFAULT_GROW: tuple[float, ...] = (0.0, 0.15, 0.3)
#: A mark at most this long (px) and at least :data:`MARK_ASPECT` times as long as it is thick (the
#: minus of a minimize button, a dash) is also a candidate as the square around it: an icon button
#: without a fill is as tall as it is wide, while its glyph may be a line, which would otherwise be the
#: only candidate for the whole button.
DEFAULT_MARK_PX = 48
#: How many times longer than thick a shape must be to count as a mark (:data:`DEFAULT_MARK_PX`).
MARK_ASPECT = 3.0
#: A shape at least this many times as wide as tall may be a line of text (:func:`is_text_line`).
TEXT_LINE_ASPECT = 2.0
#: ... when under this fraction of the pixels of its box's top or bottom row are edge pixels: ink (letters
#: touch the top of their box only here and there, or its bottom), not a bordered or filled box (an edge all
#: along its top and its bottom, a pill-shaped one too once it is twice as wide as tall).
TEXT_LINE_BORDER = 0.5
#: A chosen line of text is returned as its ink box grown by this fraction of its height
#: (:func:`text_line_extent`): a label's box is its ink with a margin of about an eighth of the font size.
DEFAULT_TEXT_GROW = 0.15
#: A chosen word extends over the words beside it on its line (:func:`line_of_words`) at most this many times
#: its height away: a space and the letters' side bearings come to about 0.4 of the font size, and a word of
#: lower-case letters alone is about half the font size tall, so 0.8 spans a space without reaching the
#: next label.
DEFAULT_WORD_GAP = 0.8
#: A chosen icon's glyph (a shape neither a line of text nor solid) is returned as the glyph grown by this
#: fraction of its short side (:func:`shape_extent`): an icon button extends past its glyph by a margin the
#: pixels do not show (no fill, no border), about a quarter of the glyph's size in common toolkits.
DEFAULT_ICON_GROW = 0.25
#: ... with its corners rounded by this fraction of its short side (0: square corners; 0.5: a circle's
#: worth): toolbars and title bars round their buttons' hover boxes, and a square box loses the corners.
DEFAULT_ICON_ROUND = 0.25
#: A shape is solid (a filled or bordered element: a button, a field, a checkbox, a toggle) when the pixels
#: that differ from the colour around its box, their holes filled, cover at least this fraction of their
#: own box (a rounded box covers at least pi/4 of it) ...
SOLID_COVER = 0.8
#: ... and their box covers the shape's box to at least this box IoU (a glyph inside a square around a
#: mark covers a sliver of it).
SOLID_SPAN = 0.7
#: Boxes are candidates when they touch the answer's box grown by this fraction of its long side.
DEFAULT_REACH = 0.5
#: At most this many candidates (the most overlapping, then the nearest): a busy image (a photo, a
#: dense page) can give hundreds, and the model scores each, so the cap bounds the time of one answer.
DEFAULT_MAX_CANDIDATES = 192


def element_boxes(
    image,
    *,
    gaps_px: Sequence[int] = DEFAULT_GAPS_PX,
    threshold: int = DEFAULT_EDGE_THRESHOLD,
    min_side_px: int = 4,
    max_area_frac: float = 0.9,
    same_iou: float = 0.9,
) -> np.ndarray:
    """``(N, 4)`` float ``xyxy_px`` boxes (end exclusive) of the shapes a screen shows, largest first.

    For each grouping distance in ``gaps_px`` the edge pixels (:func:`~simpleseg_agent.screen.pixels.edge_map`) within that distance of
    each other form one shape. Both pixels of an edge pair are marked, so a box is drawn through the
    middle of its outer edge pixels: half a pixel outside the boundary, the closest to it the pixels
    allow. Shapes under ``min_side_px`` on both sides, over ``max_area_frac`` of the image (the whole
    window), or with a box IoU of ``same_iou`` or more with a larger one already kept are left out.

    Example:
        >>> import numpy as np
        >>> img = np.full((60, 120, 3), 255, np.uint8); img[10:30, 10:50] = 0; img[35:50, 70:110] = 90
        >>> element_boxes(img, gaps_px=(1,)).tolist()
        [[9.5, 9.5, 50.5, 30.5], [69.5, 34.5, 110.5, 50.5]]
    """
    if not len(gaps_px) or any(isinstance(g, bool) or int(g) != g or g < 1 for g in gaps_px):
        raise GeometryError(f"gaps_px must be whole distances >= 1 px, got {tuple(gaps_px)!r}")
    edges = edge_map(image, threshold=threshold)
    h, w = edges.shape
    ys, xs = np.nonzero(edges)
    if not len(xs):
        return np.zeros((0, 4))
    found: list[tuple[float, float, float, float]] = []
    edges_u8 = edges.astype(np.uint8)
    for gap in sorted({int(g) for g in gaps_px}):
        grown = cv2.dilate(edges_u8, np.ones((gap, gap), np.uint8)) if gap > 1 else edges_u8
        n, labels = cv2.connectedComponents(grown, connectivity=8)
        lab = labels[ys, xs]
        x0 = np.full(n, w, np.int64)
        y0 = np.full(n, h, np.int64)
        x1 = np.full(n, -1, np.int64)
        y1 = np.full(n, -1, np.int64)
        np.minimum.at(x0, lab, xs)
        np.minimum.at(y0, lab, ys)
        np.maximum.at(x1, lab, xs)
        np.maximum.at(y1, lab, ys)
        for k in range(1, n):
            if x1[k] < 0:
                continue
            bw, bh = x1[k] - x0[k], y1[k] - y0[k]  # between the outer edge pixels' centres
            if (bw < min_side_px and bh < min_side_px) or bw * bh > max_area_frac * w * h or bw < 1 or bh < 1:
                continue
            found.append((x0[k] + 0.5, y0[k] + 0.5, x1[k] + 0.5, y1[k] + 0.5))
    found.sort(key=lambda b: -(b[2] - b[0]) * (b[3] - b[1]))
    kept: list[tuple[float, float, float, float]] = []
    for box in found:
        if all(xyxy_iou(box, k) < same_iou for k in kept):
            kept.append(box)
    return np.array(kept, dtype=np.float64).reshape(-1, 4)


@dataclass(frozen=True)
class SnapCandidate:
    """An outline an answer may snap to: a box (``xyxy_px``, end exclusive) and its ``overlap`` (mask
    IoU, 0-1) with the answer; ``shape_xyxy_px`` is the shape it was made from (an element box, or the
    square around a mark; ``None``: the box itself) and ``grow`` the fraction of that shape's short side it
    was grown by on every side."""

    xyxy_px: tuple[float, float, float, float]
    overlap: float
    shape_xyxy_px: tuple[float, float, float, float] | None = None
    grow: float = 0.0
    corner_px: float = 0.0

    def region(self, resolution_wh: tuple[int, int]) -> Region:
        """The box as a clockwise :class:`Region` in normalized coordinates: four points, or with
        ``corner_px`` > 0 its corners rounded by that radius (:func:`~simpleseg_agent.geometry.boxes.rounded_box_polygon`)."""
        w, h = resolution_wh
        points = rounded_box_polygon(self.xyxy_px, self.corner_px)
        return Region.from_polygons([[[x / w, y / h] for x, y in points]])


def snap_candidates(
    region: Region,
    image=None,
    *,
    resolution_wh: tuple[int, int] | None = None,
    boxes: np.ndarray | None = None,
    grow: Sequence[float] = DEFAULT_GROW,
    reach: float = DEFAULT_REACH,
    max_candidates: int = DEFAULT_MAX_CANDIDATES,
    mark_px: float = DEFAULT_MARK_PX,
) -> list[SnapCandidate]:
    """The outlines ``region`` (normalized, as a model answered it) may snap to.

    Every element box (``boxes``, or :func:`element_boxes` of ``image``) that touches the answer's box
    grown by ``reach`` times its long side becomes a candidate as drawn and grown by each fraction in
    ``grow`` of its short side (clipped to the image), with its mask IoU with the answer (0 for boxes
    only near it). A mark (a box at most ``mark_px`` long and :data:`MARK_ASPECT` times as long as
    thick; 0 turns this off) is also a candidate as the square on its long side around its centre,
    grown the same way. Past ``max_candidates``, the most overlapping are kept, then the nearest (box centre
    to the answer's box centre). Give ``image``, or ``boxes`` with ``resolution_wh``.

    Example:
        >>> import numpy as np
        >>> from simpleseg_agent.geometry import Region
        >>> answer = Region.from_polygons([[[0.2, 0.2], [0.6, 0.2], [0.6, 0.6], [0.2, 0.6]]])
        >>> c = snap_candidates(answer, boxes=np.array([[20.0, 20.0, 60.0, 60.0], [90.0, 90.0, 99.0, 99.0]]),
        ...                     resolution_wh=(100, 100), grow=(0.0,))
        >>> [(cand.xyxy_px, round(cand.overlap, 3)) for cand in c]
        [((20.0, 20.0, 60.0, 60.0), 1.0)]
        >>> dash = snap_candidates(answer, boxes=np.array([[30.0, 38.0, 48.0, 42.0]]), resolution_wh=(100, 100), grow=(0.0,))
        >>> [cand.xyxy_px for cand in dash]
        [(30.0, 38.0, 48.0, 42.0), (30.0, 31.0, 48.0, 49.0)]
    """
    if image is not None:
        rgb = as_rgb(image)
        resolution_wh = (rgb.shape[1], rgb.shape[0])
        if boxes is None:
            boxes = element_boxes(rgb)
    if boxes is None or resolution_wh is None:
        raise GeometryError("snap_candidates needs the image, or the boxes and resolution_wh")
    if not all(np.isfinite(g) and g >= 0 for g in grow) or not len(grow):
        raise GeometryError(f"grow must be fractions >= 0, got {tuple(grow)!r}")
    if not (np.isfinite(reach) and reach >= 0):
        raise GeometryError(f"reach must be a number >= 0, got {reach!r}")
    if isinstance(max_candidates, bool) or not isinstance(max_candidates, int) or max_candidates < 1:
        raise GeometryError(f"max_candidates must be an int >= 1, got {max_candidates!r}")
    if not (np.isfinite(mark_px) and mark_px >= 0):
        raise GeometryError(f"mark_px must be a length >= 0 px, got {mark_px!r}")
    if region.is_empty:
        return []
    w, h = resolution_wh
    answer = region_to_mask(region, (w, h))
    area = int(answer.sum())
    if area == 0:
        return []
    integral = np.pad(answer.astype(np.int64).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    ax0, ay0, ax1, ay1 = np.asarray(region.xyxy, np.float64) * [w, h, w, h]
    r = reach * max(ax1 - ax0, ay1 - ay0)
    near = (ax0 - r, ay0 - r, ax1 + r, ay1 + r)
    out: list[SnapCandidate] = []
    seen: set[tuple[float, ...]] = set()
    for x0, y0, x1, y1 in np.asarray(boxes, np.float64).reshape(-1, 4):
        if x1 <= near[0] or x0 >= near[2] or y1 <= near[1] or y0 >= near[3]:
            continue
        shapes = [(x0, y0, x1, y1)]
        long, thick = max(x1 - x0, y1 - y0), min(x1 - x0, y1 - y0)
        if long <= mark_px and long >= MARK_ASPECT * thick:
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            shapes.append((cx - long / 2, cy - long / 2, cx + long / 2, cy + long / 2))
        for shape, g in ((shape, g) for shape in shapes for g in grow):
            box = grown_box(shape, g, (w, h))
            key = tuple(round(v, 1) for v in box)
            if key in seen:
                continue
            seen.add(key)
            # pixels whose centre lies in the box: the same rule rasterization uses
            c0, r0 = int(np.ceil(box[0] - 0.5)), int(np.ceil(box[1] - 0.5))
            c1, r1 = int(np.ceil(box[2] - 0.5)), int(np.ceil(box[3] - 0.5))
            inter = int(integral[r1, c1] - integral[r0, c1] - integral[r1, c0] + integral[r0, c0])
            union = area + (c1 - c0) * (r1 - r0) - inter
            out.append(SnapCandidate(box, inter / union if union > 0 else 0.0,
                                     tuple(float(v) for v in shape), float(g)))  # type: ignore[arg-type]
    if len(out) > max_candidates:
        cx, cy = (ax0 + ax1) / 2, (ay0 + ay1) / 2

        def rank(c: SnapCandidate) -> tuple[float, float]:
            bx, by = (c.xyxy_px[0] + c.xyxy_px[2]) / 2, (c.xyxy_px[1] + c.xyxy_px[3]) / 2
            return -c.overlap, (bx - cx) ** 2 + (by - cy) ** 2

        keep = set(sorted(range(len(out)), key=lambda i: rank(out[i]))[:max_candidates])
        out = [c for i, c in enumerate(out) if i in keep]  # in their first order
    return out


def is_text_line(shape_xyxy_px: Sequence[float], image) -> bool:
    """Whether a shape (an :func:`element_boxes` box) looks like a line of text: at least
    :data:`TEXT_LINE_ASPECT` times as wide as tall, and under :data:`TEXT_LINE_BORDER` of the pixels of its
    box's top row or of its bottom row are edges (:func:`~simpleseg_agent.screen.pixels.edge_map` of ``image``, the screen). A button, a
    field or a bar has an edge all along its top and its bottom; a word's letters touch the top of their ink
    box (or an underlined link's, the bottom) only here and there. On the default model's validation
    screens every label and link it chose scored under 0.32, and every button box it chose over 0.75.

    Example:
        >>> import numpy as np
        >>> img = np.full((40, 120, 3), 255, np.uint8); img[10:30, 10:110] = 90    # a filled bar
        >>> is_text_line((9.5, 9.5, 110.5, 30.5), img)
        False
        >>> img = np.full((40, 120, 3), 255, np.uint8)
        >>> for x in range(12, 100, 8): img[12:28, x:x + 3] = 0                     # strokes of a word
        >>> is_text_line((11.5, 11.5, 99.5, 28.5), img)
        True
    """
    x0, y0, x1, y1 = (float(v) for v in shape_xyxy_px)
    if x1 - x0 < TEXT_LINE_ASPECT * (y1 - y0):
        return False
    rgb = rgb_view(image)
    h, w = rgb.shape[:2]
    # a box drawn through the middle of its outer edge pixels (half a pixel outside them): its top and
    # bottom are those pixels' rows
    c0, r0 = min(max(int(np.floor(x0)), 0), w - 1), min(max(int(np.floor(y0)), 0), h - 1)
    c1, r1 = min(max(int(np.floor(x1 - 0.5)), 0), w - 1), min(max(int(np.floor(y1 - 0.5)), 0), h - 1)
    # a pixel's edge depends on its four neighbours only: the box and a pixel around it give the same rows
    # as the whole screen's edge map, in a fraction of the time
    top_px, left_px = max(r0 - 1, 0), max(c0 - 1, 0)
    crop = rgb[top_px : min(r1 + 2, h), left_px : min(c1 + 2, w)]
    if crop.shape[0] < 2 or crop.shape[1] < 2:
        return False
    edges = edge_map(crop)
    top, bottom = edges[r0 - top_px, c0 - left_px : c1 - left_px + 1], edges[r1 - top_px, c0 - left_px : c1 - left_px + 1]
    return bool(top.size) and min(float(top.mean()), float(bottom.mean())) < TEXT_LINE_BORDER


def line_of_words(shape_xyxy_px: Sequence[float], boxes, image, *,
                  word_gap: float = DEFAULT_WORD_GAP) -> tuple[float, float, float, float]:
    """The line of text a word belongs to: ``shape_xyxy_px`` joined, again and again, with every other line
    of text (:func:`is_text_line` on ``image``) among ``boxes`` (``xyxy_px``, the screen's element boxes)
    that sits beside it: rows overlapping by half the lower one's height, 0.6-1.8 times as tall as the line
    so far, and at most ``word_gap`` of its height away. Grouping pixels at a fixed distance
    (:func:`element_boxes`) splits a large font's words; a label's box holds all of them.

    Example (two words 9 px apart on one line, and a third 37 px further on):
        >>> import numpy as np
        >>> img = np.full((40, 260, 3), 255, np.uint8)
        >>> for x0, x1 in ((10, 50), (55, 120), (160, 200)):
        ...     for x in range(x0, x1, 8): img[12:28, x:x + 3] = 0
        >>> words = sorted(element_boxes(img, gaps_px=(6,)).tolist())
        >>> words
        [[9.5, 11.5, 45.5, 28.5], [54.5, 11.5, 122.5, 28.5], [159.5, 11.5, 195.5, 28.5]]
        >>> line_of_words(words[0], words, img), line_of_words(words[2], words, img)
        ((9.5, 11.5, 122.5, 28.5), (159.5, 11.5, 195.5, 28.5))
    """
    if not (np.isfinite(word_gap) and word_gap >= 0):
        raise GeometryError(f"word_gap must be a fraction >= 0, got {word_gap!r}")
    line = [float(v) for v in shape_xyxy_px]
    others = [tuple(float(v) for v in b) for b in np.asarray(boxes, np.float64).reshape(-1, 4)]
    judged: dict[tuple[float, ...], bool] = {}
    grew = True
    while grew:
        grew = False
        h = line[3] - line[1]
        for b in others:
            if b[0] >= line[0] - 0.5 and b[2] <= line[2] + 0.5:
                continue  # within the line already
            bh = b[3] - b[1]
            if min(line[3], b[3]) - max(line[1], b[1]) < 0.5 * min(h, bh) or not 0.6 * h <= bh <= 1.8 * h:
                continue
            if max(b[0] - line[2], line[0] - b[2]) > word_gap * h:
                continue
            if b not in judged:
                judged[b] = is_text_line(b, image)
            if judged[b]:
                line = [min(line[0], b[0]), min(line[1], b[1]), max(line[2], b[2]), max(line[3], b[3])]
                grew = True
    return (line[0], line[1], line[2], line[3])


def text_line_extent(candidate: SnapCandidate, image, *, text_grow: float = DEFAULT_TEXT_GROW,
                     boxes=None, word_gap: float = DEFAULT_WORD_GAP) -> SnapCandidate:
    """A chosen candidate, with a line of text's extent settled from the pixels: when its shape
    (``shape_xyxy_px``) :func:`is_text_line` on ``image`` (the screen), the shape grown by ``text_grow`` of its
    height, whichever grow was chosen; any other candidate as it is. Given the screen's other element
    ``boxes``, a chosen word first takes in the rest of its line (:func:`line_of_words`, ``word_gap``).

    A label's box is its ink with a margin of 2-3 px; which of the grown boxes fits is a tenth of a
    28 px image patch, finer than a model placing boxes on image patches can tell, so the pixels settle it.

    Example:
        >>> import numpy as np
        >>> img = np.full((40, 120, 3), 255, np.uint8)
        >>> for x in range(12, 100, 8): img[12:28, x:x + 3] = 0
        >>> word = SnapCandidate((11.5, 11.5, 99.5, 28.5), 0.0, (11.5, 11.5, 99.5, 28.5), 0.0)
        >>> text_line_extent(word, img).xyxy_px
        (8.95, 8.95, 102.05, 31.05)
    """
    if not (np.isfinite(text_grow) and text_grow >= 0):
        raise GeometryError(f"text_grow must be a fraction >= 0, got {text_grow!r}")
    shape = candidate.shape_xyxy_px
    if shape is None or not is_text_line(shape, image):
        return candidate
    if boxes is not None:
        shape = line_of_words(shape, boxes, image, word_gap=word_gap)
    h, w = np.asarray(image).shape[:2]
    box = tuple(round(v, 6) for v in grown_box(shape, text_grow, (w, h)))
    return SnapCandidate(box, candidate.overlap, shape, float(text_grow))  # type: ignore[arg-type]


def solid_outline(shape_xyxy_px: Sequence[float], image) -> tuple[tuple[float, float, float, float], float] | None:
    """The box (``xyxy_px``, on pixel edges) and corner radius (px) of a filled or bordered shape, from its
    pixels; ``None`` when the shape is not solid (ink: a word, a glyph).

    The shape's pixels are those that differ (:data:`~simpleseg_agent.screen.pixels.DEFAULT_EDGE_THRESHOLD`) from the commonest colour of
    the ring of pixels around its box, with the holes they enclose (a bordered box's inside). They are solid
    when they cover :data:`SOLID_COVER` of their own box and that box spans the shape's (:data:`SOLID_SPAN`).
    The corner radius is the one whose four rounded-off corners leave out as many pixels of that box as are
    missing from it.

    Example (a button drawn with corners of radius 6, whose raster leaves out as many pixels as a radius of
    6.8 would; the strokes of a word):
        >>> import numpy as np
        >>> from PIL import Image, ImageDraw
        >>> im = Image.new("RGB", (80, 50), (255, 255, 255))
        >>> ImageDraw.Draw(im).rounded_rectangle((10, 10, 69, 39), 6, fill=(40, 90, 200))
        >>> box, corner = solid_outline((9.5, 9.5, 70.5, 40.5), im)
        >>> box, round(corner, 1)
        ((10.0, 10.0, 70.0, 40.0), 6.8)
        >>> word = np.full((40, 120, 3), 255, np.uint8)
        >>> for x in range(12, 100, 8): word[12:28, x:x + 3] = 0
        >>> solid_outline((11.5, 11.5, 99.5, 28.5), word) is None
        True
    """
    rgb = rgb_view(image)
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = (float(v) for v in shape_xyxy_px)
    c0, r0 = max(int(np.floor(x0)) - 1, 0), max(int(np.floor(y0)) - 1, 0)
    c1, r1 = min(int(np.ceil(x1)) + 1, w), min(int(np.ceil(y1)) + 1, h)
    if c1 - c0 < 3 or r1 - r0 < 3:
        return None
    crop = rgb[r0:r1, c0:c1].astype(np.int16)
    ink = (np.abs(crop - ring_color(crop)).max(axis=-1) > DEFAULT_EDGE_THRESHOLD).astype(np.uint8)
    # the background is what the ring's background pixels reach; everything else (holes too) is the shape
    _, labels = cv2.connectedComponents(1 - ink, connectivity=4)
    edge_labels = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    shape = ~np.isin(labels, edge_labels[edge_labels > 0])
    ys, xs = np.nonzero(shape)
    if not len(xs):
        return None
    bx0, bx1, by0, by1 = int(xs.min()), int(xs.max()) + 1, int(ys.min()), int(ys.max()) + 1
    inside = shape[by0:by1, bx0:bx1]
    box = (float(bx0 + c0), float(by0 + r0), float(bx1 + c0), float(by1 + r0))
    if inside.mean() < SOLID_COVER or xyxy_iou(box, (x0, y0, x1, y1)) < SOLID_SPAN:
        return None
    missing = float((~inside).sum()) / 4.0
    return box, float(np.sqrt(missing / (1.0 - np.pi / 4.0)))


def shape_extent(candidate: SnapCandidate, image, *, icon_grow: float = DEFAULT_ICON_GROW,
                 icon_round: float = DEFAULT_ICON_ROUND) -> SnapCandidate:
    """A chosen candidate, with the outline of its shape (``shape_xyxy_px``) settled from the pixels of
    ``image`` (the screen): the model decides which element, the pixels where its edges and corners are.

    - A solid shape (:func:`solid_outline`: a filled or bordered button, field, checkbox, toggle) chosen as
      drawn (grow 0): its own box and rounded corners, which a box cannot follow.
    - A glyph (neither a line of text, :func:`is_text_line`, nor solid; under :data:`TEXT_LINE_ASPECT` times
      as long as thick), chosen at any grow: the glyph grown by ``icon_grow`` of its short side, with corners
      rounded by ``icon_round`` of the result's short side. An icon button without a fill or a border extends
      past its glyph by a margin the pixels do not show; the model places it only to a step of 0.15.
    - Anything else (a line of text, :func:`text_line_extent`; a solid shape the model grew): as chosen.

    Example (a filled round-cornered button chosen as drawn, then a cross-shaped glyph chosen grown by 0.3):
        >>> import numpy as np
        >>> from PIL import Image, ImageDraw
        >>> im = Image.new("RGB", (80, 50), (255, 255, 255))
        >>> ImageDraw.Draw(im).rounded_rectangle((10, 10, 69, 39), 6, fill=(40, 90, 200))
        >>> button = shape_extent(SnapCandidate((9.5, 9.5, 70.5, 40.5), 0.0, (9.5, 9.5, 70.5, 40.5), 0.0), im)
        >>> button.xyxy_px, round(button.corner_px, 1)
        ((10.0, 10.0, 70.0, 40.0), 6.8)
        >>> im = Image.new("RGB", (60, 60), (255, 255, 255)); d = ImageDraw.Draw(im)
        >>> d.line((20, 20, 39, 39), fill=0, width=2); d.line((20, 39, 39, 20), fill=0, width=2)
        >>> glyph = SnapCandidate((13.5, 13.5, 46.5, 46.5), 0.0, (19.5, 19.5, 40.5, 40.5), 0.3)
        >>> settled = shape_extent(glyph, im)
        >>> settled.xyxy_px, settled.grow, round(settled.corner_px, 2)
        ((14.25, 14.25, 45.75, 45.75), 0.25, 7.88)
    """
    for name, value in (("icon_grow", icon_grow), ("icon_round", icon_round)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (np.isfinite(value) and value >= 0):
            raise GeometryError(f"{name} must be a fraction >= 0, got {value!r}")
    shape = candidate.shape_xyxy_px
    if shape is None or is_text_line(shape, image):
        return candidate
    solid = solid_outline(shape, image)
    if solid is not None:
        if candidate.grow != 0:
            return candidate
        box, corner = solid
        return SnapCandidate(box, candidate.overlap, shape, 0.0, corner)
    x0, y0, x1, y1 = (float(v) for v in shape)
    if max(x1 - x0, y1 - y0) >= TEXT_LINE_ASPECT * min(x1 - x0, y1 - y0):
        return candidate
    h, w = np.asarray(image).shape[:2]
    box = tuple(round(v, 6) for v in grown_box(shape, icon_grow, (w, h)))
    corner = icon_round * min(box[2] - box[0], box[3] - box[1])
    return SnapCandidate(box, candidate.overlap, shape, float(icon_grow), float(corner))  # type: ignore[arg-type]


@dataclass(frozen=True)
class SnapResult:
    """The outline after snapping: ``region`` (the chosen element's, or the answer itself when
    ``snapped`` is false) and its ``overlap`` with the answer (0 when nothing was chosen)."""

    region: Region
    snapped: bool
    overlap: float


def snap_region(region: Region, image, *, min_overlap: float = 0.0, **candidate_options) -> SnapResult:
    """``region`` replaced by the candidate (:func:`snap_candidates`) that overlaps it most, when that
    overlap exceeds ``min_overlap``; otherwise unchanged (``snapped`` false). This is the choice without
    a model; with one, :class:`~simpleseg_agent.tools.SimpleSeg` ``snap=True`` lets it choose.

    Example: see the module docstring.
    """
    if not 0.0 <= min_overlap < 1.0:
        raise GeometryError(f"min_overlap must be in [0, 1), got {min_overlap!r}")
    rgb = as_rgb(image)  # read once: the candidates take the image's boxes and size
    wh = (rgb.shape[1], rgb.shape[0])
    cands = snap_candidates(region, boxes=element_boxes(rgb), resolution_wh=wh, **candidate_options)
    best = max(cands, key=lambda c: c.overlap, default=None)
    if best is None or best.overlap <= min_overlap:
        return SnapResult(region, False, 0.0 if best is None else best.overlap)
    return SnapResult(best.region(wh), True, best.overlap)
