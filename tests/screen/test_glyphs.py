"""Which icon a glyph shows, from its pixels (screen.glyphs)."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from simpleseg_agent.screen.glyphs import GLYPH_KINDS, MIN_GLYPH_PX, glyph_ink, glyph_kinds, ink_glyphs
from simpleseg_agent.screen.elements import element_boxes

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
INK, PAPER = (50, 55, 60), (246, 246, 246)


def draw_icon(d: ImageDraw.ImageDraw, name: str, cx: float, cy: float, r: float, ink, under) -> None:
    """This test's own drawings of the icons (not the screen generator's): ``r`` is half the glyph's size."""
    t = max(2.0, r / 4)  # stroke
    if name == "plus":
        d.rectangle((cx - r, cy - t / 2, cx + r, cy + t / 2), fill=ink)
        d.rectangle((cx - t / 2, cy - r, cx + t / 2, cy + r), fill=ink)
    elif name == "menu":
        for dy in (-0.75 * r, 0.0, 0.75 * r):
            d.rectangle((cx - r, cy + dy - t / 2, cx + r, cy + dy + t / 2), fill=ink)
    elif name == "search":
        lens = 0.62 * r
        ox, oy = cx - 0.3 * r, cy - 0.3 * r
        d.ellipse((ox - lens, oy - lens, ox + lens, oy + lens), outline=ink, width=int(t))
        d.line([(ox + lens * 0.7, oy + lens * 0.7), (cx + r, cy + r)], fill=ink, width=int(t) + 1)
    elif name == "gear":
        teeth = [(cx + (r if k % 2 == 0 else 0.75 * r) * math.cos(k * math.pi / 6 + 0.1),
                  cy + (r if k % 2 == 0 else 0.75 * r) * math.sin(k * math.pi / 6 + 0.1)) for k in range(12)]
        d.polygon(teeth, fill=ink)
        d.ellipse((cx - 0.3 * r, cy - 0.3 * r, cx + 0.3 * r, cy + 0.3 * r), fill=under)
    elif name == "trash":
        d.rectangle((cx - 0.35 * r, cy - r, cx + 0.35 * r, cy - 0.6 * r), fill=ink)
        d.rectangle((cx - r, cy - 0.7 * r, cx + r, cy - 0.45 * r), fill=ink)
        d.polygon([(cx - 0.75 * r, cy - 0.45 * r), (cx + 0.75 * r, cy - 0.45 * r), (cx + 0.6 * r, cy + r), (cx - 0.6 * r, cy + r)], fill=ink)
        for dx in (-0.3 * r, 0.3 * r):
            d.rectangle((cx + dx - 0.08 * r, cy - 0.2 * r, cx + dx + 0.08 * r, cy + 0.7 * r), fill=under)
    elif name == "home":
        d.polygon([(cx, cy - r), (cx + r, cy), (cx - r, cy)], fill=ink)
        d.rectangle((cx - 0.7 * r, cy, cx + 0.7 * r, cy + r), fill=ink)
        d.rectangle((cx - 0.22 * r, cy + 0.4 * r, cx + 0.22 * r, cy + r), fill=under)
    elif name == "star":
        d.polygon([(cx + (r if k % 2 == 0 else 0.42 * r) * math.cos(-math.pi / 2 + k * math.pi / 5),
                    cy + (r if k % 2 == 0 else 0.42 * r) * math.sin(-math.pi / 2 + k * math.pi / 5)) for k in range(10)], fill=ink)
    elif name == "close":
        d.line([(cx - r, cy - r), (cx + r, cy + r)], fill=ink, width=int(t))
        d.line([(cx - r, cy + r), (cx + r, cy - r)], fill=ink, width=int(t))
    elif name == "maximize":
        d.rectangle((cx - r, cy - r, cx + r, cy + r), outline=ink, width=int(t) - 1)
    elif name == "minimize":
        d.rectangle((cx - r, cy + 0.5 * r, cx + r, cy + 0.5 * r + t), fill=ink)
    else:
        raise ValueError(name)


ALL = (*GLYPH_KINDS, "close", "maximize", "minimize")


def _toolbar(r: float, filled: bool, names=ALL) -> tuple[Image.Image, dict[str, tuple[float, float, float, float]]]:
    """Each icon on a row, bare or on a filled rounded button; returns the screen and each shape to read
    (the button when filled, else the glyph's box), ``xyxy_px`` on pixel edges."""
    pitch = int(4 * r)
    img = Image.new("RGB", (pitch * len(names) + 20, pitch + 20), PAPER)
    d = ImageDraw.Draw(img)
    shapes = {}
    for i, name in enumerate(names):
        cx, cy = 10 + pitch * i + pitch / 2, 10 + pitch / 2
        under = PAPER
        if filled:
            under = (215, 225, 240)
            b = (cx - 1.6 * r, cy - 1.6 * r, cx + 1.6 * r, cy + 1.6 * r)
            d.rounded_rectangle(b, radius=r / 3, fill=under)
        draw_icon(d, name, cx, cy, r, INK, under)
        shapes[name] = (cx - 1.6 * r - 1, cy - 1.6 * r - 1, cx + 1.6 * r + 1, cy + 1.6 * r + 1) if filled else None
    rgb = np.asarray(img)
    boxes = element_boxes(rgb).tolist()
    for i, name in enumerate(names):
        cx, cy = 10 + pitch * i + pitch / 2, 10 + pitch / 2
        if shapes[name] is None:  # the glyph as the screen's shapes group it: the largest box around its centre
            around = [b for b in boxes if b[0] < cx < b[2] and b[1] - 1 < cy + 0.6 * r < b[3] + 1 and b[2] - b[0] < 3 * r]
            shapes[name] = tuple(max(around, key=lambda b: (b[2] - b[0]) * (b[3] - b[1])))
        else:
            near = min(boxes, key=lambda b: sum(abs(u - v) for u, v in zip(b, shapes[name])))
            shapes[name] = tuple(near)
    return img, shapes


@pytest.mark.parametrize("r", [7, 10, 14])
@pytest.mark.parametrize("filled", [False, True])
def test_each_icon_drawn_here_shows_its_kind_and_no_other(r: float, filled: bool) -> None:
    """Icons drawn by this test (other proportions than the screen generator's), bare and on buttons, at
    glyph sizes of 14-28 px: each of the seven shows its own kind only; the window controls show none."""
    img, shapes = _toolbar(r, filled)
    got = {name: set(glyph_kinds(shape, img)) for name, shape in shapes.items()}
    want = {name: ({name} if name in GLYPH_KINDS else set()) for name in shapes}
    assert got == want


def test_words_and_plain_shapes_show_no_icon() -> None:
    img = Image.new("RGB", (560, 90), PAPER)
    d = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 22)
    d.text((10, 10), "Save  Home  Settings  OK  Add  menu  @  &  %  #", fill=INK, font=font)
    d.rectangle((10, 50, 40, 80), fill=(40, 120, 220))                       # a filled square: no glyph
    d.ellipse((60, 50, 90, 80), outline=INK, width=3)                        # a ring: a centred hole, too big for a gear
    d.rounded_rectangle((110, 50, 250, 80), radius=8, fill=(225, 225, 225))  # an empty button
    rgb = np.asarray(img)
    shown = {tuple(b): glyph_kinds(b, rgb) for b in element_boxes(rgb).tolist()}
    assert len(shown) >= 10
    assert not {b: k for b, k in shown.items() if k}


def _generated_glyphs(gen, n: int) -> tuple[dict[str, list[bool]], list[bool]]:
    """Per toolbar icon of ``n`` screens of ``gen`` (seed 11, not used to choose the rules): whether a shape
    inside its button shows its icon; per other element (buttons, text, controls): whether any shape inside it
    shows an icon."""
    found: dict[str, list[bool]] = {k: [] for k in GLYPH_KINDS}
    others: list[bool] = []
    for i in range(n):
        image, records = gen.screen(i, seed=11)
        rgb = np.asarray(image)
        boxes = element_boxes(rgb).tolist()
        for rec in records:
            x0, y0, x1, y1 = rec.meta["box_px"]
            name = rec.meta.get("name")
            inside = [b for b in boxes if b[0] >= x0 - 1 and b[1] >= y0 - 1 and b[2] <= x1 + 1.5 and b[3] <= y1 + 1.5]
            if rec.label == "icon_button" and name in GLYPH_KINDS:
                found[name].append(any(name in glyph_kinds(b, rgb) for b in inside))
            elif rec.label in ("button", "text", "checkbox", "toggle", "dropdown", "link") and inside:
                others.append(any(glyph_kinds(b, rgb) for b in inside))
    return found, others


@pytest.mark.slow
def test_generated_screens_icons_show_their_glyphs() -> None:
    """Nearly every toolbar icon of 150 generated screens shows its icon, and almost no other element does."""
    from simpleseg_agent.training.synth.gui import GuiScreenGenerator, GuiSynthConfig

    found, others = _generated_glyphs(GuiScreenGenerator(GuiSynthConfig(difficulty="easy")), 150)
    for name, got in found.items():
        assert len(got) >= 3, (name, len(got))
        assert np.mean(got) >= 0.9, (name, got)
    assert len(others) >= 500 and np.mean(others) <= 0.02, (len(others), np.mean(others))


@pytest.mark.slow
@pytest.mark.timeout(180)
@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed (apt-get install chromium)")
def test_glyphs_drawn_by_the_browser_engine_show_their_icons() -> None:
    """The same on 40 screens drawn by the Chromium engine (SVG glyphs, its own antialiasing; a trash can's
    handle is hollow there), every screen with a toolbar."""
    from simpleseg_agent.training.synth.gui import GuiScreenGenerator, GuiSynthConfig

    with GuiScreenGenerator(GuiSynthConfig(difficulty="easy", engine="chromium", toolbar_prob=1.0)) as gen:
        found, others = _generated_glyphs(gen, 40)
    for name, got in found.items():
        assert len(got) >= 3, (name, len(got))
        assert np.mean(got) >= 0.9, (name, got)
    assert len(others) >= 100 and np.mean(others) <= 0.02, (len(others), np.mean(others))


def test_glyph_ink_reads_inside_a_button_or_around_a_bare_glyph() -> None:
    img, shapes = _toolbar(10, True, names=("plus",))
    ink = glyph_ink(shapes["plus"], img)
    assert ink is not None and abs(ink.shape[0] - 21) <= 2 and abs(ink.shape[1] - 21) <= 2  # the glyph, not the button
    bare, bare_shapes = _toolbar(10, False, names=("plus",))
    assert glyph_ink(bare_shapes["plus"], bare).shape == ink.shape
    blank = np.full((40, 40, 3), 200, np.uint8)
    assert glyph_ink((5, 5, 30, 30), blank) is None
    assert glyph_ink((5, 5, 6, 6), blank) is None


def test_ink_too_small_or_not_square_shows_nothing() -> None:
    plus = np.zeros((9, 9), bool)
    plus[4] = True
    plus[:, 4] = True
    assert ink_glyphs(plus) == {"plus"}
    small = plus[1:-1, 1:-1]
    assert small.shape[0] < MIN_GLYPH_PX + 1 and ink_glyphs(plus[2:-2, 2:-2]) == frozenset()
    assert ink_glyphs(np.ones((8, 30), bool)) == frozenset()
    assert ink_glyphs(None) == frozenset()
