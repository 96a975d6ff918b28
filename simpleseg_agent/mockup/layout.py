"""A GUI screen described element by element, engine-neutral: what the screen generator builds, the
Pillow engine (:mod:`.draw`) and a real Tk window (:class:`~simpleseg_agent.agent.tk_layout.LayoutWindow`) draw.

Boxes are in pixels (``xyxy`` with exclusive ends: pixel column ``c`` covers ``[c, c + 1)``, the convention
of :func:`simpleseg_agent.geometry.region_to_mask`), with texts, colours and states.

Example:
    >>> el = Element("button", (10, 10, 110, 40), text="Submit", radius_px=6)
    >>> el.center, len(element_region(el, (200, 100), 1.0).parts[0].outer) > 4
    ((60.0, 25.0), True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..geometry import Region
from .fonts import FontFamily

RGB = tuple[int, int, int]
Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Theme:
    """The colours and corner radii of one screen (radii in units of the font size)."""

    name: str
    desktop: RGB
    window: RGB
    titlebar: RGB
    titlebar_text: RGB
    text: RGB
    muted: RGB
    border: RGB
    field: RGB
    accent: RGB
    accent_text: RGB
    button: RGB
    button_text: RGB
    link: RGB
    bar: RGB  # menu bar and toolbar
    sidebar: RGB
    selected: RGB  # selected tab / sidebar item
    toggle_off: RGB
    knob: RGB
    radius: float
    round_icons: bool


@dataclass
class Element:
    """One element on the screen.

    ``text`` is what the element shows (label, placeholder, value); ``name`` what names it (the
    label next to a checkbox or field, an icon's name). ``anchor``/``origin`` say where the text
    is drawn (Pillow anchors). ``bg`` is the surface colour behind the element.
    """

    kind: str
    box: Box
    text: str = ""
    name: str = ""
    group: str = "form"
    role: str = ""
    radius_px: int = 0
    bg: RGB = (255, 255, 255)
    fill: RGB | None = None
    border: RGB | None = None
    ink: RGB = (0, 0, 0)
    font_px: int = 16
    bold: bool = False
    origin: tuple[float, float] = (0.0, 0.0)
    anchor: str = "mm"
    state: dict[str, Any] = field(default_factory=dict)
    label_index: int | None = None  # the static text that names this widget
    label_side: str = ""  # where that text sits: above | left | right
    target: bool = True

    @property
    def center(self) -> tuple[float, float]:
        x0, y0, x1, y1 = self.box
        return ((x0 + x1) / 2, (y0 + y1) / 2)


@dataclass
class Surface:
    """A filled background rectangle (desktop, window, title bar, bars, sidebar), drawn in order."""

    box: Box
    color: RGB
    kind: str


@dataclass
class ScreenLayout:
    size_wh: tuple[int, int]
    theme: Theme
    family: FontFamily
    font_px: int
    title: str
    surfaces: list[Surface]
    elements: list[Element]


def rounded_rect_px(box: tuple[float, float, float, float], radius: float, tolerance_px: float) -> np.ndarray:
    """The polygon ``(N, 2)`` (pixels, clockwise on screen) of a box with rounded corners.

    Each corner arc is replaced by the fewest chords within ``tolerance_px`` of it; a corner whose
    arc lies within ``tolerance_px`` of the square corner stays square.

    Example:
        >>> rounded_rect_px((0, 0, 100, 40), 2, 1.0).tolist()
        [[0.0, 0.0], [100.0, 0.0], [100.0, 40.0], [0.0, 40.0]]
        >>> len(rounded_rect_px((0, 0, 44, 24), 12, 1.0))  # a pill: 2 chords per corner, ends shared
        10
    """
    x0, y0, x1, y1 = (float(v) for v in box)
    r = min(float(radius), (x1 - x0) / 2, (y1 - y0) / 2)
    if r <= 0 or r * (math.sqrt(2) - 1) <= tolerance_px:
        return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    n = 1
    while r * (1 - math.cos(math.pi / 4 / n)) > tolerance_px:
        n += 1
    pts = []
    for (cx, cy), start in (((x0 + r, y0 + r), math.pi), ((x1 - r, y0 + r), 1.5 * math.pi),
                            ((x1 - r, y1 - r), 0.0), ((x0 + r, y1 - r), 0.5 * math.pi)):
        for k in range(n + 1):
            a = start + k * (math.pi / 2) / n
            pts.append([cx + r * math.cos(a), cy + r * math.sin(a)])
    out = np.array(pts)
    keep = np.any(np.abs(out - np.roll(out, 1, axis=0)) > 1e-9, axis=1)  # pills repeat the joint of two arcs
    return out[keep]


def element_region(el: Element, size_wh: tuple[int, int], tolerance_px: float) -> Region:
    """The element's polygon as a normalized, canonical region, clipped to the screen.

    Example:
        >>> element_region(Element("button", (0, 0, 50, 20)), (100, 40), 1.0).xyxy.tolist()
        [0.0, 0.0, 0.5, 0.5]
    """
    W, H = size_wh
    poly = rounded_rect_px(el.box, el.radius_px, tolerance_px)
    poly = np.clip(poly, 0, [W, H])
    return Region.from_px([poly], size_wh).canonical()
