"""Which icon a glyph shows, from its pixels: the conventions toolbar icons are drawn by.

A small model tells a screen's elements apart by where they are and what they say far better than by
the small pictures on icon buttons: asked for "the plus button" in a row of icons it may choose any of
them. Most toolbar glyphs, though, follow drawing conventions simple enough to check without a model.
:func:`glyph_kinds` reads the ink of a shape (a bare glyph, or the glyph inside a filled or bordered
button) as a binary mask and names the icon it shows, when it shows one of :data:`GLYPH_KINDS`:

- ``"plus"``: a full-width row and a full-height column cross at the middle; the corners are empty;
- ``"menu"`` (a hamburger): three full-width bars, one above the other, with empty rows between them;
- ``"search"`` (a magnifier): one hole (the lens) centred in the upper left (within 0.42 of the width and
  height), the handle reaching the lower right;
- ``"gear"``: filled, with one small hole at its centre (the axle), nearly convex once the hole is filled
  (:data:`GEAR_SOLIDITY`);
- ``"trash"``: a narrow handle (solid or hollow) on top of a full-width lid, a body narrower than the lid
  below it, slits (holes) in the body;
- ``"home"``: no hole; a roof (narrow at the top, full width at 0.3-0.65 of the height) over a body
  standing on two walls either side of a narrow door;
- ``"star"``: no hole; a point at the top, its arms full width at 0.2-0.5 of the height, two feet far
  apart.

These are conventions of screens, checked on this project's generated screens (every such glyph of the
default model's icon set recognised, and of both of the generator's engines) and on icons drawn otherwise
by the tests; a toolkit whose icons are drawn otherwise (an outlined star, a
house without a door) is not recognised, and nothing then changes. The tools use them through
:mod:`~simpleseg_agent.screen.kinds` when a query names an icon and the screen shows none of its words.

Example (a plus and a hamburger drawn on a toolbar; the label's box shows neither):
    >>> from PIL import Image, ImageDraw
    >>> im = Image.new("RGB", (120, 40), (245, 245, 245)); d = ImageDraw.Draw(im)
    >>> d.rectangle((18, 9, 21, 30), fill=(60, 60, 60)); d.rectangle((9, 18, 30, 21), fill=(60, 60, 60))
    >>> for y in (10, 18, 26): d.rectangle((49, y, 70, y + 3), fill=(60, 60, 60))
    >>> d.text((85, 14), "Save", fill=(30, 30, 30))
    >>> [sorted(glyph_kinds(b, im)) for b in ((8.5, 8.5, 31.5, 31.5), (48.5, 9.5, 71.5, 30.5), (84.5, 13.5, 110.5, 25.5))]
    [['plus'], ['menu'], []]
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from .elements import solid_outline
from .pixels import commonest_color, inner_crop, rgb_view, ring_color, ringed_crop

#: The icons :func:`glyph_kinds` tells apart.
GLYPH_KINDS: tuple[str, ...] = ("plus", "menu", "search", "gear", "trash", "home", "star")
#: A glyph's ink differs from the colour around it by at least this much (0-255, in some channel) and by at
#: least :data:`INK_SHARE` of the most any of its pixels differs: antialiased fringes stay out.
GLYPH_INK_THRESHOLD = 40
INK_SHARE = 0.45
#: The least share of its convex hull a gear covers, its hole filled (:func:`_solidity`): its teeth leave
#: 0.72-0.91 on the generated screens, a "#" or an "@" 0.6 at most.
GEAR_SOLIDITY = 0.68
#: The fewest pixels a glyph's ink spans each way; a smaller one is not read.
MIN_GLYPH_PX = 7


def glyph_ink(shape_xyxy_px: Sequence[float], image) -> np.ndarray | None:
    """The ink of the glyph a shape shows, as a bool mask cropped to the ink's box; ``None`` when it shows
    none (no pixel off the colour around it by :data:`GLYPH_INK_THRESHOLD`).

    A filled or bordered shape (:func:`~simpleseg_agent.screen.elements.solid_outline`: a button) shows what
    is drawn inside its border, on its commonest colour; any other shape (a bare glyph) its own pixels, on
    the commonest colour of the ring around its box.

    Example (a 4 x 6 px bar inside a bordered button):
        >>> from PIL import Image, ImageDraw
        >>> im = Image.new("RGB", (40, 40), (250, 250, 250)); d = ImageDraw.Draw(im)
        >>> d.rectangle((5, 5, 34, 34), fill=(220, 220, 220), outline=(120, 120, 120))
        >>> d.rectangle((17, 18, 22, 21), fill=(20, 20, 20))
        >>> glyph_ink((4.5, 4.5, 35.5, 35.5), im).shape
        (4, 6)
    """
    rgb = rgb_view(image)
    solid = solid_outline(shape_xyxy_px, rgb)
    if solid is not None:
        crop, _, _ = inner_crop(solid[0], rgb)  # its border left out, as for snap's kinds
        if crop.shape[0] < 1 or crop.shape[1] < 1:
            return None
        under = commonest_color(crop)
    else:
        crop = ringed_crop(shape_xyxy_px, rgb)
        if crop.shape[0] < 3 or crop.shape[1] < 3:
            return None
        under = ring_color(crop)
    off = np.abs(crop - under).max(axis=-1)
    if off.max() < GLYPH_INK_THRESHOLD:
        return None
    ink = off >= max(GLYPH_INK_THRESHOLD, INK_SHARE * off.max())
    ys, xs = np.nonzero(ink)
    return ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def _holes(ink: np.ndarray) -> list[tuple[int, float, float]]:
    """The background areas ``ink`` encloses (4-connected, not reaching its box's edge), 2 px or more:
    ``(area, centre x, centre y)`` each, in the mask's pixels."""
    n, labels, stats, centres = cv2.connectedComponentsWithStats(_padded_background(ink), connectivity=4)
    outside = labels[0, 0]
    return [(int(stats[i, cv2.CC_STAT_AREA]), float(centres[i][0]) - 1, float(centres[i][1]) - 1)
            for i in range(1, n) if i != outside and stats[i, cv2.CC_STAT_AREA] >= 2]


def _padded_background(ink: np.ndarray) -> np.ndarray:
    """``uint8`` 1 where ``ink`` is not, with a 1 px ring of background around it: what lies outside the ink
    is then one component, the ring's."""
    return np.pad((~ink).astype(np.uint8), 1, constant_values=1)


def _solidity(ink: np.ndarray) -> float:
    """The share of its convex hull that ``ink`` covers with its holes filled (a disc: about 1; a "#": 0.6)."""
    _, labels = cv2.connectedComponents(_padded_background(ink), connectivity=4)
    filled = labels[1:-1, 1:-1] != labels[0, 0]
    ys, xs = np.nonzero(filled)
    corners = np.concatenate([np.stack([xs + dx, ys + dy], axis=1) for dx in (0, 1) for dy in (0, 1)]).astype(np.float32)
    return float(filled.sum() / max(cv2.contourArea(cv2.convexHull(corners)), 1.0))


def _runs(row: np.ndarray) -> list[tuple[int, int]]:
    """The ``(start, end)`` (end exclusive) of each run of true values in a 1-D bool array."""
    padded = np.concatenate([[False], row.astype(bool), [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


def ink_glyphs(ink: np.ndarray | None) -> frozenset[str]:
    """The icons (:data:`GLYPH_KINDS`) a glyph's ink mask (:func:`glyph_ink`) shows; the rules are in the
    module docstring. Empty for ``None``, for ink under :data:`MIN_GLYPH_PX` either way and for ink far from
    square (a word).

    Example (a 9 x 9 plus):
        >>> import numpy as np
        >>> ink = np.zeros((9, 9), bool); ink[4] = True; ink[:, 4] = True
        >>> sorted(ink_glyphs(ink))
        ['plus']
    """
    if ink is None:
        return frozenset()
    h, w = ink.shape
    if min(h, w) < MIN_GLYPH_PX or not 0.55 <= w / h <= 1.8:
        return frozenset()
    squarish = 0.75 <= w / h <= 1.33
    fill = float(ink.mean())
    holes = _holes(ink)
    rows, cols = ink.mean(axis=1), ink.mean(axis=0)
    cut_y, cut_x = [round(k * h / 3) for k in range(4)], [round(k * w / 3) for k in range(4)]
    cells = [[float(ink[cut_y[i] : cut_y[i + 1], cut_x[j] : cut_x[j + 1]].mean()) for j in range(3)] for i in range(3)]
    kinds: set[str] = set()
    if (not holes and squarish and rows[h // 2 - 1 : h // 2 + 2].max() >= 0.9 and cols[w // 2 - 1 : w // 2 + 2].max() >= 0.9
            and max(cells[0][0], cells[0][2], cells[2][0], cells[2][2]) <= 0.12):
        kinds.add("plus")
    bars = _runs(rows >= 0.7)
    if len(bars) == 3 and w / h >= 0.8 and all(rows[a:b].max() <= 0.15 for a, b in ((bars[0][1], bars[1][0]), (bars[1][1], bars[2][0]))):
        kinds.add("menu")
    if len(holes) == 1 and squarish:
        area, cx, cy = holes[0]
        if (cx < 0.42 * w and cy < 0.42 * h and ink[-max(2, h // 6) :, -max(2, w // 6) :].any()
                and cells[0][2] < 0.35 and cells[2][0] < 0.35 and cells[2][2] > max(0.15, cells[0][2])):
            kinds.add("search")
        if (abs(cx - (w - 1) / 2) <= 0.12 * w and abs(cy - (h - 1) / 2) <= 0.12 * h and area <= 0.2 * h * w and fill >= 0.35
                and _solidity(ink) >= GEAR_SOLIDITY):
            kinds.add("gear")
    if holes and 0.6 <= w / h <= 1.25:
        lid = np.flatnonzero(rows[: max(1, int(0.4 * h))] >= 0.9)
        if (len(lid) and 0 < rows[0] <= 0.5 and (rows[h // 2 :] <= 0.85).all()
                and any(cy > lid[-1] for _, _, cy in holes)):
            kinds.add("trash")
    if not holes and squarish:
        widest = int(np.argmax(rows))
        feet = _runs(ink[-1])
        if ink[: max(1, h // 8)].mean() <= 0.3 and rows[widest] >= 0.9 and len(feet) == 2:
            gap = feet[1][0] - feet[0][1]
            if fill >= 0.45 and gap <= 0.35 * w and 0.3 * h <= widest <= 0.65 * h:
                kinds.add("home")
            elif gap >= 0.4 * w and 0.2 * h <= widest <= 0.5 * h:
                kinds.add("star")
    return frozenset(kinds)


def glyph_kinds(shape_xyxy_px: Sequence[float], image) -> frozenset[str]:
    """The icons (:data:`GLYPH_KINDS`) the glyph of a shape (``xyxy_px`` on ``image``, the screen) shows:
    :func:`ink_glyphs` of :func:`glyph_ink`. Example: see the module docstring."""
    return ink_glyphs(glyph_ink(shape_xyxy_px, image))
